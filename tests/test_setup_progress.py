"""The set-up's long steps say they are still running (scripts/setup-lib.sh, issue 19)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]


def quiet(script: str, heartbeat_s: int = 1) -> subprocess.CompletedProcess[str]:
    """Run `script` in bash with the set-up's helpers sourced, from the repository root."""
    env = {**os.environ, "PRIMEBENCH_SETUP_HEARTBEAT_S": str(heartbeat_s)}
    return subprocess.run(
        ["bash", "-c", f". scripts/setup-lib.sh; {script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_long_step_prints_a_heartbeat_and_its_time_and_hides_its_output() -> None:
    done = quiet("quiet sh -c 'echo compiling; sleep 2.5'")
    assert done.returncode == 0
    beats = [line for line in done.stderr.splitlines() if "still running" in line]
    assert beats and beats[0].startswith("[setup] ... sh -c echo compiling; sleep 2.5: still")
    assert beats[0].endswith("1 s so far")
    assert "finished after" in done.stderr.splitlines()[-1]
    assert "compiling" not in done.stdout  # the step's own output stays hidden


def test_a_quick_step_prints_nothing() -> None:
    done = quiet("quiet true", heartbeat_s=30)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_failed_step_shows_its_output_and_keeps_its_status() -> None:
    done = quiet("quiet sh -c 'echo boom >&2; exit 3'", heartbeat_s=30)
    assert done.returncode == 3
    assert "boom" in done.stderr


def test_a_step_still_reads_the_pipe_it_is_given() -> None:
    """`tar ... | quiet podman import -` (setup-container): the background step keeps stdin."""
    done = quiet("printf 'layer' | quiet sh -c 'read x; [ \"$x\" = layer ]'", heartbeat_s=30)
    assert done.returncode == 0, done.stderr


def test_elapsed_words() -> None:
    done = quiet("elapsed_words 42; echo; elapsed_words 65; echo; elapsed_words 600")
    assert done.stdout.splitlines() == ["42 s", "1 min 05 s", "10 min 00 s"]
