"""The results document: one versioned JSON file per bench, with the tools' raw output beside it.

Reports and comparisons are rendered from these documents, never from live state
(pyperf `_bench.py`, asv `results.py`). A failure is data: a contender that did not
build, start, verify, or that died mid-run is recorded with its status and reason, and
its figures are absent, never zero. The loader refuses a `schema_version` it does not
know, so an old report never silently misreads a newer file.

Layout: document -> scenarios -> one `ContenderRun` per arm (a contender the lab started,
the A/A twin of the baseline, or an already running target) -> points (one figure each)
-> runs (warm-up and one measured trial per round). Each scenario also records its rounds'
orders (with the document's seed) and the comparisons of every arm against the baseline:
per-round paired ratios, their geometric mean and bootstrap interval, and the verdict.

Schema 2 (interleaved rounds) replaced schema 1 (runs back to back per contender).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from primebench.errors import UserError
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.stats import Summary
from primebench.lab.model.verdicts import Comparison

__all__ = [
    "SCHEMA_VERSION",
    "ContenderInfo",
    "ContenderRun",
    "Document",
    "PointComparison",
    "PointRecord",
    "RoundOrder",
    "RunRecord",
    "ScenarioRecord",
    "from_json",
    "load",
    "save",
]

SCHEMA_VERSION = 2
KIND = "primebench-results"
NOISY_SHARE = 0.10

#: Figures summarised per point over its measured runs, in report order (see `RunRecord.metric`).
METRICS = (
    "req_per_s",
    "latency_avg_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "throughput_bytes_per_s",
    "cpu_s_per_request",
    "server_peak_rss_bytes",
)


@dataclass(frozen=True)
class RunRecord:
    """One tool run against one server: warm-up, measured, or the rate scenario's capacity probe.

    `load` is the measured stream; `background` the convoy's heavy stream, when there is
    one. Server figures cover the run's wall time; `generator_bound` says the generator's
    cores were saturated, so the run measured the tool rather than the server.
    `server_cores_foreign` is the share of the server's cores that *other* processes used
    during the run (from the kernel's per-core counters): above ~10 % the machine was not
    quiet and the run is `noisy`. `restarted_after` says the server had not worked off
    this run's backlog by the settle deadline and was restarted before the next run.
    `server_processes` counts the server's process tree at the end of the run (master and
    workers), so peak RSS can be read per process. `index` is the round of a measured trial.
    `disturbance` is the CPU steal and other processes' CPU on the server's and the
    generator's cores during the trial (`disturbance.Disturbance.to_json`); a `disturbed`
    trial that `--strict` measured again is kept with kind "repeated" and not used.
    `generator_share` is the generator's CPU time over the run's wall time (cores of one):
    where it shares the server's cores (`cpus_overlap`), that much was taken from the server.
    """

    kind: str  # "warmup" | "measured" | "probe" | "repeated"
    index: int
    status: str  # "ok" | "failed"
    reason: str
    load: LoadResult | None
    background: LoadResult | None
    server_cpu_s: float | None
    server_peak_rss_bytes: int | None
    cpu_s_per_request: float | None
    generator_cpu_s: float
    generator_wall_s: float
    generator_cores: int
    generator_bound: bool
    settle_s: float | None
    raw: tuple[str, ...] = ()
    generator_cores_busy: float | None = None
    server_cores_foreign: float | None = None
    restarted_after: bool = False
    server_processes: int | None = None
    disturbance: Mapping[str, Any] | None = None
    disturbed: bool = False
    generator_share: float | None = None
    cpus_overlap: tuple[int, ...] = ()

    @property
    def noisy(self) -> bool:
        """Other processes used a noticeable share of the server's cores during the run."""
        return self.server_cores_foreign is not None and self.server_cores_foreign > NOISY_SHARE

    def metric(self, name: str) -> float | None:
        """One of METRICS for this run (None when the run has no such figure)."""
        if name == "cpu_s_per_request":
            return self.cpu_s_per_request
        if name == "server_peak_rss_bytes":
            return None if self.server_peak_rss_bytes is None else float(self.server_peak_rss_bytes)
        if self.load is None:
            return None
        if name == "req_per_s":
            return self.load.req_per_s
        if name == "throughput_bytes_per_s":
            return self.load.throughput_bytes_per_s
        lat = self.load.latency_ms
        if lat is None or not name.startswith("latency_"):
            return None
        value: float = getattr(lat, name.removeprefix("latency_").removesuffix("_ms"))
        return value

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "index": self.index,
            "status": self.status,
            "reason": self.reason,
            "load": None if self.load is None else self.load.to_json(),
            "background": None if self.background is None else self.background.to_json(),
            "server_cpu_s": self.server_cpu_s,
            "server_peak_rss_bytes": self.server_peak_rss_bytes,
            "cpu_s_per_request": self.cpu_s_per_request,
            "generator_cpu_s": self.generator_cpu_s,
            "generator_wall_s": self.generator_wall_s,
            "generator_cores": self.generator_cores,
            "generator_bound": self.generator_bound,
            "settle_s": self.settle_s,
            "generator_cores_busy": self.generator_cores_busy,
            "server_cores_foreign": self.server_cores_foreign,
            "restarted_after": self.restarted_after,
            "server_processes": self.server_processes,
            "disturbance": None if self.disturbance is None else dict(self.disturbance),
            "disturbed": self.disturbed,
            "generator_share": self.generator_share,
            "cpus_overlap": list(self.cpus_overlap),
            "raw": list(self.raw),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RunRecord:
        values = dict(d)
        values["load"] = None if d["load"] is None else LoadResult.from_json(d["load"])
        values["background"] = (
            None if d["background"] is None else LoadResult.from_json(d["background"])
        )
        values["raw"] = tuple(d.get("raw", ()))
        values["cpus_overlap"] = tuple(d.get("cpus_overlap", ()))
        return cls(**values)


def _summary_from_json(d: Mapping[str, Any]) -> Summary:
    return Summary(
        d["median"], d["mad"], d["spread"], d["min"], d["max"], d["count"], d["high_spread"]
    )


@dataclass(frozen=True)
class PointRecord:
    """One figure of a scenario (one n, one rate, one convoy phase) for one contender."""

    key: str
    label: str
    params: Mapping[str, Any]
    status: str  # "ok" | "failed" | "skipped"
    reason: str
    runs: tuple[RunRecord, ...]
    summary: Mapping[str, Summary]
    generator_bound: bool
    warmup: RunRecord | None = None
    server_cpus: tuple[int, ...] = ()
    generator_cpus: tuple[int, ...] = ()
    parallelism: Mapping[str, Any] | None = None

    def median(self, metric: str) -> float | None:
        """The median of `metric` over measured runs, None when not measured."""
        found = self.summary.get(metric)
        return None if found is None else found.median

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "params": dict(self.params),
            "status": self.status,
            "reason": self.reason,
            "warmup": None if self.warmup is None else self.warmup.to_json(),
            "runs": [r.to_json() for r in self.runs],
            "summary": {k: v.to_json() for k, v in self.summary.items()},
            "generator_bound": self.generator_bound,
            "server_cpus": list(self.server_cpus),
            "generator_cpus": list(self.generator_cpus),
            "parallelism": None if self.parallelism is None else dict(self.parallelism),
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PointRecord:
        return cls(
            key=d["key"],
            label=d["label"],
            params=dict(d["params"]),
            status=d["status"],
            reason=d["reason"],
            runs=tuple(RunRecord.from_json(r) for r in d["runs"]),
            summary={k: _summary_from_json(v) for k, v in d["summary"].items()},
            generator_bound=d["generator_bound"],
            warmup=None if d["warmup"] is None else RunRecord.from_json(d["warmup"]),
            server_cpus=tuple(d["server_cpus"]),
            generator_cpus=tuple(d["generator_cpus"]),
            parallelism=d["parallelism"],
        )


@dataclass(frozen=True)
class ContenderRun:
    """One arm through one scenario: how it started, whether it verified, its points.

    `arm` is "contender" (started by the lab), "aa" (the baseline's A/A twin) or "target"
    (an already running service at `url`: not built, started, stopped or pinned by the lab).
    """

    contender: str
    status: str  # "ok" | "failed" | "unavailable"
    reason: str
    startup_s: float | None
    conformance: Mapping[str, Any] | None
    points: tuple[PointRecord, ...]
    probe: RunRecord | None = None
    server_log: str = ""
    arm: str = "contender"
    url: str = ""

    def point(self, key: str) -> PointRecord | None:
        return next((p for p in self.points if p.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "contender": self.contender,
            "status": self.status,
            "reason": self.reason,
            "startup_s": self.startup_s,
            "conformance": None if self.conformance is None else dict(self.conformance),
            "probe": None if self.probe is None else self.probe.to_json(),
            "points": [p.to_json() for p in self.points],
            "server_log": self.server_log,
            "arm": self.arm,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ContenderRun:
        return cls(
            contender=d["contender"],
            status=d["status"],
            reason=d["reason"],
            startup_s=d["startup_s"],
            conformance=d["conformance"],
            points=tuple(PointRecord.from_json(p) for p in d["points"]),
            probe=None if d["probe"] is None else RunRecord.from_json(d["probe"]),
            server_log=d.get("server_log", ""),
            arm=d["arm"],
            url=d["url"],
        )


@dataclass(frozen=True)
class RoundOrder:
    """The order in which one round measured the arms of one point."""

    point: str
    index: int
    order: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"point": self.point, "index": self.index, "order": list(self.order)}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> RoundOrder:
        return cls(d["point"], d["index"], tuple(d["order"]))


@dataclass(frozen=True)
class PointComparison:
    """One arm against the baseline at one point; `aa` marks the A/A (noise floor) pair."""

    point: str
    comparison: Comparison
    aa: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"point": self.point, "aa": self.aa, **self.comparison.to_json()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> PointComparison:
        fields = {k: v for k, v in d.items() if k not in ("point", "aa")}
        return cls(d["point"], Comparison.from_json(fields), bool(d["aa"]))


@dataclass(frozen=True)
class ScenarioRecord:
    """A scenario's settings (as run), each arm's outcome, its rounds and comparisons.

    `noise` maps a point to the A/A half-width used as its noise floor (absent: not
    calibrated); `smallest_resolvable` is the smallest relative difference the scenario
    could have claimed (from the narrowest interval and the noise floor).
    """

    name: str
    settings: Mapping[str, Any]
    results: tuple[ContenderRun, ...]
    rounds: tuple[RoundOrder, ...] = ()
    comparisons: tuple[PointComparison, ...] = ()
    noise: Mapping[str, float] = field(default_factory=dict)
    smallest_resolvable: float | None = None

    def result(self, contender: str) -> ContenderRun | None:
        return next((r for r in self.results if r.contender == contender), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "settings": dict(self.settings),
            "results": [r.to_json() for r in self.results],
            "rounds": [r.to_json() for r in self.rounds],
            "comparisons": [c.to_json() for c in self.comparisons],
            "noise": dict(self.noise),
            "smallest_resolvable": self.smallest_resolvable,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ScenarioRecord:
        return cls(
            d["name"],
            dict(d["settings"]),
            tuple(ContenderRun.from_json(r) for r in d["results"]),
            tuple(RoundOrder.from_json(r) for r in d["rounds"]),
            tuple(PointComparison.from_json(c) for c in d["comparisons"]),
            dict(d["noise"]),
            d["smallest_resolvable"],
        )


ARTICLE_ALGORITHM = "trial division, as the article"
"""A contender's `algorithm` when it answers as the article's servers do (the default)."""


@dataclass(frozen=True)
class ContenderInfo:
    """What a contender is, independent of any scenario: version, build, artifact."""

    name: str
    language: str
    description: str
    differs_from_article: str
    available: bool
    reason: str
    version: str
    build: Mapping[str, Any]
    artifact: Mapping[str, Any] | None
    algorithm: str | None = None  # from the manifest; None: written before the field existed

    def to_json(self) -> dict[str, Any]:
        optional = {} if self.algorithm is None else {"algorithm": self.algorithm}
        return {
            "name": self.name,
            "language": self.language,
            "description": self.description,
            "differs_from_article": self.differs_from_article,
            "available": self.available,
            "reason": self.reason,
            "version": self.version,
            "build": dict(self.build),
            "artifact": None if self.artifact is None else dict(self.artifact),
            **optional,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ContenderInfo:
        return cls(**{**d, "build": dict(d["build"])})


@dataclass(frozen=True)
class Document:
    """A whole bench: where and how it ran, and every scenario's results."""

    created_utc: str
    command: tuple[str, ...]
    machine: Mapping[str, Any]
    tools: Mapping[str, str]
    pinning: Mapping[str, Any]
    contenders: tuple[ContenderInfo, ...]
    scenarios: tuple[ScenarioRecord, ...]
    raw_dir: str = ""
    notes: tuple[str, ...] = field(default=())
    protocol: Mapping[str, Any] = field(default_factory=dict)

    def scenario(self, name: str) -> ScenarioRecord | None:
        return next((s for s in self.scenarios if s.name == name), None)

    def contender(self, name: str) -> ContenderInfo | None:
        return next((c for c in self.contenders if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "created_utc": self.created_utc,
            "command": list(self.command),
            "machine": dict(self.machine),
            "tools": dict(self.tools),
            "pinning": dict(self.pinning),
            "protocol": dict(self.protocol),
            "raw_dir": self.raw_dir,
            "notes": list(self.notes),
            "contenders": [c.to_json() for c in self.contenders],
            "scenarios": [s.to_json() for s in self.scenarios],
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Document:
        return cls(
            created_utc=d["created_utc"],
            command=tuple(d["command"]),
            machine=dict(d["machine"]),
            tools=dict(d["tools"]),
            pinning=dict(d["pinning"]),
            contenders=tuple(ContenderInfo.from_json(c) for c in d["contenders"]),
            scenarios=tuple(ScenarioRecord.from_json(s) for s in d["scenarios"]),
            raw_dir=d.get("raw_dir", ""),
            notes=tuple(d.get("notes", ())),
            protocol=dict(d["protocol"]),
        )


def save(doc: Document, path: Path) -> None:
    """Write `doc` as indented JSON (stable key order, so two runs diff cleanly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")


def load(path: Path) -> Document:
    """Read a results document; a missing file, bad JSON or unknown schema is a `UserError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read results file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not JSON: {exc}") from exc
    return from_json(data, str(path))


def from_json(data: Any, where: str = "results document") -> Document:
    """Check the kind and schema version, then build the typed document."""
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise UserError(f"{where} is not a primebench results document (kind must be {KIND!r})")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise UserError(
            f"{where} has schema_version {version!r}; this primebench reads only {SCHEMA_VERSION} "
            "(re-run the bench, or use the primebench version that wrote it)"
        )
    try:
        return Document.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UserError(
            f"{where} is malformed for schema_version {SCHEMA_VERSION}: {exc!r}"
        ) from exc
