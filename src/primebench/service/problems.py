"""RFC 9457 problem details: every error the service returns, mapped to a status in one place."""

from __future__ import annotations

import json

__all__ = ["PROBLEM_TYPES", "Problem", "render"]

Headers = list[tuple[str, str]]

# type slug -> (status, title). The type URI is "urn:primebench:problem:<slug>".
PROBLEM_TYPES: dict[str, tuple[int, str]] = {
    "invalid-n": (400, "Invalid parameter n"),
    "bad-host": (400, "Missing or repeated Host header"),
    "not-found": (404, "Not Found"),
    "method-not-allowed": (405, "Method Not Allowed"),
    "header-too-large": (431, "Request Header Fields Too Large"),
    "overloaded": (503, "Heavy computations are at capacity"),
    "deadline-exceeded": (503, "Computation deadline exceeded"),
    "not-ready": (503, "Not ready"),
    "internal-error": (500, "Internal Server Error"),
}


class Problem(Exception):
    """An error answer. `headers` carries e.g. Allow or Retry-After.

    A plain exception, not a frozen dataclass: the runtime must be able to set
    `__traceback__` on anything raised through asyncio and contextlib.
    """

    def __init__(self, slug: str, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(slug, detail)
        self.slug = slug
        self.detail = detail
        self.headers = headers

    @property
    def status(self) -> int:
        return PROBLEM_TYPES[self.slug][0]


def render(problem: Problem, instance: str) -> tuple[int, Headers, bytes]:
    status, title = PROBLEM_TYPES[problem.slug]
    document = {
        "type": f"urn:primebench:problem:{problem.slug}",
        "title": title,
        "status": status,
        "detail": problem.detail,
        "instance": instance[:200],
    }
    body = json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    headers: Headers = [("content-type", "application/problem+json"), *problem.headers]
    return status, headers, body
