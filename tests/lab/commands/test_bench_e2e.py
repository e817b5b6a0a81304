"""End to end: a shortened bench over every contender and every scenario, with real tools.

Each scenario runs about one second per point with few connections, one round, no
warm-up. The document must match its JSON schema, no contender may fail verification,
every contender that built must be measured, and no process may be left behind. A
contender killed in the middle of a run must be recorded as failed while the bench
goes on with the next one.

Every scenario's short run is one scenario of one of two benches that run side by side (a
module-scoped fixture): each builds and versions the thirteen contenders and the tools once
instead of once per scenario (about 10 s each), and each scenario's test then checks its
own scenario of that document, as it did of its own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs
import psutil
import pytest

from primebench.lab.contenders import conformance
from primebench.lab.contenders.registry import Registry, default_root
from primebench.lab.host.resources import Pinning, cpu_split
from primebench.lab.model import results
from primebench.lab.run import measure
from primebench.lab.run.loadgen import Generator
from primebench.lab.run.measure import generator_bound
from primebench.lab.run.session import BenchSettings, run_bench
from primebench.lab.scenarios import NAMES, ScenarioSettings, get
from tests.toolchains import missing, require, require_contenders_under_ci

SCHEMA = json.loads(
    resources.files("primebench.lab.model").joinpath("results.schema.json").read_text()
)
FAKE = Path(__file__).parents[1] / "fake_server.py"
SLOW = Path(__file__).parents[1] / "slow_server.py"


def short(name: str) -> ScenarioSettings:
    """About 1 s per point, few connections, one round, no warm-up; n cheap for every engine.

    These check that every contender runs every scenario, not a figure: one round of two
    offered rates is enough (the protocol's rounds and comparisons are pinned by
    test_bench_protocol_e2e; was two rounds of five rates, about twice as long). What a
    contender does differently is run once per scenario; what the lab does with several
    points of one scenario is pinned elsewhere, over fewer contenders: the sweep runs one n
    (n=1 is the floor's; several n are test_rounds'), the cores scenario two cores (one core
    is every other scenario's; one then two cores, over two contenders, is
    test_bench_protocol_e2e's).
    """
    defaults = get(name).defaults()
    return replace(
        defaults,
        # wrk and autocannon count whole seconds; oha takes half of one. The rate scenario
        # runs oha (its probe and two rates: 3 trials of each of the 13 arms); the floor,
        # the sweep and the cores scenario let the tool be chosen (`--generator`), so here
        # they run oha's 0.5 s too (was wrk's 1 s). wrk still runs every contender: its
        # Lua-drawn n in random-n and in the convoy's heavy stream; autocannon the article;
        # wrk's fixed n is test_bench_protocol_e2e's (the cores scenario on wrk).
        generator=Generator.OHA if name in ("floor", "sweep", "cores") else defaults.generator,
        duration_s=0.5 if name in ("rate", "floor", "sweep", "cores") else 1.0,
        connections=4,
        connections_sweep=(),  # the floor's one point: its sweep has an e2e test of its own
        rounds=1,
        warmup_s=0.0,
        # pure-Python contenders answer nothing at n=20000 in 1 s
        n=1000 if name in ("rate", "article", "cores") else defaults.n,
        n_range=(1, 1000) if name == "random-n" else defaults.n_range,  # nor n up to 20000
        # the soak's probe must answer; the convoy's heavy requests left in a seed server
        # when its trial ends would otherwise keep it busy for seconds before the next
        heavy_n=1000 if name in ("soak", "convoy") else defaults.heavy_n,
        sweep_ns=(1000,),
        server_cores=(2,),
        heavy_connections=2,
        light_rate=20.0,
        window_s=0.5,  # the soak: two windows in its 1 s
        rate_fractions=(0.5, 1.1),
    )


def children() -> list[psutil.Process]:
    return list(psutil.Process().children(recursive=True))


def bench(
    tmp_path: Path,
    registry: Registry,
    *scenarios: ScenarioSettings,
    names: tuple[str, ...] = (),
    pinning: Pinning | None = None,
    **protocol: Any,
) -> Any:
    settings = BenchSettings(
        registry=registry,
        tools_root=default_root(),
        contenders=names or tuple(c.name for c in registry.contenders),
        scenarios=scenarios,
        pinning=pinning or cpu_split(),
        out_json=tmp_path / "results" / "bench.json",
        progress=lambda line: print(line, file=sys.stderr),
        request_timeout_s=5.0,
        settle_timeout_s=60.0,
        **protocol,
    )
    return run_bench(settings), settings


#: The shared bench's first half (`every_scenario`); the rest is the second. About even in
#: time: the convoy, rate and soak scenarios each take two or three trials of every arm.
FIRST_HALF = frozenset({"article", "floor", "sweep", "random-n", "cores"})


def installed_scenarios() -> tuple[ScenarioSettings, ...]:
    """Every scenario's short settings whose load generators are installed."""
    chosen = [short(name) for name in NAMES]
    return tuple(c for c in chosen if not missing(c.scenario.generators(c)))


@pytest.fixture(scope="module")
def every_scenario(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, tuple[Any, BenchSettings]], list[str]]:
    """A short bench of every scenario over every contender, and what was left running.

    By scenario: the document and settings of the bench that ran it. The scenarios run as
    two benches side by side (`FIRST_HALF` and the rest), the second with the server's and the generator's
    cores swapped: each checks that every contender runs, not a figure, so the contention
    between them (which each document records as disturbance) changes nothing asserted,
    and the pair takes about the time of the longer half.
    """
    chosen = installed_scenarios()
    if not chosen:
        pytest.skip("no load generator installed (scripts/setup installs them)")
    assert not children()
    split = cpu_split()
    swapped = Pinning(split.generator, split.server, shared=split.shared)
    halves = [
        (0, tuple(c for c in chosen if c.scenario.name in FIRST_HALF), split),
        (1, tuple(c for c in chosen if c.scenario.name not in FIRST_HALF), swapped),
    ]
    runs: dict[int, tuple[Any, BenchSettings]] = {}
    failures: list[BaseException] = []

    def run(index: int, scenarios: tuple[ScenarioSettings, ...], pinning: Pinning) -> None:
        try:
            out = tmp_path_factory.mktemp(f"every{index}")
            runs[index] = bench(out, Registry.load(), *scenarios, pinning=pinning)
        except BaseException as error:  # noqa: BLE001 - raised again in the test's thread
            failures.append(error)

    with pytest.MonkeyPatch.context() as patch:
        # The seed servers stuck on the huge-n probe cost its timeout twice each (the
        # answer, then /healthz) before their restart; 1 s tells "stuck" as well as 3 s
        # does here, where this checks that each arm runs, not what its bad input does
        # (test_conformance does).
        patch.setattr(conformance, "BAD_INPUT_TIMEOUT_S", 1.0)
        # Each trial and probe first waits for its server to be idle: a window of 0.25 s in
        # the lab, about 0.15 s of pure waiting per trial over some 150 settles here. At
        # 0.1 s the bar (8 % of a core: 8 ms) is below one 10 ms tick of /proc CPU time, so
        # idle then means not one tick in the window: no looser than the lab's bar, and a
        # server working off a backlog (about ten ticks per window) is still waited for
        # (test_backlog_past_the_settle_deadline_restarts_the_server runs the lab's window).
        patch.setattr(measure, "IDLE_WINDOW_S", 0.1)
        # The floor's rounds are mirrored (A B ... B A: two trials per arm and round) to
        # resolve 10 % at the floor; here each arm must only run, so one leg: 13 trials
        # fewer. test_bench_protocol_e2e pins the mirrored rounds.
        patch.setattr(type(get("floor")), "mirrored_rounds", False)
        threads = [threading.Thread(target=run, args=half) for half in halves if half[1]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    left = [" ".join(_cmdline(p)) for p in children()]
    by_scenario = {
        scenario.name: (document, settings)
        for document, settings in runs.values()
        for scenario in document.scenarios
    }
    return by_scenario, left


@pytest.mark.e2e
@pytest.mark.timeout(1800)  # the first test waits for the shared bench of every scenario
@pytest.mark.parametrize("name", NAMES)
def test_short_bench_over_every_contender(
    name: str, every_scenario: tuple[dict[str, tuple[Any, BenchSettings]], list[str]]
) -> None:
    registry = Registry.load()
    chosen = short(name)
    require(*chosen.scenario.generators(chosen))
    require_contenders_under_ci(registry.select([]))
    by_scenario, left = every_scenario
    document, settings = by_scenario[name]

    data = json.loads(settings.out_json.read_text())
    errors = [str(e) for e in jsonschema_rs.validator_for(SCHEMA).iter_errors(data)]
    assert not errors, errors[:3]
    assert results.load(settings.out_json) == document
    assert settings.raw_dir.is_dir()
    assert (settings.raw_dir / name).is_dir()

    (scenario,) = [s for s in document.scenarios if s.name == name]
    for info in document.contenders:
        run = scenario.result(info.name)
        assert run is not None
        if not info.available:
            assert run.status == "unavailable" and run.reason
            continue
        assert info.build.ok, f"{info.name} did not build: {info.build.reason}"
        assert "verification failed" not in run.reason, f"{info.name}: {run.reason}"
        assert run.conformance is not None and run.conformance.ok, info.name
        assert run.status == "ok", f"{info.name}: {run.reason}"
        assert any(p.status == "ok" for p in run.points), f"{info.name}: no point measured"
        for point in run.points:
            assert point.status == "ok" or point.reason, (
                f"{info.name} {point.key}: failed without a reason"
            )
    assert not left, f"left behind: {left}"


@pytest.mark.e2e
def test_contender_killed_mid_run_is_recorded_and_bench_goes_on(
    tmp_path: Path, manifest_root: Any
) -> None:
    require("wrk")
    for name in ("a-victim", "b-survivor"):
        root = manifest_root(name, extra=f"order = {10 if name == 'a-victim' else 20}")
    registry = Registry.load(root)
    killed: list[int] = []

    def kill_victim_during_load() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            procs_now = children()
            servers = [p for p in procs_now if str(FAKE) in " ".join(_cmdline(p))]
            loading = any("wrk" in " ".join(_cmdline(p)) for p in procs_now)
            if servers and loading:
                time.sleep(0.3)
                servers[0].send_signal(signal.SIGKILL)
                killed.append(servers[0].pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_victim_during_load, daemon=True)
    killer.start()
    floor = replace(short("floor"), generator=Generator.WRK, duration_s=2.0)  # wrk: seen above
    document, _ = bench(tmp_path, registry, floor)
    killer.join(timeout=5)

    assert killed, "the victim was never seen under load"
    (scenario,) = document.scenarios
    victim, survivor = scenario.result("a-victim"), scenario.result("b-survivor")
    assert victim is not None and survivor is not None
    assert victim.status == "failed"
    assert "server exited" in victim.reason
    assert victim.points and victim.points[0].status == "failed"
    assert victim.points[0].summary == {}  # no figure, not a zero
    assert survivor.status == "ok" and survivor.points[0].status == "ok"
    assert not children()


@pytest.mark.e2e
def test_backlog_past_the_settle_deadline_restarts_the_server(
    tmp_path: Path, manifest_root: Any
) -> None:
    require("wrk")
    root = manifest_root("slow", run=f'["{sys.executable}", "{SLOW}"]')
    # 16 connections of 0.1 s requests leave >= 1.6 s of work behind each 1 s run.
    article = replace(short("article"), generator=Generator.WRK, n=4000, connections=16, rounds=2)
    settings = BenchSettings(
        registry=Registry.load(root),
        tools_root=default_root(),
        contenders=("slow",),
        scenarios=(article,),
        pinning=cpu_split(),
        out_json=tmp_path / "bench.json",
        progress=lambda line: print(line, file=sys.stderr),
        settle_timeout_s=0.5,
    )
    document = run_bench(settings)
    run = document.scenarios[0].results[0]
    assert run.status == "ok", run.reason
    first, second = run.points[0].runs
    assert first.restarted_after and first.settle_s is None
    assert second.status == "ok"
    assert (settings.raw_dir / "article" / "slow" / "server-1.log").exists()
    assert not children()


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return list(proc.cmdline())
    except psutil.Error:
        return []


def test_generator_bound_rule() -> None:
    # autocannon (one usable core) at 0.95 s CPU over 1 s wall: it was the limit.
    assert generator_bound(0.95, 1.0, 1, 0.95)
    assert not generator_bound(0.5, 1.0, 1, 0.5)
    # wrk with 2 usable cores at 1 core's worth of CPU: not saturated by itself...
    assert not generator_bound(1.0, 1.0, 2, 0.6)
    # ...unless its cores were saturated and it was a large consumer there (starved).
    assert generator_bound(1.0, 1.0, 2, 0.95)
    # A tool sending a trickle is not limited by a busy neighbour on its core.
    assert not generator_bound(0.02, 1.0, 1, 0.99)
    assert not generator_bound(0.0, 0.0, 1, None)


# A shell's background job starts with SIGINT ignored, and Python then never installs its
# Ctrl-C handler: the bench is started with the handler an interactive run has.
BENCH_AS_FROM_A_TERMINAL = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from primebench.cli import main; sys.exit(main(sys.argv[1:]))"
)


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_leaves_no_process_and_no_empty_document(
    tmp_path: Path, manifest_root: Any, sig: signal.Signals
) -> None:
    require("wrk")
    root = manifest_root("a-fake")
    env = {**os.environ, "PRIMEBENCH_ROOT": str(root)}
    out = tmp_path / "results"
    argv = [
        *(sys.executable, "-c", BENCH_AS_FROM_A_TERMINAL, "bench", "--scenario", "floor"),
        *("--duration", "20", "--rounds", "1", "--warmup", "0", "--connections", "4"),
        *("--out", str(out)),
    ]
    lab = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            tree = psutil.Process(lab.pid).children(recursive=True)
            seen.update(p.pid for p in tree)
            if any("wrk" in " ".join(_cmdline(p)) for p in tree):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the bench never started its load generator")
        time.sleep(0.5)
        lab.send_signal(sig)
        _, stderr = lab.communicate(timeout=60)
    finally:
        if lab.poll() is None:
            lab.kill()
    assert lab.returncode == 130, stderr.decode()
    assert b"interrupted" in stderr
    alive = [p for p in seen if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert not alive, "processes outlived the interrupted bench"
    # Interrupted during the first trial: nothing was measured, so no document claims to be
    # results (issue 20); one interrupted later keeps the scenarios that finished
    # (`run/session.py`).
    assert list(out.glob("*.json")) == []
    assert b"interrupted; nothing measured" in stderr
