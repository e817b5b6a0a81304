"""The model's records to and from plain JSON values, by their types (pydantic TypeAdapter).

The records are stdlib dataclasses; their annotations are the format. Reading is strict
JSON validation (a string is not a number, an unknown key or word is an error) and every
error names the field it is in, so a malformed document fails with a message a reader can
act on. Cost: one adapter per record type, built on first use and kept.
"""

from __future__ import annotations

import functools
import json
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

__all__ = ["adapter", "dump", "explain", "parse"]

T = TypeVar("T")


def adapter(kind: type[T]) -> TypeAdapter[T]:
    """The (cached) adapter that reads, writes and describes records of `kind`."""
    key: Any = kind  # a class is hashable; mypy cannot tell for a generic type[T]
    found: TypeAdapter[T] = _adapter(key)
    return found


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def dump(value: object) -> Any:
    """`value` as JSON values (dicts, lists, str, numbers, None): what a file read back gives,
    so a document built in memory compares equal to the one loaded from disk."""
    return adapter(type(value)).dump_python(value, by_alias=True, mode="json")


def parse(kind: type[T], data: Any) -> T:
    """Build a `kind` from JSON values; `pydantic.ValidationError` when they do not fit.

    The values go back through JSON text because pydantic's strict mode is what refuses
    "50" for 50, and in Python mode it also refuses the lists `json.loads` gives for the
    records' tuples; in JSON mode an array is a tuple. A document is a few hundred kB,
    read once per command.
    """
    found: T = adapter(kind).validate_json(json.dumps(data), strict=True)
    return found


def explain(error: ValidationError, limit: int = 5) -> str:
    """`scenarios.0.results.1.status: Input should be 'ok', 'failed' or 'unavailable' (got
    'okay')`, one line per problem, the first `limit` of them."""
    lines = []
    for problem in error.errors()[:limit]:
        where = ".".join(str(part) for part in problem["loc"]) or "(document)"
        got = "" if problem["type"] == "missing" else f" (got {_short(problem['input'])})"
        lines.append(f"{where}: {problem['msg']}{got}")
    more = error.error_count() - limit
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
