"""Live progress on stderr: one bar for the run on a terminal, plain lines otherwise.

A bench takes minutes; a user who sees nothing move for twenty presses Ctrl-C. On a
terminal (`rich.progress`, the ecosystem's habit) one bar shows the elapsed time, an
estimate of what is left and what is being measured (scenario, point, round, arm), and
every step's line (a trial's req/s, an arm's running interval) scrolls above it. When
stderr is not a terminal (CI, a pipe, a log file) or with `--quiet`, the same lines are
printed plain, one per step, and no bar: nothing a log cannot hold. Nothing goes to stdout,
where the table or `--json` goes.

The bar counts *planned seconds of load* (warm-ups and trials): the round loop plans a
point's trials as it starts it and takes back the rounds of an arm that stopped early, so
the estimate shrinks as `--rounds auto` decides arms. Start-up, verification and settling
are not planned; rich's estimate (work left at the speed seen so far) absorbs them.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Self, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["Live"]


class Live:
    """A progress sink: call it with a line; `plan`/`advance` move the bar (if any).

    Use as a context manager around the run; outside one (or when plain) it only prints.
    """

    def __init__(self, *, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.bar = not quiet and self.stream.isatty()
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0.0

    def __enter__(self) -> Self:
        if self.bar:
            console = Console(file=self.stream, highlight=False)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __call__(self, line: str) -> None:
        """One step's line: above the bar on a terminal, else plain on the stream."""
        if self._progress is not None:
            self._progress.console.print(line, markup=False, highlight=False)
        else:
            print(line, file=self.stream, flush=True)

    def plan(self, seconds: float) -> None:
        """More work ahead (negative: work that will not be done after all)."""
        self._total = max(0.0, self._total + seconds)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=self._total)

    def advance(self, seconds: float, doing: str) -> None:
        """`seconds` of planned work done; `doing` is what comes next (the bar's label)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=seconds, description=doing)

    def doing(self, what: str) -> None:
        """The bar's label alone (a build, a start-up)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=what)
