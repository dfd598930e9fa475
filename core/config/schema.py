"""The JSON Schema (draft 2020-12) of ``botstore.toml``, generated from its models.

``botstore schema --config`` prints it; ``docs/schemas/botstore.toml.schema.json``
holds the same text for editors and other tools (regenerate with ``python -m
core.config.schema docs/schemas``; ``tests/unit/test_config_schema.py`` fails when the
file drifts from the models, and validates the README's examples against it). TOML
has no null, so an optional key is one left out: the schema never offers ``null``.
What a schema cannot say (a pair's warning before its critical, a ccxt id's form) the
loader still checks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import orjson

from core.config.models import BotstoreToml

FILE_NAME: Final = "botstore.toml.schema.json"
_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
_ID: Final = f"https://github.com/botstore/botstore/schemas/{FILE_NAME}"


def _without_null(node: Any) -> Any:
    """``anyOf: [X, {type: null}]`` -> ``X``, and no ``default: null`` (TOML has no null)."""
    if isinstance(node, list):
        return [_without_null(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _without_null(value) for key, value in node.items()}
    if "default" in out and out["default"] is None:
        del out["default"]
    options = out.get("anyOf")
    if isinstance(options, list):
        kept = [option for option in options if option != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            out = {**kept[0], **out}
        else:
            out["anyOf"] = kept
    return out


def config_schema() -> dict[str, Any]:
    """The JSON Schema of the whole file."""
    generated = _without_null(BotstoreToml.model_json_schema())
    return {"$schema": _DRAFT, "$id": _ID, **generated, "title": "botstore.toml"}


def schema_text() -> str:
    """The exact text of ``docs/schemas/botstore.toml.schema.json``."""
    return orjson.dumps(config_schema(), option=orjson.OPT_INDENT_2).decode() + "\n"


def write(directory: Path) -> Path:
    """(Re)write the schema file into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / FILE_NAME
    target.write_text(schema_text(), encoding="utf-8")
    return target


if __name__ == "__main__":  # pragma: no cover - python -m core.config.schema DIR
    sys.stdout.write(f"{write(Path(sys.argv[1] if len(sys.argv) > 1 else 'docs/schemas'))}\n")
