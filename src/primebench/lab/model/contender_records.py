"""What the lab learned about a contender before measuring it: build, artifact, conformance.

These records are written into the results document as they are (the model's types are
the format), so they live in the model; `contenders.registry`, `contenders.artifacts` and
`contenders.conformance` produce them and re-export them under their old names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import ConfigDict, NonNegativeInt

from primebench.lab.model.vocabulary import RECORD_CONFIG, ArtifactKind, Contract

__all__ = ["Answer", "ArtifactSize", "BadInput", "BuildOutcome", "Conformance"]


@dataclass(frozen=True)
class BuildOutcome:
    """A build step's result; `reason` is '' when ok, else the failure (or why none ran)."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    ok: bool
    seconds: float
    reason: str


@dataclass(frozen=True)
class ArtifactSize:
    """Total bytes, what was counted (`paths`), and what could not be found (`missing`)."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    bytes: NonNegativeInt
    kind: ArtifactKind
    label: str
    paths: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """One valid-n request: what came back and whether it was right."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    case: str
    path: str
    expected_prime: int
    status: int | None
    content_type: str
    body: str
    elapsed_ms: float | None
    ok: bool
    problem: str


@dataclass(frozen=True)
class BadInput:
    """One bad-input request: status (None when no answer), content type, short body."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    case: str
    path: str
    status: int | None
    content_type: str
    body: str
    error: str
    ok: bool | None  # None: recorded, not judged (seed contract)

    def cell(self, width: int = 40) -> str:
        """A short table cell: `200 {"n":null,"prime":1}`, `400 problem+json`, `timeout`.

        A long plain-text body keeps its end, where frameworks put the reason
        (Axum: "Failed to deserialize query string: n: invalid digit found in string").
        """
        if self.status is None:
            return "timeout" if "no answer within" in self.error else "no answer"
        if self.content_type == "application/problem+json":
            return f"{self.status} problem+json"
        body = " ".join(self.body.split())
        text = f"{self.status} {body}".strip()
        if len(text) <= width:
            return text
        if self.content_type.endswith("json"):
            return text[: width - 1] + "…"
        return f"{self.status} …{body[-(width - len(str(self.status)) - 2) :]}"


@dataclass(frozen=True)
class Conformance:
    """Every answer and bad input of one verification, and the problems found in them."""

    __pydantic_config__: ClassVar[ConfigDict] = RECORD_CONFIG

    contender: str
    contract: Contract
    ok: bool
    problems: tuple[str, ...]
    answers: tuple[Answer, ...]
    bad_inputs: tuple[BadInput, ...]
    healthy_after: bool

    def answer_ms(self, case: str) -> float | None:
        return next((a.elapsed_ms for a in self.answers if a.case == case), None)
