"""A floor document's comparisons again, on the server's CPU time per request.

Why: at the floor the fastest servers outrun wrk on its one core (the lab marks those
trials generator-bound), so their req/s ratios are capped by the generator, not set by the
servers. The CPU time a server spent per answered request is recorded in every trial
(`cpu_s_per_request`) and is not capped that way: where it agrees with the req/s ratio, the
cap did not decide the verdict. Same pairing (mirrored rounds), same bootstrap, same verdict
rule as the lab's (primebench.lab.model), with the A/A arm's CPU noise as the floor.
Rendered from a committed document, never from a live run:

    uv run python benchmarks/cpu_per_request.py benchmarks/results/<stamp>-floor.json \\
        [--pair primebench:bare-httptools ...]

Figures are requests per CPU-second of the server, as a ratio (higher: cheaper per request).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

from primebench.lab.model import results, verdicts
from primebench.lab.model.pairing import paired_values

METRIC: Final = "cpu_s_per_request"
DEFAULT_PAIRS = (
    "primebench:go-seed",
    "primebench:rust-axum",
    "primebench:bare-httptools",
    "primebench-pure-python:bare-httptools",
    "primebench:primebench-pure-python",
)


def _runs(scenario: results.ScenarioRecord, arm: str, key: str) -> list[results.RunRecord]:
    for run in scenario.results:
        if run.contender == arm:
            point = run.point(key)
            if point is not None and point.status == "ok":
                return list(point.runs)
    return []


def _per_cpu_second(
    scenario: results.ScenarioRecord, arm: str, other: str, key: str, noise: float | None
) -> verdicts.Comparison | None:
    """`arm` against `other` in requests per CPU-second (1 / CPU time per request)."""
    cpu, other_cpu = paired_values(_runs(scenario, arm, key), _runs(scenario, other, key), METRIC)
    if not cpu:
        return None
    return verdicts.compare(
        "requests_per_cpu_s",
        arm,
        other,
        [1 / value for value in cpu],
        [1 / value for value in other_cpu],
        higher_is_better=True,
        noise_halfwidth=noise,
        seed=1,
    )


def _noise(scenario: results.ScenarioRecord, baseline: str, key: str) -> float | None:
    """The half-width of the A/A arm (`<baseline>#aa`) on this metric, at this point."""
    aa = _per_cpu_second(scenario, f"{baseline}#aa", baseline, key, None)
    return None if aa is None or aa.ci_low is None else verdicts.noise_halfwidth(aa)


def render(doc: results.Document, pairs: list[tuple[str, str]], baseline: str) -> str:
    lines = []
    for scenario in doc.scenarios:
        keys = list(dict.fromkeys(p.key for r in scenario.results for p in r.points))
        lines += [
            f"{scenario.name}: requests per server CPU-second, ratio (95 % CI), verdict",
            "",
            "| pair | " + " | ".join(keys) + " |",
            "|---|" + "---|" * len(keys),
        ]
        noise = {key: _noise(scenario, baseline, key) for key in keys}
        rows = [(f"{baseline}#aa", baseline, True), *((a, b, False) for a, b in pairs)]
        for arm, other, is_aa in rows:
            cells = []
            for key in keys:
                found = _per_cpu_second(scenario, arm, other, key, None if is_aa else noise[key])
                if found is None or found.ci_low is None or found.ci_high is None:
                    cells.append("–")
                    continue
                shown = f"{found.ratio:.3f} [{found.ci_low:.3f}, {found.ci_high:.3f}]"
                cells.append(shown + ("" if is_aa else f" {found.verdict}"))
            label = f"{arm} / {other}" + (" (A/A)" if is_aa else "")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        widths = ", ".join(f"{k} ±{v * 100:.1f} %" for k, v in noise.items() if v is not None)
        lines += ["", f"A/A noise floor on this metric: {widths}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path)
    parser.add_argument("--pair", action="append", help="ARM:OTHER (repeatable)")
    parser.add_argument("--baseline", default="go-seed", help="the arm with an A/A twin")
    args = parser.parse_args(argv)
    pairs = [p.split(":", 1) for p in (args.pair or DEFAULT_PAIRS)]
    doc = results.load(args.document)
    print(render(doc, [(a, b) for a, b in pairs], args.baseline))
    return 0


if __name__ == "__main__":
    sys.exit(main())
