"""verify: answers judged against the oracle, bad input recorded (seed) or judged (strict)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy

from primebench.cli import main
from primebench.lab.commands import verify as command
from primebench.lab.contenders import conformance, launch, oracle
from primebench.lab.contenders.conformance import (
    ANSWER_CASES,
    BadInput,
    _check_answer,
    check,
    left_stuck,
)
from primebench.lab.contenders.registry import Contract, Registry
from primebench.lab.host import servers
from primebench.lab.host.loopback import HttpAnswer
from primebench.lab.model import codec
from primebench.lab.model.contender_records import Conformance
from tests.toolchains import require

ManifestWriter = Callable[..., Path]  # the `manifest_root` fixture (tests/lab/conftest.py)


def answer(body: str, status: int = 200, ctype: str = "application/json") -> HttpAnswer:
    return HttpAnswer(status, {"content-type": ctype}, body.encode())


def test_oracle_is_independent_and_right() -> None:
    assert [oracle.nth_prime(n) for n in (1, 2, 10, 10000, 20000)] == [2, 3, 29, 104729, 224737]
    assert oracle.nth_prime(10**6) == 15485863
    assert oracle.nth_prime(10**6 + 1) == 15485867
    with pytest.raises(ValueError):
        oracle.nth_prime(0)


def test_oracle_agrees_with_a_second_independent_library() -> None:
    """primecount against sympy's own sieve over every n the lab checks and below 2,000."""
    checked = {n for _, _, n in ANSWER_CASES} | set(range(1, 2001)) | {10**5, 10**6}
    wrong = [n for n in sorted(checked) if oracle.nth_prime(n) != int(sympy.prime(n))]
    assert wrong == []


def test_answer_checks() -> None:
    assert _check_answer(answer('{"n":10,"prime":29}\n'), 10, 29, strict=False) == ""
    assert (
        _check_answer(answer('{"n":10,"prime":31}'), 10, 29, strict=False)
        == "prime 31, expected 29"
    )
    assert "content type" in _check_answer(
        answer('{"n":10,"prime":29}', ctype="text/plain"), 10, 29, strict=False
    )
    assert _check_answer(answer('{"n":10,"prime":29,"x":1}'), 10, 29, strict=False) == ""
    assert "keys" in _check_answer(answer('{"n":10,"prime":29,"x":1}'), 10, 29, strict=True)
    assert _check_answer(answer("nope", status=500), 10, 29, strict=False) == "status 500"


def test_bad_input_cells() -> None:
    assert BadInput(
        "abc", "", 200, "application/json", '{"n":null,"prime":1}', "", None
    ).cell() == ('200 {"n":null,"prime":1}')
    assert (
        BadInput("x", "", 400, "application/problem+json", "{}", "", True).cell()
        == "400 problem+json"
    )
    assert BadInput("huge", "", None, "", "", "no answer within 3 s", None).cell() == "timeout"
    axum = "Failed to deserialize query string: n: invalid digit found in string"
    assert (
        BadInput("abc", "", 400, "text/plain", axum, "", None).cell()
        == "400 …g: n: invalid digit found in string"
    )


def test_a_wrong_answer_fails_verify(manifest_root: ManifestWriter, tmp_path: Path) -> None:
    root = manifest_root(
        "liar",
        run=f'["{{python}}", "{(Path(__file__).parents[1] / "fake_server.py")}", "serve", "--wrong"]',
    )
    result = check(Registry.load(root).get("liar"), build_first=True)
    assert result.conformance is not None and not result.ok
    assert result.conformance.problems == ("n=20000: prime 224739, expected 224737",)
    assert command.run([], root=root) == 1


def test_the_verify_document_holds_the_models_records(
    manifest_root: ManifestWriter, tmp_path: Path
) -> None:
    """Build, artifact and conformance are written by the results model's codec, and read back."""
    root = manifest_root(
        "liar",
        run=f'["{{python}}", "{(Path(__file__).parents[1] / "fake_server.py")}", "serve", "--wrong"]',
    )
    result = check(Registry.load(root).get("liar"), build_first=True)
    data = json.loads(json.dumps(result.to_json()))
    assert data["build"] == {"ok": True, "seconds": data["build"]["seconds"], "reason": ""}
    assert data["artifact"]["kind"] == "runtime+deps" and data["artifact"]["bytes"] > 0
    assert data["conformance"]["contract"] == "seed" and data["conformance"]["ok"] is False
    assert codec.parse(Conformance, data["conformance"]) == result.conformance


def test_unavailable_contender_is_reported_not_failed(
    manifest_root: ManifestWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    root = manifest_root("ghost", requires='["primebench-no-such-compiler"]')
    assert command.run([], root=root) == 0
    assert "unavailable: primebench-no-such-compiler not found on PATH" in capsys.readouterr().out


def test_cli_unknown_contender_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "no-such-thing"]) == 1
    err = capsys.readouterr().err
    assert "unknown contender 'no-such-thing'" in err and "go-seed" in err


@pytest.mark.e2e
@pytest.mark.concurrent  # verify records answers and statuses, no figure
def test_verify_records_each_stack_s_bad_input_behaviour(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    require("node", "go", "cargo")
    # node-seed is stuck on the huge n: 1 s per wait tells that as well as the lab's 3 s
    monkeypatch.setattr(conformance, "BAD_INPUT_TIMEOUT_S", 1.0)
    out = tmp_path / "verify.json"
    names = ["node-seed", "go-seed", "rust-axum", "primebench"]
    assert main(["verify", *names, "--json", str(out)]) == 0
    table = capsys.readouterr().out
    assert all(name in table for name in names)
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == 1 and doc["ok"]
    by_name = {c["name"]: c for c in doc["contenders"]}
    for c in by_name.values():
        assert c["version"] and not c["version"].startswith("unknown")
        assert c["artifact"]["bytes"] > 0
        assert c["startup_s"] > 0
        assert all(a["ok"] for a in c["conformance"]["answers"])

    def bad(name: str, case: str) -> dict[str, object]:
        cells = by_name[name]["conformance"]["bad_inputs"]
        return next(b for b in cells if b["case"] == case)

    assert (bad("node-seed", "abc")["status"], bad("node-seed", "abc")["body"]) == (
        200,
        '{"n":null,"prime":1}',
    )
    assert bad("node-seed", "huge")["status"] is None  # still computing: recorded, not judged
    assert by_name["node-seed"]["conformance"]["healthy_after"] is False
    assert bad("go-seed", "abc")["body"] == '{"n":10000,"prime":104729}'
    assert bad("rust-axum", "abc")["status"] == 400
    assert bad("rust-axum", "0")["body"] == '{"n":0,"prime":1}'
    assert all(
        b["status"] == 400 and b["ok"] for b in by_name["primebench"]["conformance"]["bad_inputs"]
    )


def test_a_server_wrong_from_its_first_answer_fails_at_once_as_a_wrong_answer(
    manifest_root: ManifestWriter,
) -> None:
    """Not "not ready" at the 60 s deadline: the first wrong prime ends the start, named."""
    fake = Path(__file__).parents[1] / "fake_server.py"
    root = manifest_root("liar", run=f'["{{python}}", "{fake}", "serve", "--wrong-all"]')
    liar = Registry.load(root).get("liar")
    started = time.monotonic()
    with (
        pytest.raises(servers.WrongAnswer) as caught,
        launch.start(liar, cpus=None, deadline_s=60.0),
    ):
        pass
    assert time.monotonic() - started < 10.0  # the fake starts in well under a second
    assert caught.value.reason == (
        'wrong answer: n=1 answered \'{"n": 1, "prime": 4}\', expected prime 2'
    )
    result = check(liar, build_first=True)
    assert not result.ok and result.conformance is None
    assert result.failure.startswith('wrong answer: n=1 answered \'{"n": 1, "prime": 4}\'')


def test_a_server_is_left_stuck_when_a_bad_input_went_unanswered_or_it_is_unhealthy() -> None:
    """Such a server is killed, not stopped: its graceful stop would wait for that request."""
    answered = BadInput("huge", "/prime?n=1e20", 400, "application/json", "{}", "", None)
    unanswered = BadInput("huge", "/prime?n=1e20", None, "", "", "timed out", None)

    def checked(bad: BadInput, healthy: bool) -> Conformance:
        return Conformance("x", Contract.SEED, True, (), (), (bad,), healthy)

    assert not left_stuck(checked(answered, healthy=True))
    assert left_stuck(checked(unanswered, healthy=True))  # another worker still answers n=1
    assert left_stuck(checked(answered, healthy=False))
