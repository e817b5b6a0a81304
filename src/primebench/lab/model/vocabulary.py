"""The closed vocabularies of a results document: every word a status or kind may be.

Plain-string words are `Literal` types, so the document keeps its strings and mypy strict
(`strict_equality`) rejects a typo where a value is written (`status="faild"`) or compared
(`run.kind == "measurd"`); the loader rejects one in a file, naming the field. Words that
are also choices in a contender's manifest are `StrEnum`s, which the manifest parser
checks by their values.

`RECORD_CONFIG` is the one pydantic setting every record of the document carries: a key
the model does not know is an error, not silently dropped, and the generated schema lists
every key as required, because every key is always written.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict

__all__ = [
    "RECORD_CONFIG",
    "ArmKind",
    "ArtifactKind",
    "ContenderStatus",
    "Contract",
    "LoadTool",
    "Metric",
    "PointStatus",
    "ProcessRole",
    "StopReason",
    "TrialKind",
    "TrialStatus",
]

#: The figures a trial has and a point summarises (`RunRecord.metric`), and so the keys of
#: a point's summary and the metric a scenario compares.
Metric = Literal[
    "req_per_s",
    "latency_avg_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "throughput_bytes_per_s",
    "cpu_s_per_request",
    "server_peak_rss_bytes",
]
#: One tool run: the warm-up, a measured round, the rate scenario's capacity probe, or a
#: disturbed measured trial that `--strict` measured again (kept, never used).
TrialKind = Literal["warmup", "measured", "probe", "repeated"]
#: A trial measured (`ok`) or did not, with its reason (`failed`).
TrialStatus = Literal["ok", "failed"]
#: A point was measured, every measured trial failed, or it was not tried (with a reason).
PointStatus = Literal["ok", "failed", "skipped"]
#: Why an arm's rounds of a point ended: a fixed `--rounds N` ran out; its comparison's
#: interval reached the target precision (`--rounds auto`); it reached the maximum rounds
#: without; it could not answer (only timeouts, or below 1 req/s) and was decided at once;
#: or the next round would not have fitted the time budget (`--budget`).
StopReason = Literal["fixed", "precision", "maximum", "cannot-answer", "budget"]
#: An arm ran the scenario, failed to build, start, verify or stay up, or its toolchain
#: is absent (not a failure of the contender).
ContenderStatus = Literal["ok", "failed", "unavailable"]
#: A contender the lab started, the baseline's A/A twin, or an already running target.
ArmKind = Literal["contender", "aa", "target"]
#: A server process by its place in the tree: the process the lab started (`main`), its
#: children (`worker`: granian's workers, a cluster's), their children that compute
#: (`pool`), and multiprocessing's own helpers (`helper`: resource tracker, forkserver).
ProcessRole = Literal["main", "worker", "pool", "helper"]
#: The load generators whose output the lab reads.
LoadTool = Literal["autocannon", "wrk", "oha"]


class Contract(StrEnum):
    """Which input contract conformance checks: the article's servers only record bad input."""

    SEED = "seed"
    STRICT = "strict"


class ArtifactKind(StrEnum):
    """What an artifact's bytes are: one binary, or a runtime with its installed dependencies."""

    BINARY = "binary"
    RUNTIME_DEPS = "runtime+deps"


RECORD_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)
