"""A comparison as the results document records it: at one point, flat, beside its point.

`PointComparison` holds a `verdicts.Comparison` as it is (renderers and target checks use
it unchanged); the document stores it flat (`ComparisonAtPoint`: the point and `aa`, then
the comparison's fields), as schema 2 has always written it. A pydantic core schema on
`PointComparison` converts between the two, so the flat form is still declared once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import ConfigDict, GetCoreSchemaHandler, PositiveFloat
from pydantic_core import core_schema

from primebench.lab.model.verdicts import Comparison, Verdict, noise_halfwidth
from primebench.lab.model.vocabulary import RECORD_CONFIG

__all__ = ["ComparisonAtPoint", "PointComparison", "own_noise"]


@dataclass(frozen=True)
class ComparisonAtPoint:
    """A `PointComparison` as the document stores it: flat, the point and `aa` first."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    point: str
    aa: bool
    metric: str
    contender: str
    baseline: str
    per_round: tuple[PositiveFloat, ...]
    ratio: float
    ci_low: float | None
    ci_high: float | None
    confidence: float
    verdict: Verdict
    noise_halfwidth: float | None


@dataclass(frozen=True)
class PointComparison:
    """One arm against the baseline at one point; `aa` marks the A/A (noise floor) pair.

    Written flat (`ComparisonAtPoint`): the point, then the comparison's own fields.
    """

    point: str
    comparison: Comparison
    aa: bool = False

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Read and write the flat form; the schema generated for it is the flat form's."""
        flat = handler.generate_schema(ComparisonAtPoint)
        return core_schema.no_info_after_validator_function(
            cls._from_flat,
            flat,
            serialization=core_schema.plain_serializer_function_ser_schema(
                cls._to_flat, return_schema=flat
            ),
        )

    @staticmethod
    def _from_flat(f: ComparisonAtPoint) -> PointComparison:
        c = Comparison(
            f.metric,
            f.contender,
            f.baseline,
            f.per_round,
            f.ratio,
            f.ci_low,
            f.ci_high,
            f.confidence,
            f.verdict,
            f.noise_halfwidth,
        )
        return PointComparison(f.point, c, f.aa)

    @staticmethod
    def _to_flat(p: PointComparison) -> ComparisonAtPoint:
        c = p.comparison
        return ComparisonAtPoint(
            p.point,
            p.aa,
            c.metric,
            c.contender,
            c.baseline,
            c.per_round,
            c.ratio,
            c.ci_low,
            c.ci_high,
            c.confidence,
            c.verdict,
            c.noise_halfwidth,
        )


def own_noise(
    found: Iterable[PointComparison], point: str, baseline: str, otherwise: float | None = None
) -> float | None:
    """The A/A half-width of `baseline`'s own twin at `point` (`otherwise`: no twin there).

    A comparison against an arm with a twin (`--twin`) is judged by that arm's noise, not
    by the run baseline's: two Python servers need not share the Go server's noise.
    """
    for f in found:
        c = f.comparison
        if f.aa and f.point == point and c.baseline == baseline and c.ci_low is not None:
            return noise_halfwidth(c)
    return otherwise
