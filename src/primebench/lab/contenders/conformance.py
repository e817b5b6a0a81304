"""Conformance: does a running contender give right answers, and what does it do with bad input?

Answers for valid n are judged against the oracle (not our engines). Bad input is
*recorded* for the article's servers, whose behaviours differ by design (Node's
`parseInt("abc")` is NaN, Go falls back to 10000, Axum answers 400), and *judged*
only for contenders under the strict contract (our service: 400
application/problem+json for every bad input). Every problem is collected; nothing
stops at the first one (TechEmpower's `verify()`).

The huge-n probe goes last and its timeout is short: Node's loop given n = 10^20
never ends, so that probe can leave a server busy forever. `healthy_after` says so,
and whoever measures that server next must restart it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from primebench.lab.contenders import launch, oracle, registry
from primebench.lab.contenders.launch import READY_PATH, ready_check
from primebench.lab.contenders.registry import Availability, Contender, Contract
from primebench.lab.host import loopback, servers
from primebench.lab.host.servers import RunningServer
from primebench.lab.model import codec
from primebench.lab.model.contender_records import (
    Answer,
    ArtifactSize,
    BadInput,
    BuildOutcome,
    Conformance,
)

__all__ = [
    "ANSWER_CASES",
    "BAD_INPUT_CASES",
    "Answer",
    "BadInput",
    "Conformance",
    "ContenderCheck",
    "check",
    "left_stuck",
    "verify",
]

DEFAULT_N = 10000
"""The article's default when `n` is missing (our service keeps it)."""
ANSWER_CASES: tuple[tuple[str, str, int], ...] = tuple(
    (str(n), f"/prime?n={n}", n) for n in (1, 2, 10, 100, 1000, 10000, 20000)
) + (("missing", "/prime", DEFAULT_N),)
"""(label, path, the n whose prime is expected)."""
HUGE = "100000000000000000000"
"""10^20: past 64 bits, past u32, past any max_n."""
BAD_INPUT_CASES: tuple[tuple[str, str], ...] = (
    ("abc", "/prime?n=abc"),
    ("0", "/prime?n=0"),
    ("-1", "/prime?n=-1"),
    ("1.5", "/prime?n=1.5"),
    ("n=5&n=7", "/prime?n=5&n=7"),
    ("huge", f"/prime?n={HUGE}"),
)
ANSWER_TIMEOUT_S = 60.0
BAD_INPUT_TIMEOUT_S = 3.0
BODY_LIMIT = 200


def _short(body: bytes) -> str:
    text = body.decode("utf-8", "replace").strip()
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + "..."


def _check_answer(answer: loopback.HttpAnswer, n: int, expected: int, strict: bool) -> str:
    """'' when right; else what is wrong. Strict also pins the media type and the exact keys."""
    if answer.status != 200:
        return f"status {answer.status}"
    if answer.content_type != "application/json":
        return f"content type {answer.content_type!r}"
    try:
        data = answer.json()
    except ValueError:
        return "body is not JSON"
    if not isinstance(data, dict):
        return "body is not a JSON object"
    if data.get("prime") != expected or isinstance(data.get("prime"), bool):
        return f"prime {data.get('prime')!r}, expected {expected}"
    if data.get("n") != n:
        return f"n {data.get('n')!r}, expected {n}"
    if strict and (set(data) != {"n", "prime"}):
        return f"keys {sorted(data)}, expected ['n', 'prime']"
    return ""


def _ask_answer(running: RunningServer, case: str, path: str, n: int, strict: bool) -> Answer:
    expected = oracle.nth_prime(n)
    try:
        got = loopback.get(running.host, running.port, path, timeout_s=ANSWER_TIMEOUT_S)
    except loopback.RequestFailed as exc:
        return Answer(case, path, expected, None, "", "", None, False, exc.reason)
    problem = _check_answer(got, n, expected, strict)
    return Answer(
        case,
        path,
        expected,
        got.status,
        got.content_type,
        _short(got.body),
        got.elapsed_s * 1000,
        not problem,
        problem,
    )


def _ask_bad(running: RunningServer, case: str, path: str, strict: bool) -> BadInput:
    try:
        got = loopback.get(running.host, running.port, path, timeout_s=BAD_INPUT_TIMEOUT_S)
    except loopback.RequestFailed as exc:
        return BadInput(case, path, None, "", "", exc.reason, False if strict else None)
    judged = (
        (got.status == 400 and got.content_type == "application/problem+json") if strict else None
    )
    return BadInput(case, path, got.status, got.content_type, _short(got.body), "", judged)


def _healthy(running: RunningServer) -> bool:
    try:
        answer = loopback.get(running.host, running.port, READY_PATH, timeout_s=BAD_INPUT_TIMEOUT_S)
    except loopback.RequestFailed:
        return False
    return ready_check(answer.status, answer.body)


def verify(c: Contender, running: RunningServer) -> Conformance:
    """Check every valid-n answer, then record every bad input; never raises for a bad server.

    Cost: one request per case; the answers take as long as the contender needs
    (python-seed computes p(20000) in pure Python), bad inputs at most 3 s each.
    """
    strict = c.contract is Contract.STRICT
    answers = tuple(_ask_answer(running, case, path, n, strict) for case, path, n in ANSWER_CASES)
    bad = tuple(_ask_bad(running, case, path, strict) for case, path in BAD_INPUT_CASES)
    problems = [f"n={a.case}: {a.problem}" for a in answers if not a.ok]
    if strict:
        problems += [
            f"bad input {b.case}: expected 400 application/problem+json, got "
            + (
                f"{b.status} {b.content_type or '(no content type)'}"
                if b.status is not None
                else b.error
            )
            for b in bad
            if not b.ok
        ]
    healthy = running.alive() and _healthy(running)
    if strict and not healthy:
        problems.append("not answering after the bad inputs")
    return Conformance(c.name, c.contract, not problems, tuple(problems), answers, bad, healthy)


def left_stuck(checked: Conformance) -> bool:
    """Did the bad inputs leave the server busy for ever (one unanswered, or not healthy)?

    A server with several workers still answers n=1 while one of them computes the huge
    n, so an unanswered bad input counts as well as an unhealthy server.
    """
    return not checked.healthy_after or any(b.status is None for b in checked.bad_inputs)


@dataclass(frozen=True)
class ContenderCheck:
    """Everything `primebench verify` learns about one contender, failures included as data."""

    contender: Contender
    availability: Availability
    build: BuildOutcome | None
    version: str
    artifact: ArtifactSize | None
    startup_s: float | None
    failure: str  # "" unless the build failed or the server did not start
    conformance: Conformance | None

    @property
    def ok(self) -> bool:
        """Unavailable is not a failure (the toolchain is absent); a broken build or server is."""
        if not self.availability.available:
            return True
        return not self.failure and self.conformance is not None and self.conformance.ok

    def to_json(self) -> dict[str, Any]:
        c = self.contender
        return {
            "name": c.name,
            "language": c.language,
            "description": c.description,
            "differs_from_article": c.differs_from_article,
            "contract": c.contract.value,
            "available": self.availability.available,
            "unavailable_reason": self.availability.reason,
            "build": None if self.build is None else codec.dump(self.build),
            "version": self.version,
            "artifact": None if self.artifact is None else codec.dump(self.artifact),
            "startup_s": self.startup_s,
            "failure": self.failure,
            "ok": self.ok,
            "conformance": None if self.conformance is None else codec.dump(self.conformance),
        }


def check(
    c: Contender,
    *,
    build_first: bool = True,
    host: str = "127.0.0.1",
    cpus: frozenset[int] | None = None,
    log_dir: Path | None = None,
    deadline_s: float = 30.0,
) -> ContenderCheck:
    """Availability -> build -> version and artifact -> start -> verify -> stop, for one contender."""
    avail = registry.availability(c)
    if not avail.available:
        return ContenderCheck(c, avail, None, "", None, None, "", None)
    outcome = None
    if build_first:
        outcome = registry.build(c, None if log_dir is None else log_dir / f"{c.name}.build.log")
        if not outcome.ok:
            return ContenderCheck(
                c, avail, outcome, "", None, None, f"build failed: {outcome.reason}", None
            )
    ver = registry.version(c)
    artifact = registry.artifact_size(c)
    try:
        with launch.start(
            c,
            cpus=cpus,
            host=host,
            deadline_s=deadline_s,
            log=None if log_dir is None else log_dir / f"{c.name}.server.log",
        ) as running:
            conformance = verify(c, running)
            if left_stuck(conformance):
                running.kill()  # a graceful stop would wait out the grace for that request
            return ContenderCheck(
                c, avail, outcome, ver, artifact, running.startup_s, "", conformance
            )
    except (
        servers.WrongAnswer
    ) as exc:  # it started, and answered wrongly: say that, not "did not start"
        return ContenderCheck(c, avail, outcome, ver, artifact, None, str(exc), None)
    except servers.ServerFailed as exc:
        return ContenderCheck(c, avail, outcome, ver, artifact, None, f"did not start: {exc}", None)
    except OSError as exc:
        return ContenderCheck(c, avail, outcome, ver, artifact, None, f"did not start: {exc}", None)
