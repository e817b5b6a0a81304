"""`primebench bench`'s command line becomes typed scenario settings, checked at the edge."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from primebench.cli import build_parser, main
from primebench.errors import UserError
from primebench.lab.commands import bench
from primebench.lab.run.loadgen import Generator
from primebench.lab.run.remote import parse_target
from tests.lab.golden_util import FIXTURE


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", *argv])


def test_default_is_the_article_scenario() -> None:
    (article,) = bench.scenario_settings(args())
    assert article.name == "article"
    assert (article.n, article.connections, article.duration_s) == (20000, 100, 10.0)
    assert article.generator is Generator.AUTOCANNON
    # --rounds auto: 3 to 10 rounds, each arm stopped once its interval is within 3 %
    assert (article.auto_rounds, article.min_rounds, article.rounds) == (True, 3, 10)
    assert article.precision == 0.03


def test_overrides_apply_to_every_selected_scenario() -> None:
    chosen = bench.scenario_settings(
        args(
            "--scenario",
            "floor,sweep",
            "--scenario",
            "article",
            "--duration",
            "1",
            "--rounds",
            "1",
            "--warmup",
            "0",
            "--generator",
            "wrk",
            "--ns",
            "1,100",
        )
    )
    assert [s.name for s in chosen] == ["floor", "sweep", "article"]
    assert all((s.duration_s, s.rounds, s.warmup_s) == (1.0, 1, 0.0) for s in chosen)
    assert chosen[2].generator is Generator.WRK
    assert chosen[1].sweep_ns == (1, 100)


def test_heavy_n_for_everyone_and_per_contender() -> None:
    (convoy,) = bench.scenario_settings(
        args("--scenario", "convoy", "--heavy-n", "30000,primebench=10")
    )
    assert convoy.heavy_n_of("go-seed") == 30000
    assert convoy.heavy_n_of("primebench") == 10
    assert convoy.heavy_n_for == {"primebench": 10}


def test_the_floor_runs_up_to_30_rounds_of_1_s_unless_max_rounds_says() -> None:
    """Runs AI-AK: at the same seconds of load, twice the rounds of half the length narrow
    the floor's A/A interval by about sqrt(2); other scenarios keep 10 rounds."""
    floor, article = bench.scenario_settings(args("--scenario", "floor,article"))
    assert (floor.auto_rounds, floor.rounds, floor.duration_s) == (True, 30, 1.0)
    assert (article.rounds, article.duration_s) == (10, 10.0)
    floor, article = bench.scenario_settings(
        args("--scenario", "floor,article", "--max-rounds", "12")
    )
    assert (floor.rounds, article.rounds) == (12, 12)
    (fixed,) = bench.scenario_settings(args("--scenario", "floor", "--rounds", "5"))
    assert (fixed.auto_rounds, fixed.rounds) == (False, 5)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--scenario", "nope"), "unknown scenario 'nope'; valid scenarios: article, floor"),
        (("--rounds", "0"), "--rounds must be >= 1"),
        (("--scenario", "cores", "--server-cores", "0"), "--server-cores takes integers >= 1"),
        (("--ns", "1,x"), "--ns takes integers"),
        (("--n-range", "9,1"), "--n-range takes LO,HI"),
        (("--rates", "10,-1"), "--rates must all be > 0"),
        (("--heavy-n", "primebench=abc"), "--heavy-n takes N or NAME=N"),
    ],
)
def test_bad_values_are_user_errors_naming_the_flag(argv: tuple[str, ...], message: str) -> None:
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        bench.scenario_settings(args(*argv))


def test_cpu_lists() -> None:
    assert bench.parse_cpus("0", "--server-cpus") == frozenset({0})
    with pytest.raises(UserError, match="usable cores"):
        bench.parse_cpus("999", "--server-cpus")
    with pytest.raises(UserError, match="core numbers"):
        bench.parse_cpus("a-b", "--server-cpus")


def test_rates_and_server_cores_are_parsed_for_their_scenarios() -> None:
    (rate,) = bench.scenario_settings(args("--scenario", "rate"))
    assert rate.rates is None  # fractions of a measured capacity
    (fixed,) = bench.scenario_settings(args("--scenario", "rate", "--rates", "5,50"))
    assert fixed.rates == (5.0, 50.0)
    (cores,) = bench.scenario_settings(args("--scenario", "cores", "--server-cores", "1,2"))
    assert cores.server_cores == (1, 2) and cores.n == 20000


def test_generator_applies_only_where_it_is_choosable() -> None:
    chosen = bench.scenario_settings(
        args("--scenario", "cores,convoy", "--generator", "autocannon")
    )
    assert [(s.name, s.generator) for s in chosen] == [
        ("cores", Generator.AUTOCANNON),
        ("convoy", Generator.OHA),  # convoy's own default, not the flag
    ]
    (random_n,) = bench.scenario_settings(args("--scenario", "random-n", "--generator", "oha"))
    assert random_n.generator is Generator.WRK


def test_a_scenario_named_twice_runs_once() -> None:
    chosen = bench.scenario_settings(args("--scenario", "floor, floor", "--scenario", "floor"))
    assert [s.name for s in chosen] == ["floor"]


def test_report_and_compare_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "out" / "report.html"
    assert main(["report", str(FIXTURE), "--html", str(html)]) == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    out = capsys.readouterr().out
    assert "| Requests/Sec (median, min–max of rounds) |" in out
    assert "1.05 [0.90, 1.17] indistinguishable" in out  # the intervals are shown
    assert main(["compare", str(FIXTURE), str(FIXTURE)]) == 0
    assert "Change between two runs" in capsys.readouterr().out


def test_report_check_judges_the_targets_by_their_intervals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The fixture has no P1-P4 comparison: none can pass, the status is not 0.
    assert main(["report", str(FIXTURE), "--check"]) != 0
    assert "P1" in capsys.readouterr().err


def test_report_of_a_missing_file_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "none.json")]) == 1
    assert "cannot read results file" in capsys.readouterr().err


def test_protocol_flags_reach_the_settings() -> None:
    parsed = args(
        "--rounds", "7", "--seed", "3", "--baseline", "go-seed", "--calibrate", "--strict"
    )
    (article,) = bench.scenario_settings(parsed)
    assert article.rounds == 7 and not article.auto_rounds  # a fixed --rounds N still works
    assert (parsed.seed, parsed.baseline, parsed.calibrate, parsed.strict) == (
        3,
        "go-seed",
        True,
        True,
    )
    assert args("--twin", "bare-httptools,go-seed", "--twin", "x").twin == [
        "bare-httptools",
        "go-seed",
        "x",
    ]
    assert args().twin == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pod", "--target takes NAME=URL"),
        ("pod=http://10.0.0.1:80", "must be http://127.0.0.1:PORT"),
        ("pod=https://127.0.0.1:80", "must be http://127.0.0.1:PORT"),
        ("pod=http://127.0.0.1", "must be http://127.0.0.1:PORT"),
        ("pod=http://127.0.0.1:80/prime", "root URL"),
    ],
)
def test_bad_targets_are_refused(text: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_target(text)


def test_a_target_is_parsed_to_host_and_port() -> None:
    target = parse_target("pod=http://localhost:8080/")
    assert (target.name, target.host, target.port) == ("pod", "127.0.0.1", 8080)


def test_target_names_must_not_clash_with_contenders(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--contenders", "go-seed", "--target", "go-seed=http://127.0.0.1:1"]
    assert main(argv) == 1
    assert "--target names must differ" in capsys.readouterr().err


def test_a_missing_generator_is_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # wrk cannot be found: a machine without it
    out = tmp_path / "results"
    argv = ["bench", "--scenario", "floor", "--contenders", "go-seed", "--out", str(out)]
    assert main(argv) == 1
    assert "nothing can be measured: wrk not installed" in capsys.readouterr().err
    assert not out.exists()  # nothing started, nothing written


def test_a_baseline_must_be_one_of_the_arms(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["bench", "--contenders", "go-seed,primebench", "--baseline", "rust-axum"]
    assert main(argv) == 1
    assert "--baseline rust-axum is not among the arms measured" in capsys.readouterr().err


def test_soak_flags_and_a_heavy_n_that_keeps_the_soaks_own_for_others() -> None:
    argv = ("--scenario", "soak", "--duration", "3600", "--window", "30", "--heavy-share", "0.1")
    (soak,) = bench.scenario_settings(
        args(*argv, "--load-fraction", "0.7", "--heavy-n", "15000,go-seed=30000")
    )
    assert (soak.duration_s, soak.window_s, soak.heavy_share, soak.rate_fractions) == (
        3600.0,
        30.0,
        0.1,
        (0.7,),
    )
    assert [soak.heavy_n_of(c) for c in ("node-seed", "go-seed", "primebench")] == [
        15000,
        30000,
        100_000_000,  # not named: the soak's own heavy n for our service stays
    ]
    with pytest.raises(UserError, match="leaves 0 after the --warmup of 300 s"):
        bench.scenario_settings(args("--scenario", "soak", "--duration", "300"))
    with pytest.raises(UserError, match="--heavy-share must be between 0 and 1, got 1.5"):
        bench.scenario_settings(args("--scenario", "soak", "--heavy-share", "1.5"))


def test_connections_sweep_the_floor_and_one_count_keeps_its_one_point() -> None:
    (default,) = bench.scenario_settings(args("--scenario", "floor"))
    assert default.connections_sweep == (16, 64, 100, 256)
    (swept,) = bench.scenario_settings(args("--scenario", "floor", "--connections", "16,64,16"))
    assert (swept.connections_sweep, swept.connections) == ((16, 64), 16)
    floor, article = bench.scenario_settings(
        args("--scenario", "floor,article", "--connections", "100")
    )
    assert (floor.connections_sweep, floor.connections) == ((), 100)
    assert (article.connections_sweep, article.connections) == ((), 100)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--scenario", "floor,article", "--connections", "16,64"),
            "one number for scenario article",
        ),
        (("--scenario", "floor", "--connections", "16,x"), "--connections takes integers"),
        (("--scenario", "floor", "--connections", "0,64"), "--connections takes integers >= 1"),
    ],
)
def test_a_sweep_where_it_cannot_be_run_is_refused_naming_the_flag(
    argv: tuple[str, ...], message: str
) -> None:
    with pytest.raises(UserError, match=message):
        bench.scenario_settings(args(*argv))


def test_the_main_job_has_a_time_budget_and_budget_flags_change_it() -> None:
    """The article's rounds are planned against 240 s (the main job's 5 min); --budget sets
    or lifts it, and is refused beside a fixed --rounds, which runs what it says."""
    (article,) = bench.scenario_settings(args())
    assert article.budget_s == 240.0 and article.to_json()["budget_s"] == 240.0
    (floor,) = bench.scenario_settings(args("--scenario", "floor"))
    assert floor.budget_s is None and "budget_s" not in floor.to_json()
    (shorter,) = bench.scenario_settings(args("--budget", "2.5m"))
    assert shorter.budget_s == 150.0
    (seconds,) = bench.scenario_settings(args("--budget", "600s"))
    assert seconds.budget_s == 600.0
    (lifted,) = bench.scenario_settings(args("--budget", "none"))
    assert lifted.budget_s is None and "budget_s" not in lifted.to_json()
    (fixed,) = bench.scenario_settings(args("--rounds", "5"))
    assert not fixed.auto_rounds and "budget_s" not in fixed.to_json()
    with pytest.raises(UserError, match="--budget plans --rounds auto"):
        bench.scenario_settings(args("--rounds", "5", "--budget", "60"))
    for bad in ("0", "-3", "soon"):
        with pytest.raises(UserError, match="--budget"):
            bench.scenario_settings(args("--budget", bad))
