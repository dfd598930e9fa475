"""Field-level, sanitized differences between two JSON documents (for previews)."""

from __future__ import annotations

from typing import Any, Final

import orjson

from core.actions.base import Change
from core.text.sanitize import REDACTED, is_sensitive_key, sanitize_for_logging

DEFAULT_LIMIT: Final = 60
_SHOW_CHARS: Final = 70


def show(value: Any, sensitive: bool = False) -> str:
    """A short, sanitized rendering of a JSON value."""
    if sensitive:
        return REDACTED
    text = orjson.dumps(sanitize_for_logging(value), default=str).decode()
    return text if len(text) <= _SHOW_CHARS else text[: _SHOW_CHARS - 1] + "…"


def json_diff(old: Any, new: Any, limit: int = DEFAULT_LIMIT) -> list[Change]:
    """Changes from ``old`` to ``new`` (dict keys by name, lists by index), at most ``limit``.

    Values under a sensitive key are shown as ``[REDACTED]`` (the change itself
    is still listed). A final ``…`` entry counts what was left out.
    """
    out: list[Change] = []
    hidden = 0

    def add(change: Change) -> None:
        nonlocal hidden
        if len(out) < limit:
            out.append(change)
        else:
            hidden += 1

    def walk(a: Any, b: Any, path: str, secret: bool) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            keys = list(a) + [k for k in b if k not in a]
            for key in keys:
                sub = f"{path}.{key}" if path else str(key)
                hush = secret or is_sensitive_key(key)
                if key not in b:
                    add(Change(sub, show(a[key], hush), "", "removed"))
                elif key not in a:
                    add(Change(sub, "", show(b[key], hush), "added"))
                else:
                    walk(a[key], b[key], sub, hush)
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                add(Change(f"{path}[]", f"{len(a)} items", f"{len(b)} items"))
            for index, (x, y) in enumerate(zip(a, b, strict=False)):
                walk(x, y, f"{path}[{index}]", secret)
            for index in range(len(b), len(a)):
                add(Change(f"{path}[{index}]", show(a[index], secret), "", "removed"))
            for index in range(len(a), len(b)):
                add(Change(f"{path}[{index}]", "", show(b[index], secret), "added"))
        elif a != b or type(a) is not type(b):
            add(Change(path or "(root)", show(a, secret), show(b, secret)))

    walk(old, new, "", False)
    if hidden:
        out.append(Change("…", "", f"{hidden} more difference(s) not shown", "added"))
    return out


__all__ = ["json_diff", "show"]
