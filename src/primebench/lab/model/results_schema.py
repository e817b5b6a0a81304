"""`results.schema.json`, generated from the results model: the format is declared once.

    uv run python -m primebench.lab.model.results_schema          # rewrite the file
    uv run python -m primebench.lab.model.results_schema --check  # exit 1 if it is stale

The schema is what `results.save` writes (pydantic's serialization-mode JSON schema of
`results.Document`, every key required), with `schema_version` and `kind` in front, as
the document carries them. It is committed so that other tools (and reviewers) can read
the format without running Python; a test fails when it differs from the model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from primebench.lab.model import codec, results

__all__ = ["PATH", "generate", "main", "text"]

PATH = Path(__file__).with_name("results.schema.json")


class _Untitled(GenerateJsonSchema):
    """No per-field titles: each would only repeat its property's name."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def generate() -> dict[str, Any]:
    """The JSON schema (draft 2020-12) of a results document of `results.SCHEMA_VERSION`."""
    body = codec.adapter(results.Document).json_schema(
        mode="serialization", schema_generator=_Untitled
    )
    version = results.SCHEMA_VERSION
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"primebench-results-v{version}",
        "title": f"primebench results document, schema_version {version}",
        "description": (
            "Written by `primebench bench`, read by `primebench report` and `compare`. "
            "Generated from primebench.lab.model (python -m "
            "primebench.lab.model.results_schema); do not edit by hand."
        ),
        "type": "object",
        "required": ["schema_version", "kind", *body["required"]],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": version},
            "kind": {"const": results.KIND},
            **body["properties"],
        },
        "$defs": body["$defs"],
    }


def text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(generate(), indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    wanted = text()
    if args.check:
        current = PATH.read_text(encoding="utf-8") if PATH.exists() else ""
        if current != wanted:
            print(f"{PATH} is stale: regenerate it with python -m {__spec__.name}")
            return 1
        return 0
    PATH.write_text(wanted, encoding="utf-8")
    print(PATH)
    return 0


if __name__ == "__main__":
    sys.exit(main())
