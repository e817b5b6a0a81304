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

Schema 2 (interleaved rounds) replaced schema 1 (runs back to back per contender). The
dataclasses below are the format: `codec` reads and writes them by their annotations
(pydantic); `results.schema.json` is generated from them (`python -m
primebench.lab.model.results_schema`), so a field is declared once. Closed vocabularies
are in `vocabulary`; the records of contenders, of the bench's host and of comparisons
in `contender_records`, `bench_records` and `comparison_records`. Only `params` and
`settings` stay open JSON objects: what they hold is the scenario's to say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, get_args

from pydantic import (
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from primebench.errors import UserError
from primebench.lab.model import codec
from primebench.lab.model.bench_records import (
    CorePinning,
    Disturbance,
    Machine,
    Parallelism,
    Protocol,
    RoundOrder,
    Stopping,
)
from primebench.lab.model.comparison_records import PointComparison, own_noise
from primebench.lab.model.contender_records import ArtifactSize, BuildOutcome, Conformance
from primebench.lab.model.load_records import LoadResult
from primebench.lab.model.process_records import ProcessMemory
from primebench.lab.model.stats import Summary
from primebench.lab.model.vocabulary import (
    RECORD_CONFIG,
    ArmKind,
    ContenderStatus,
    Metric,
    PointStatus,
    TrialKind,
    TrialStatus,
)

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
#: `created_utc`, as `session` writes it: second resolution, UTC.
UTC_STAMP = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"

#: `PointRecord.stopping` in the schema: optional (never null), so written out by hand.
STOPPING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["rounds", "reason", "halfwidth", "target"],
    "properties": {
        "rounds": {"type": "integer", "minimum": 0},
        "reason": {"enum": ["fixed", "precision", "maximum", "cannot-answer", "budget"]},
        "halfwidth": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "target": {"anyOf": [{"type": "number"}, {"type": "null"}]},
    },
}

#: Figures summarised per point over its measured runs, in report order (see `RunRecord.metric`).
METRICS: tuple[Metric, ...] = get_args(Metric)


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
    generator's cores during the trial; a `disturbed` trial that `--strict` measured again
    is kept with kind "repeated" and not used.
    `generator_share` is the generator's CPU time over the run's wall time (cores of one):
    where it shares the server's cores (`cpus_overlap`), that much was taken from the server.
    A trial that is ok has its load; one that failed says why.
    `processes` is every process of the server's tree at the end of the run, apart (the
    soak scenario's windows record it; absent elsewhere, and in documents written before
    it existed, which therefore round-trip unchanged).
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        **RECORD_CONFIG,
        json_schema_extra={
            "if": {"properties": {"status": {"const": "ok"}}},
            "then": {"properties": {"load": {"type": "object"}}},
            "else": {"properties": {"reason": {"minLength": 1}}},
        },
    )

    kind: TrialKind
    index: NonNegativeInt
    status: TrialStatus
    reason: str
    load: LoadResult | None
    background: LoadResult | None
    server_cpu_s: float | None
    server_peak_rss_bytes: NonNegativeInt | None
    cpu_s_per_request: float | None
    generator_cpu_s: NonNegativeFloat
    generator_wall_s: NonNegativeFloat
    generator_cores: PositiveInt
    generator_bound: bool
    settle_s: float | None
    generator_cores_busy: float | None = None
    server_cores_foreign: float | None = None
    restarted_after: bool = False
    server_processes: NonNegativeInt | None = None
    disturbance: Disturbance | None = None
    disturbed: bool = False
    generator_share: float | None = None
    cpus_overlap: tuple[NonNegativeInt, ...] = ()
    raw: tuple[str, ...] = ()
    processes: Annotated[
        tuple[ProcessMemory, ...] | None, Field(exclude_if=lambda v: v is None)
    ] = None

    @property
    def noisy(self) -> bool:
        """Other processes used a noticeable share of the server's cores during the run."""
        return self.server_cores_foreign is not None and self.server_cores_foreign > NOISY_SHARE

    def metric(self, name: Metric) -> float | None:
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

    @model_validator(mode="after")
    def _measured_or_explained(self) -> RunRecord:
        if self.status == "ok" and self.load is None:
            raise ValueError("a trial that is ok must have its load")
        if self.status == "failed" and not self.reason:
            raise ValueError("a failed trial must say why (reason)")
        return self


@dataclass(frozen=True, kw_only=True)
class PointRecord:
    """One figure of a scenario (one n, one rate, one convoy phase) for one contender.

    `params` are the point's settings as the scenario names them (`n`, `rate`, `cores`...).
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    key: str
    label: str
    params: Mapping[str, Any]
    status: PointStatus
    reason: str
    warmup: RunRecord | None = None
    runs: tuple[RunRecord, ...]
    summary: Mapping[Metric, Summary]
    generator_bound: bool
    server_cpus: tuple[NonNegativeInt, ...] = ()
    generator_cpus: tuple[NonNegativeInt, ...] = ()
    parallelism: Parallelism | None = None
    # How many rounds this arm got here and why they ended. None: a document from before
    # rounds could stop early; not written then, so those round-trip byte for byte.
    stopping: Annotated[
        Stopping | None,
        Field(exclude_if=lambda v: v is None),
        WithJsonSchema(STOPPING_SCHEMA),
    ] = None

    def median(self, metric: Metric) -> float | None:
        """The median of `metric` over measured runs, None when not measured."""
        found = self.summary.get(metric)
        return None if found is None else found.median


@dataclass(frozen=True, kw_only=True)
class ContenderRun:
    """One arm through one scenario: how it started, whether it verified, its points.

    `arm` is "contender" (started by the lab), "aa" (the baseline's A/A twin) or "target"
    (an already running service at `url`: not built, started, stopped or pinned by the lab).
    `reason` is '' exactly when the arm is ok.
    """

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(
        **RECORD_CONFIG,
        json_schema_extra={
            "if": {"properties": {"status": {"const": "ok"}}},
            "then": {"properties": {"reason": {"const": ""}}},
            "else": {"properties": {"reason": {"minLength": 1}}},
        },
    )

    contender: str
    status: ContenderStatus
    reason: str
    startup_s: float | None
    conformance: Conformance | None
    probe: RunRecord | None = None
    points: tuple[PointRecord, ...]
    server_log: str = ""
    arm: ArmKind = "contender"
    url: str = ""

    def point(self, key: str) -> PointRecord | None:
        return next((p for p in self.points if p.key == key), None)

    @model_validator(mode="after")
    def _reason_exactly_when_not_ok(self) -> ContenderRun:
        if (self.status == "ok") != (self.reason == ""):
            raise ValueError(
                f"an arm that is {self.status!r} must have a reason exactly when not ok"
            )
        return self


@dataclass(frozen=True)
class ScenarioRecord:
    """A scenario's settings (as run), each arm's outcome, its rounds and comparisons.

    `noise` maps a point to the baseline twin's A/A half-width (absent: not calibrated),
    `noise_for` a `--twin` arm's own; `smallest_resolvable` is the smallest relative
    difference the scenario could have claimed (from the intervals and the noise floor).
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    name: str
    settings: Mapping[str, Any]
    results: tuple[ContenderRun, ...]
    rounds: tuple[RoundOrder, ...] = ()
    comparisons: tuple[PointComparison, ...] = ()
    noise: Mapping[str, NonNegativeFloat] = field(default_factory=dict)
    smallest_resolvable: float | None = None

    def result(self, contender: str) -> ContenderRun | None:
        return next((r for r in self.results if r.contender == contender), None)

    def noise_for(self, point: str, baseline: str) -> float | None:
        """A comparison's noise floor: its baseline's own A/A pair, else the point's."""
        return own_noise(self.comparisons, point, baseline, self.noise.get(point))


ARTICLE_ALGORITHM = "trial division, as the article"
"""A contender's `algorithm` when it answers as the article's servers do (the default)."""


@dataclass(frozen=True)
class ContenderInfo:
    """What a contender is, independent of any scenario: version, build, artifact."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    name: str
    language: str
    description: str
    differs_from_article: str
    available: bool
    reason: str
    version: str
    build: BuildOutcome
    artifact: ArtifactSize | None
    # From the manifest. None: written before the field existed, and then not written at
    # all, so those documents round-trip byte for byte (in the schema: optional, a string).
    algorithm: Annotated[
        str | None,
        Field(exclude_if=lambda v: v is None),
        WithJsonSchema({"type": "string", "minLength": 1}),
    ] = None


@dataclass(frozen=True, kw_only=True)
class Document:
    """A whole bench: where and how it ran, and every scenario's results.

    The file also carries `schema_version` and `kind` first (`to_json`); they say how to
    read it, so they are checked before the rest is, and are not fields.
    """

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    created_utc: Annotated[str, Field(pattern=UTC_STAMP)]
    command: tuple[str, ...]
    machine: Machine
    tools: Mapping[str, str]
    pinning: CorePinning
    protocol: Protocol
    raw_dir: str = ""
    notes: tuple[str, ...] = ()
    contenders: tuple[ContenderInfo, ...]
    scenarios: tuple[ScenarioRecord, ...]

    def scenario(self, name: str) -> ScenarioRecord | None:
        return next((s for s in self.scenarios if s.name == name), None)

    def contender(self, name: str) -> ContenderInfo | None:
        return next((c for c in self.contenders if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The document as JSON values, version and kind first."""
        data: dict[str, Any] = codec.dump(self)
        return {"schema_version": SCHEMA_VERSION, "kind": KIND, **data}


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
    """Check the kind and schema version, then build the typed document.

    Every field is checked against its type, every status and kind against its
    vocabulary: a malformed document is a `UserError` that names the fields at fault.
    """
    if not isinstance(data, dict) or data.get("kind") != KIND:
        raise UserError(f"{where} is not a primebench results document (kind must be {KIND!r})")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise UserError(
            f"{where} has schema_version {version!r}; this primebench reads only {SCHEMA_VERSION} "
            "(re-run the bench, or use the primebench version that wrote it)"
        )
    fields = {k: v for k, v in data.items() if k not in ("schema_version", "kind")}
    try:
        return codec.parse(Document, fields)
    except ValidationError as exc:
        raise UserError(
            f"{where} is malformed for schema_version {SCHEMA_VERSION}: {codec.explain(exc)}"
        ) from exc
