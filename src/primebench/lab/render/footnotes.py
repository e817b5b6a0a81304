"""The marks beside a table's figures and the footnotes that explain them (pure).

A figure can need a caveat that does not fit in its cell: it measured the load generator
(generator-bound), it counts refusals (non-2xx), its trials were disturbed or its machine
noisy, its server was restarted, or its contender does not answer by the article's trial
division. A mark says so in the cell; the table's notes say what the mark means.
"""

from __future__ import annotations

from collections.abc import Mapping

from primebench.lab.model.bench_records import STALL_S
from primebench.lab.model.results import (
    ARTICLE_ALGORITHM,
    Document,
    PointRecord,
    ScenarioRecord,
)
from primebench.lab.render import units as fmt

__all__ = [
    "ALGORITHM_MARK",
    "BOUND_MARK",
    "LEGACY_ALGORITHMS",
    "NON_2XX_MARK",
    "algorithm",
    "algorithm_labels",
    "algorithm_notes",
    "answer_counts",
    "marks_notes",
    "named",
]

BOUND_MARK = "†"
AA_MARK = "#aa"  # protocol.AA_SUFFIX: the A/A twin is the same program
NON_2XX_MARK = "‡"
ALGORITHM_MARK = "§"


def answer_counts(point: PointRecord) -> tuple[int, int]:
    """(answers, non-2xx answers) over the point's successful measured runs."""
    loads = [r.load for r in point.runs if r.status == "ok" and r.load is not None]
    return sum(x.requests for x in loads), sum(x.non_2xx for x in loads)


def stopping_note(scenario: ScenarioRecord) -> str:
    """How many rounds each arm got and why (`--rounds auto`); '' for fixed rounds."""
    stops = [
        (r.contender, p.stopping)
        for r in scenario.results
        for p in r.points
        if p.stopping is not None and p.stopping.reason != "fixed"
    ]
    if not stops:
        return ""
    words = {
        "precision": "precise",
        "maximum": "maximum",
        "cannot-answer": "cannot answer",
        "budget": "budget spent",
    }
    budget = ""
    if any(stop.reason == "budget" for _, stop in stops):
        budget = (
            "; 'budget spent': the next round would not have fitted the run's time budget, "
            "so its interval is wider than the target and reported as it stands"
        )
    cells = []
    for name, stop in stops:
        width = "" if stop.halfwidth is None else f" ±{stop.halfwidth * 100:.1f} %"
        cells.append(f"{name} {stop.rounds} ({words.get(stop.reason, stop.reason)}{width})")
    return (
        "rounds per arm (--rounds auto: 3-10, an arm stops once its interval is within the "
        "target; 'cannot answer': below 1 req/s or only timeouts, decided after one trial, "
        "its figure and timeouts are from the rounds it ran" + budget + "): " + ", ".join(cells)
    )


def marks_notes(scenario: ScenarioRecord) -> tuple[str, ...]:
    notes = []
    if stopped := stopping_note(scenario):
        notes.append(stopped)
    if any(p.generator_bound for r in scenario.results for p in r.points):
        notes.append(
            f"{BOUND_MARK} generator-bound: the load generator used up its cores (or was "
            "starved on them by other processes): this figure is the tool's limit, not the server's."
        )
    disturbed = {
        r.contender: n
        for r in scenario.results
        if (n := sum(x.disturbed for p in r.points for x in p.runs))
    }
    if disturbed:
        which = ", ".join(f"{name} {n}" for name, n in disturbed.items())
        notes.append(
            "disturbed trials (CPU steal or other processes > 10% of the cores used, or for "
            f"an open-loop latency trial >= {STALL_S * 1000:.0f} ms of steal): {which}"
            "; with --strict they are measured again (kind 'repeated' in the document)."
        )
    refused = {
        r.contender: answer_counts(p)
        for r in scenario.results
        for p in r.points
        if answer_counts(p)[1]
    }
    if refused:
        which = ", ".join(f"{name} {bad:,} of {total:,}" for name, (total, bad) in refused.items())
        notes.append(
            f"{NON_2XX_MARK} non-2xx answers ({which}): req/s counts only 2xx answers; latency "
            "and throughput include every answer, so fast refusals (503) make them look good."
        )
    noisy = {
        r.contender: max(x.server_cores_foreign or 0.0 for x in p.runs)
        for r in scenario.results
        for p in r.points
        if any(x.noisy for x in p.runs)
    }
    if noisy:
        worst = ", ".join(f"{name} {share * 100:.0f}%" for name, share in noisy.items())
        notes.append(
            "noisy machine: other processes used a share of the server's cores during runs of "
            f"{worst} (worst run); those figures understate the server."
        )
    restarted = {
        r.contender: n
        for r in scenario.results
        if (n := sum(x.restarted_after for p in r.points for x in (*p.runs, p.warmup) if x))
    }
    if restarted:
        which = ", ".join(f"{name} ({n}x)" for name, n in restarted.items())
        notes.append(
            f"restarted between runs: {which}: still working off the requests a finished run "
            "had left queued when the settle deadline passed (--settle-timeout)."
        )
    for run in scenario.results:
        if run.status not in ("ok",):
            notes.append(f"{run.contender}: {run.status}: {fmt.short(run.reason)}")
        for point in run.points:
            if point.status != "ok" and run.status == "ok":
                notes.append(
                    f"{run.contender} {point.label}: {point.status}: {fmt.short(point.reason)}"
                )
    return tuple(notes)


#: Documents written before contenders recorded their `algorithm` (manifest key) say
#: nothing of it: for them alone, the contenders known then not to answer by the article's
#: trial division, by name, so the reports committed then render as they did.
LEGACY_ALGORITHMS: Mapping[str, str] = {
    "primebench": "differs: a sieved prime table, then primecount; no trial division",
}


def algorithm_labels(doc: Document) -> dict[str, str]:
    """Each contender's algorithm as its document recorded it.

    A contender recorded without one (a document older than the field, or a running
    `--target`, whose code the lab never saw) falls back to `LEGACY_ALGORITHMS` by name,
    else to the article's trial division.
    """
    return {
        c.name: c.algorithm
        if c.algorithm is not None
        else LEGACY_ALGORITHMS.get(c.name, ARTICLE_ALGORITHM)
        for c in doc.contenders
    }


def algorithm(name: str, labels: Mapping[str, str]) -> str:
    """The article's trial division, or what the contender does instead (said, never hidden).

    An A/A twin (`name#aa`) is the same program as `name`. A name missing from `labels`
    counts as the article's (a document's labels name every contender it holds).
    """
    return labels.get(name.split(AA_MARK)[0], ARTICLE_ALGORITHM)


def named(name: str, labels: Mapping[str, str]) -> str:
    """The contender's name, marked when it does not run the article's algorithm."""
    differs = algorithm(name, labels) != ARTICLE_ALGORITHM
    return name + (f" {ALGORITHM_MARK}" if differs else "")


def algorithm_notes(scenario: ScenarioRecord, labels: Mapping[str, str]) -> list[str]:
    """What each marked contender does instead (once: not again for its A/A twin)."""
    return [
        f"{ALGORITHM_MARK} {run.contender}: {algorithm(run.contender, labels)}."
        for run in scenario.results
        if AA_MARK not in run.contender and algorithm(run.contender, labels) != ARTICLE_ALGORITHM
    ]
