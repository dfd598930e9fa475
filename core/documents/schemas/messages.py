"""Human messages for schema violations: field path first, offending value described.

Turns pydantic's errors into ``BTC.amount: expected a number, got "lots"``;
a value under a sensitive key is never quoted (messages reach logs and screens).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import orjson
from pydantic import ValidationError

from core.text.sanitize import REDACTED, is_sensitive_key

#: Most violations reported per file; the rest are summarized in one line.
MAX_VIOLATIONS: Final = 100


_PLAIN_KEY: Final = re.compile(r"[\w-]+")


def format_loc(loc: tuple[int | str, ...]) -> str:
    """``("snapshots", 3, "timestamp")`` -> ``snapshots[3].timestamp``; ``()`` -> ``(root)``."""
    out: list[str] = []
    for part in loc:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{orjson.dumps(part).decode()}]")
    return "".join(out) or "(root)"


def describe_value(value: Any) -> str:
    """A short JSON-ish rendering of an offending value for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = orjson.dumps(value[:60]).decode()
        return shown[:-1] + '..."' if len(value) > 60 else shown
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


_EXPECTED: Final[dict[str, str]] = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
    "money_type": "a number or an {amount, last_price_eur} object",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    # Never quote a value that sits under a sensitive key: messages reach logs and screens.
    secret = any(is_sensitive_key(part) for part in error.get("loc", ()))
    got = REDACTED if secret else describe_value(error.get("input"))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "missing field"
    if kind == "missing_value":
        return str(error.get("msg", "missing field"))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    if kind == "iso_datetime":
        return f"invalid datetime, got {got} (expected ISO 8601 like 2024-01-01T00:00:00)"
    if kind == "literal_error":
        return f"not one of {ctx.get('expected', '?')}, got {got}"
    if kind in {"greater_than_equal", "greater_than", "less_than", "less_than_equal"}:
        ops = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than": "<",
            "less_than_equal": "<=",
        }
        bound = next(iter(ctx.values()), "?")
        return f"must be {ops[kind]} {bound}, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "extra_forbidden":
        return "unexpected field"
    return f"{str(error.get('msg', kind)).lower()}, got {got}"


def _format_errors(exc: ValidationError) -> list[str]:
    errors = exc.errors(include_url=False, include_context=True, include_input=True)
    lines = [f"{format_loc(tuple(e['loc']))}: {_message(e)}" for e in errors[:MAX_VIOLATIONS]]
    if len(errors) > MAX_VIOLATIONS:
        lines.append(f"(root): {len(errors) - MAX_VIOLATIONS} more violations not listed")
    return lines


__all__ = ["MAX_VIOLATIONS", "describe_value", "format_loc"]
