"""The bench protocol: arms started once, then measured in interleaved, randomized rounds.

Per scenario: every arm (a contender, the baseline's A/A twin with `--calibrate`, or an
already running `--target`) is made ready first (availability -> build -> start with a
readiness deadline -> verify, once per bench in the arm's first scenario -> primer), and
its server is then kept warm across rounds.
Per point: a warm-up of every arm, then `rounds` rounds, each measuring every arm once in
a fresh random order (`protocol.round_orders`, seed recorded), so a drift of the machine
hits every arm alike. After the rounds, every arm is compared with the baseline by paired
per-round ratios (`protocol.point_comparisons`).

Why warm servers, not a restart per trial: a restart costs every trial a start-up, a
primer and a warm-up (python-jit compiles at start; granian forks workers), and its
cold-start effects would be measured as noise; a warm server is what the article measured.
Between trials the server just measured must settle (work off its backlog) or is restarted,
and the restart is recorded. See docs/LAB.md, "Protocol".

A failure is data: an arm that cannot build, start or verify, or dies mid-run, is recorded
with its reason and the bench goes on. Server and generator run on disjoint cores
(`resources.cpu_split`) except where a point shares them (cores scenario), which is recorded.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from primebench.lab.contenders import registry
from primebench.lab.contenders.registry import Contender, Contract, Registry
from primebench.lab.host import machine, resources
from primebench.lab.model import results
from primebench.lab.model.bench_records import Protocol
from primebench.lab.model.contender_records import BuildOutcome
from primebench.lab.model.results import ContenderInfo, Document, ScenarioRecord
from primebench.lab.run import arm_servers, loadgen, protocol, rounds
from primebench.lab.run.live import Live
from primebench.lab.run.loadgen import Generator
from primebench.lab.run.remote import RemoteServer
from primebench.lab.run.trials import Arm, ArmState
from primebench.lab.scenarios.base import ScenarioSettings

__all__ = ["BenchSettings", "NothingMeasured", "run_bench"]


class NothingMeasured(Exception):
    """Not one trial succeeded: the bench is a failure, not a document of failures."""


@dataclass(frozen=True)
class BenchSettings:
    """Everything one bench needs, checked at the CLI edge and passed down once."""

    registry: Registry
    tools_root: Path
    contenders: tuple[str, ...]  # local contenders to start (none: only --target arms)
    scenarios: tuple[ScenarioSettings, ...]
    pinning: resources.Pinning
    out_json: Path
    command: tuple[str, ...] = ()
    targets: tuple[RemoteServer, ...] = ()
    seed: int = 0
    baseline: str | None = None
    calibrate: bool = False
    twins: tuple[str, ...] = ()  # contenders given an A/A twin besides the baseline (--twin)
    strict: bool = False
    max_repeats: int = 2
    fresh_servers: bool = False
    start_deadline_s: float = 60.0
    # A server still computing a backlog 5 s after a trial is restarted (about 1 s) rather
    # than waited for: at 30 s the four slow Python arms made one article round ~10 min.
    settle_timeout_s: float = 5.0
    request_timeout_s: float = 10.0
    progress: Callable[[str], None] = field(
        default=lambda line: print(line, file=sys.stderr, flush=True)
    )
    live: Live | None = None  # the terminal's bar (`progress` is then usually this Live)

    @property
    def protocol(self) -> rounds.ProtocolSettings:
        return rounds.ProtocolSettings(
            self.seed,
            self.baseline,
            self.strict,
            self.max_repeats,
            self.fresh_servers,
            self.progress,
            *((self.live.plan, self.live.advance) if self.live is not None else ()),
        )

    @property
    def raw_dir(self) -> Path:
        """The tools' raw output, server logs and build logs: a folder beside the JSON, same stem."""
        return self.out_json.with_suffix("")

    def protocol_record(self) -> Protocol:
        return Protocol(
            seed=self.seed,
            rounds={s.name: s.rounds for s in self.scenarios},
            baseline=self.baseline,
            calibrate=self.calibrate,
            strict=self.strict,
            max_repeats=self.max_repeats if self.strict else 0,
            servers=(
                "restarted before every trial (--fresh-servers)"
                if self.fresh_servers
                else "kept warm across rounds; restarted only when they cannot settle"
            ),
        )


def run_bench(settings: BenchSettings) -> Document:
    """Run every scenario over every arm and save the document to `out_json`.

    The document is saved also when the bench is interrupted (with the scenarios that
    finished, and a note), so an hour of measurement is never lost to one Ctrl-C.

    A bench in which not one trial succeeded writes *no* document and raises
    `NothingMeasured` with every arm's reason. Why not a document marked failed: the
    results folder is what `report`, `compare` and the README's tables read, and a file
    there that holds no figure is a trap for every one of them (a careless `report
    results/*.json` renders empty tables as if they were results). The evidence is not
    lost: the reasons go to stderr, and the raw folder beside `out_json` keeps the
    server and build logs.
    """
    say = settings.progress
    selected = [settings.registry.get(name) for name in settings.contenders]
    tools = {str(g): loadgen.tool_version(g, settings.tools_root) for g in Generator}
    for name, version in tools.items():
        say(f"[bench] {name}: {version}")
    infos = {c.name: _prepare(c, settings) for c in selected}
    infos |= {t.name: _target_info(t) for t in settings.targets}
    arms = _arms(selected, infos, settings)
    scenarios: list[ScenarioRecord] = []
    notes: list[str] = []
    if settings.pinning.shared:
        notes.append("server and generator shared the only core: figures measure both together")
    verified: arm_servers.Verified = {}  # each arm verified once per bench
    try:
        for scenario in settings.scenarios:
            scenarios.append(_run_scenario(scenario, arms, infos, settings, verified))
    except KeyboardInterrupt:
        notes.append("interrupted: the document holds only what finished before Ctrl-C")
        raise
    finally:
        document = Document(
            created_utc=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            command=settings.command,
            machine=machine.describe(),
            tools=tools,
            pinning=settings.pinning.record(),
            contenders=tuple(infos.values()),
            scenarios=tuple(scenarios),
            raw_dir=settings.raw_dir.name,
            notes=tuple(notes),
            protocol=settings.protocol_record(),
        )
        if measured_anything(document):
            results.save(document, settings.out_json)
    if not measured_anything(document):
        raise NothingMeasured(all_failures(document))
    return document


def measured_anything(doc: Document) -> bool:
    """Did at least one point of one arm get a successful trial?"""
    return any(p.status == "ok" for s in doc.scenarios for r in s.results for p in r.points)


def all_failures(doc: Document) -> str:
    """Every arm's reason once, `scenario/arm: reason` joined by "; " (the first alone
    hides that, say, every contender failed to verify, not just one)."""
    found: list[str] = []
    for s in doc.scenarios:
        for r in s.results:
            reason = r.reason or next((p.reason for p in r.points if p.reason), "")
            if reason:
                found.append(f"{s.name}/{r.contender}: {reason}")
    unavailable = [f"{c.name}: {c.reason}" for c in doc.contenders if not c.available]
    return "; ".join(found or unavailable) or "no arm was available"


def missing_generators(settings: BenchSettings) -> list[str]:
    """The tools the selected scenarios need that are not installed (checked before anything)."""
    needed = {g for s in settings.scenarios for g in s.scenario.generators(s)}
    return sorted(str(g) for g in needed if loadgen.locate(g, settings.tools_root) is None)


def _arms(
    selected: list[Contender], infos: dict[str, ContenderInfo], settings: BenchSettings
) -> list[Arm]:
    """Contenders, then targets, then the A/A twins: the expected baseline's (`--calibrate`),
    then each `--twin` contender's."""
    arms = [Arm(c.name, c, "contender") for c in selected]
    arms += [
        Arm(t.name, _target_contender(t, settings.registry), "target", t) for t in settings.targets
    ]
    contenders = {a.name: a for a in arms if a.kind == "contender"}
    twinned: list[str] = []
    if settings.calibrate:
        base = protocol.expected_baseline(list(contenders), settings.baseline)
        if base in contenders:
            twinned.append(base)
        else:
            settings.progress("[bench] --calibrate: no local baseline to twin; no A/A arm")
    for name in settings.twins:
        if name not in contenders:
            settings.progress(f"[bench] --twin {name}: not a contender of this run; no A/A arm")
        elif name not in twinned:
            twinned.append(name)
    for name in twinned:
        twin = protocol.twin_name(name)
        arms.append(Arm(twin, contenders[name].contender, "aa"))
        infos[twin] = replace(infos[name], name=twin)
    return arms


def _target_contender(target: RemoteServer, registry: Registry) -> Contender:
    """The contract a target is verified against: its registry entry's, else the seed's."""
    known = {c.name: c for c in registry.contenders}
    template = known.get(target.name, registry.contenders[0])
    contract = template.contract if target.name in known else Contract.SEED
    return replace(template, name=target.name, contract=contract, build=(), run=())


def _target_info(target: RemoteServer) -> ContenderInfo:
    return ContenderInfo(
        name=target.name,
        language="(running service)",
        description=f"already running at {target.url}: not built, started, stopped or pinned",
        differs_from_article="",
        available=True,
        reason="",
        version="",
        build=BuildOutcome(True, 0.0, "not built: a running target"),
        artifact=None,
    )


def _prepare(c: Contender, settings: BenchSettings) -> ContenderInfo:
    """Availability, build, version and artifact size: once per contender and bench."""
    say = settings.progress
    available = registry.availability(c)
    build = BuildOutcome(False, 0.0, "not built: unavailable")
    version, artifact, reason = "", None, available.reason
    if available.available:
        say(f"[build] {c.name}")
        outcome = registry.build(c, log=settings.raw_dir / "build" / f"{c.name}.log")
        build = outcome
        if outcome.ok:
            version = registry.version(c)
            artifact = registry.artifact_size(c)
        else:
            reason = f"build failed: {outcome.reason}"
            first = outcome.reason.splitlines()[0] if outcome.reason else ""
            say(f"[build] {c.name}: FAILED {first}")
    else:
        say(f"[build] {c.name}: unavailable: {available.reason}")
    return ContenderInfo(
        name=c.name,
        language=c.language,
        description=c.description,
        differs_from_article=c.differs_from_article,
        available=available.available,
        reason=reason,
        version=version,
        build=build,
        artifact=artifact,
        algorithm=c.algorithm,
    )


def _run_scenario(
    scenario: ScenarioSettings,
    arms: list[Arm],
    infos: dict[str, ContenderInfo],
    settings: BenchSettings,
    verified: arm_servers.Verified,
) -> ScenarioRecord:
    """Ready every arm, measure every point in interleaved rounds, compare with the baseline."""
    started: list[arm_servers.ArmServer] = []
    try:
        states = []
        for arm in arms:
            server = arm_servers.ArmServer(arm, settings, f"{scenario.name}/{arm.name}")
            started.append(server)
            states.append(ArmState(arm, server, infos[arm.name]))
        ops = arm_servers.ops(settings, verified)
        return rounds.run_scenario(scenario, states, ops, settings.protocol)
    finally:
        arm_servers.close_all(started)
