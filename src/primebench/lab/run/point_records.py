"""A point's record from its trials: the median and range of every figure over the kept,
successful trials, and why a point failed or was skipped.

Pure, and apart from the trial itself (`measure.py`): the round loop calls it once per
point, and the tests build records with it the way the lab does.
"""

from __future__ import annotations

from primebench.lab.host.resources import Pinning
from primebench.lab.model import stats
from primebench.lab.model.bench_records import Parallelism
from primebench.lab.model.results import METRICS, PointRecord, RunRecord
from primebench.lab.model.vocabulary import Metric, PointStatus
from primebench.lab.scenarios.base import Point

__all__ = ["summarize_point"]


def summarize_point(
    point: Point,
    runs: list[RunRecord],
    warmup: RunRecord | None,
    skipped: str = "",
    *,
    pinning: Pinning | None = None,
    parallelism: Parallelism | None = None,
) -> PointRecord:
    """The point's record: median and range of every figure over its kept, successful trials.

    Trials that `--strict` measured again (kind "repeated") are kept in the record, not used.
    """
    server_cpus = tuple(sorted(pinning.server)) if pinning else ()
    generator_cpus = tuple(sorted(pinning.generator)) if pinning else ()
    if skipped:
        return PointRecord(
            key=point.key,
            label=point.label,
            params=dict(point.params),
            status="skipped",
            reason=skipped,
            warmup=warmup,
            runs=tuple(runs),
            summary={},
            generator_bound=False,
            server_cpus=server_cpus,
            generator_cpus=generator_cpus,
            parallelism=parallelism,
        )
    kept = [r for r in runs if r.kind == "measured"]
    ok = [r for r in kept if r.status == "ok"]
    summary: dict[Metric, stats.Summary] = {}
    for metric in METRICS:
        values = [v for r in ok if (v := r.metric(metric)) is not None]
        if values:
            summary[metric] = stats.summarize(values)
    failed = [r for r in kept if r.status != "ok"]
    status: PointStatus = "ok" if ok else "failed"
    reason = "" if ok else (failed[0].reason if failed else "no measured run")
    if ok and failed:
        reason = f"{len(failed)} of {len(kept)} trials failed: {failed[0].reason}"
    return PointRecord(
        key=point.key,
        label=point.label,
        params=dict(point.params),
        status=status,
        reason=reason,
        runs=tuple(runs),
        summary=summary,
        generator_bound=any(r.generator_bound for r in ok),
        warmup=warmup,
        server_cpus=server_cpus,
        generator_cpus=generator_cpus,
        parallelism=parallelism,
    )
