"""`primebench bench`'s command line becomes typed scenario settings, checked at the edge."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from primebench.cli import build_parser, main
from primebench.errors import UserError
from primebench.lab.commands import bench
from primebench.lab.loadgen import Generator
from primebench.lab.scenarios import ScenarioName, log_spaced, plan
from tests.lab.golden_util import FIXTURE


def args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["bench", *argv])


def test_default_is_the_article_scenario() -> None:
    (article,) = bench.scenario_settings(args())
    assert article.name is ScenarioName.ARTICLE
    assert (article.n, article.connections, article.duration_s) == (20000, 100, 10.0)
    assert article.generator is Generator.AUTOCANNON and article.runs == 3


def test_overrides_apply_to_every_selected_scenario() -> None:
    chosen = bench.scenario_settings(
        args(
            "--scenario",
            "floor,sweep",
            "--scenario",
            "article",
            "--duration",
            "1",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--generator",
            "wrk",
            "--ns",
            "1,100",
        )
    )
    assert [s.name for s in chosen] == [
        ScenarioName.FLOOR,
        ScenarioName.SWEEP,
        ScenarioName.ARTICLE,
    ]
    assert all((s.duration_s, s.runs, s.warmup_s) == (1.0, 1, 0.0) for s in chosen)
    assert chosen[2].generator is Generator.WRK
    assert chosen[1].sweep_ns == (1, 100)


def test_heavy_n_for_everyone_and_per_contender() -> None:
    (convoy,) = bench.scenario_settings(
        args("--scenario", "convoy", "--heavy-n", "30000,primebench=10")
    )
    assert convoy.heavy_n_of("go-seed") == 30000
    assert convoy.heavy_n_of("primebench") == 10
    light, heavy = plan(convoy, "primebench")[1].streams
    assert heavy.path == "/prime?n=10" and light.rate == 50.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--scenario", "nope"), "unknown scenario 'nope'; valid scenarios: article, floor"),
        (("--runs", "0"), "--runs must be >= 1"),
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


def test_rate_points_follow_the_measured_capacity() -> None:
    (rate,) = bench.scenario_settings(args("--scenario", "rate"))
    points = plan(rate, "go-seed", capacity=46.3)
    assert [p.params["rate"] for p in points] == [12.0, 23.0, 35.0, 42.0, 51.0]
    with pytest.raises(ValueError, match="capacity"):
        plan(rate, "go-seed")
    (fixed,) = bench.scenario_settings(args("--scenario", "rate", "--rates", "5,50"))
    assert [p.key for p in plan(fixed, "go-seed")] == ["rate=5", "rate=50"]


def test_log_spaced() -> None:
    assert log_spaced(1, 10**6) == (1, 10, 100, 1000, 10000, 100000, 1000000)
    assert log_spaced(1, 100, per_decade=2) == (1, 3, 10, 32, 100)


def test_report_and_compare_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "out" / "report.html"
    assert main(["report", str(FIXTURE), "--html", str(html)]) == 0
    assert html.read_text().startswith("<!DOCTYPE html>")
    assert "| Requests/Sec |" in capsys.readouterr().out
    assert main(["compare", str(FIXTURE), str(FIXTURE)]) == 0
    assert "Change between two runs" in capsys.readouterr().out
    # --check on the fixture: targets unmeasured there, so the exit status says so.
    assert main(["report", str(FIXTURE), "--check"]) == 1
    assert "P1 unmeasured" in capsys.readouterr().err


def test_report_of_a_missing_file_is_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path / "none.json")]) == 1
    assert "cannot read results file" in capsys.readouterr().err
