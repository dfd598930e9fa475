"""Is this JSON payload usable for that path? (parse, migrate in memory, schema-validate)."""

from __future__ import annotations

import re
from typing import Any

from core.documents.validation import judge_bytes
from core.text.sanitize import REDACTED, is_sensitive_key, sanitize_text


def check_payload(rel: str, payload: bytes) -> tuple[Any, list[str]]:
    """``(data, problems)`` for ``payload`` as the content of ``rel``; no problems = usable.

    Non-JSON paths are not parsed (``data`` is ``None``). The verdict is
    :func:`core.documents.validation.judge_bytes`' (old versions are migrated in memory:
    an old version is not corruption).
    """
    if not rel.endswith(".json"):
        return None, []
    verdict = judge_bytes(rel, payload)
    if verdict.error is not None or verdict.code == "version":
        return verdict.data, list(verdict.problems)
    return verdict.data, [f"schema {verdict.kind}: {safe_violation(v)}" for v in verdict.problems]


def safe_violation(violation: str) -> str:
    """A schema violation fit for logs and screens: under a sensitive field the offending
    value (quoted in the message) is never repeated."""
    field, sep, _ = violation.partition(": ")
    parts = re.split(r"[.\[\]]", field)
    if sep and any(is_sensitive_key(part) for part in parts if part):
        return f"{field}: invalid value ({REDACTED})"
    return sanitize_text(violation)


__all__ = ["check_payload", "safe_violation"]
