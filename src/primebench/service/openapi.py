"""The OpenAPI 3.1 description of the service, built from the live limits (max_n)."""

from __future__ import annotations

import json
from typing import Any

from primebench import __version__
from primebench.service.params import DEFAULT_N

__all__ = ["document", "render"]

_PROBLEM = {"$ref": "#/components/schemas/Problem"}


def _problem_response(description: str, retry_after: bool = False) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/problem+json": {"schema": _PROBLEM}},
    }
    if retry_after:
        response["headers"] = {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}}
    return response


def _prime_operation(summary: str, parameter: dict[str, Any]) -> dict[str, Any]:
    return {
        "summary": summary,
        "parameters": [parameter],
        "responses": {
            "200": {
                "description": "The n-th prime",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Prime"}}},
            },
            "400": _problem_response(
                "n is not an integer from 1 to max_n in ASCII digits, or is repeated; "
                "or a missing or repeated Host header"
            ),
            "503": _problem_response(
                "heavy computations at capacity, or could not finish within the deadline",
                retry_after=True,
            ),
        },
    }


def _plain(
    summary: str, media: str, schema: dict[str, Any], extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        "200": {"description": summary, "content": {media: {"schema": schema}}}
    }
    responses.update(extra or {})
    return {"get": {"summary": summary, "responses": responses}}


def _complete(paths: dict[str, Any]) -> dict[str, Any]:
    """Every path: 400 for a missing or repeated Host, 405 for other methods, 431 for a head
    past --max-header-bytes, and HEAD as GET."""
    for item in paths.values():
        get = item["get"]
        responses = get["responses"]
        responses.setdefault(
            "400", _problem_response("a missing or repeated Host header (HTTP/1.1)")
        )
        responses["405"] = {
            **_problem_response("a method other than GET or HEAD"),
            "headers": {"Allow": {"schema": {"type": "string", "const": "GET, HEAD"}}},
        }
        responses["431"] = _problem_response("a request head past --max-header-bytes")
        item["head"] = {**get, "summary": get["summary"] + " (headers only, no body)"}
    return paths


def document(max_n: int) -> dict[str, Any]:
    n_schema = {"type": "integer", "minimum": 1, "maximum": max_n}
    query_n = {
        "name": "n",
        "in": "query",
        "required": False,
        "schema": {**n_schema, "default": DEFAULT_N},
    }
    path_n = {"name": "n", "in": "path", "required": True, "schema": n_schema}
    status = {
        "type": "object",
        "properties": {"status": {"type": "string"}},
        "required": ["status"],
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "primebench",
            "version": __version__,
            "description": (
                "The n-th prime (p(1) = 2). n missing means 10000, as in the article. Any other "
                "path is answered 404 with a problem+json body (urn:primebench:problem:not-found)."
            ),
        },
        "paths": _complete(
            {
                "/prime": {"get": _prime_operation("The n-th prime, n from the query", query_n)},
                "/prime/{n}": {"get": _prime_operation("The n-th prime, n from the path", path_n)},
                "/healthz": _plain("The process is alive", "application/json", status),
                "/readyz": _plain(
                    "The engine is ready to answer",
                    "application/json",
                    status,
                    {"503": _problem_response("not ready yet, or shutting down")},
                ),
                "/metrics": _plain("Prometheus metrics", "text/plain", {"type": "string"}),
                "/openapi.json": _plain("This document", "application/json", {"type": "object"}),
            }
        ),
        "components": {
            "schemas": {
                "Prime": {
                    "type": "object",
                    "properties": {"n": n_schema, "prime": {"type": "integer", "minimum": 2}},
                    "required": ["n", "prime"],
                    "additionalProperties": False,
                },
                "Problem": {
                    "type": "object",
                    "description": "RFC 9457 problem details",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                    },
                    "required": ["type", "title", "status", "detail"],
                },
            }
        },
    }


def render(max_n: int) -> bytes:
    return json.dumps(document(max_n), separators=(",", ":")).encode()
