"""The article's run, reproduced: n=20000, 100 connections, 10 s, with the article's tool."""

from __future__ import annotations

from dataclasses import replace

from primebench.lab.model.generators import Generator
from primebench.lab.scenarios.base import Point, Scenario, ScenarioSettings, fixed_n_plan
from primebench.lab.scenarios.single_point import SinglePointView

__all__ = ["BUDGET_S", "Article"]

#: Seconds the main job's rounds may take (see `Article.defaults`).
BUDGET_S = 240.0


class Article(SinglePointView, Scenario):
    """Heads the report, and its figures are shown beside the article's claimed ones."""

    name = "article"
    description = "The article's run: n=20000, 100 connections, 10 s, autocannon."
    generator_choosable = True
    beside_claims = True

    def defaults(self) -> ScenarioSettings:
        """autocannon, as the article measured (it saturates near 20-28k req/s here).

        The main job's budget: its rounds end within 240 s of the arms' start, so
        `./scripts/bench` fits 5 min on 2 cores with what comes around them: scripts/setup's
        check (about 20 s once set up), the builds' checks, the report. By run J's trial times
        (benchmarks/results/20261206T025203Z-article.json) the five arms' start-up, warm-ups
        and three rounds take about 4 min, so a fourth round starts only when they are
        quicker (`--rounds auto` only; `--budget none` lifts it).
        """
        return replace(
            self.common_defaults(), generator=Generator.AUTOCANNON, n=20000, budget_s=BUDGET_S
        )

    def plan(
        self, settings: ScenarioSettings, contender: str, capacity: float | None = None
    ) -> list[Point]:
        return fixed_n_plan(settings)
