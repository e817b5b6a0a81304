"""The n parser accepts exactly the contract: ASCII digits, 1 <= n <= max_n, given once."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from primebench.service.params import DEFAULT_N, InvalidN, describe, n_from_query, parse_n

MAX_N = 10**12
CONTRACT = re.compile(r"[0-9]+", re.ASCII)


def in_contract(text: str) -> bool:
    return CONTRACT.fullmatch(text) is not None and 1 <= int(text) <= MAX_N


@given(st.text(max_size=30))
@example("٣")
@example("+7")
@example(" 7")
@example("1_000")
@example("0" * 50 + "7")
def test_parse_n_accepts_exactly_the_contract(text: str) -> None:
    if in_contract(text):
        assert parse_n(text, MAX_N) == int(text)
    else:
        with pytest.raises(InvalidN):
            parse_n(text, MAX_N)


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_parse_n_on_any_integer_literal(value: int) -> None:
    text = str(value)
    if 1 <= value <= MAX_N:
        assert parse_n(text, MAX_N) == value
    else:
        with pytest.raises(InvalidN, match="from 1 to 1000000000000"):
            parse_n(text, MAX_N)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "abc",
        "-5",
        "0",
        "1.5",
        "1e3",
        "+7",
        "0x10",
        " 7",
        "7 ",
        "\t7",
        "٣",
        "７",
        "1" * 10_000,
        str(MAX_N + 1),
        str(2**64),
        str(2**64 + 1),
        "1,000",
        "1_000",
        "\x00",
        "7\x00",
    ],
)
def test_bad_inputs_are_refused_with_range_and_received_value(bad: str) -> None:
    with pytest.raises(InvalidN) as info:
        parse_n(bad, MAX_N)
    message = str(info.value)
    assert "from 1 to 1000000000000" in message
    assert message.isascii() and message.isprintable()
    assert len(message) < 200


def test_describe_escapes_and_truncates() -> None:
    assert describe("") == "an empty value"
    assert describe("a\x00b") == '"a\\x00b"'
    assert describe("٣") == '"\\u0663"'
    long = describe("9" * 10_000)
    assert long.endswith("(10000 characters in all)") and len(long) < 100


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", DEFAULT_N),
        ("n=7", 7),
        ("n=007", 7),
        ("x=1", DEFAULT_N),
        ("x=1&n=9", 9),
        ("n=%31%30", 10),
        ("n=10&", 10),
    ],
)
def test_query_forms_that_are_accepted(query: str, expected: int) -> None:
    assert n_from_query(query, MAX_N) == expected


@pytest.mark.parametrize(
    "query", ["n=", "n", "n=1&n=2", "n=1&n=1", "n=+7", "n=%2B7", "n=%00", "n=%D9%A3", "n=1%20"]
)
def test_query_forms_that_are_refused(query: str) -> None:
    with pytest.raises(InvalidN):
        n_from_query(query, MAX_N)


def test_ten_thousand_repeated_n_is_one_clear_error() -> None:
    with pytest.raises(InvalidN, match="given once; received it 10000 times"):
        n_from_query("&".join(["n=1"] * 10_000), MAX_N)


@given(st.text(alphabet=st.characters(exclude_characters="&%+"), max_size=30))
@example("²")
@example("٣")
@example("0" * 25 + "7")
@example("9" * 21)
@example("0")
def test_the_query_fast_path_accepts_exactly_the_contract(text: str) -> None:
    """`n=<text>` is parsed without decoding: it must agree with the contract's regex."""
    if in_contract(text):
        assert n_from_query("n=" + text, MAX_N) == int(text)
    else:
        with pytest.raises(InvalidN):
            n_from_query("n=" + text, MAX_N)
