"""Is this JSON payload usable for that path? (parse, migrate in memory, schema-validate)."""

from __future__ import annotations

import re
from typing import Any

from core import migrations, schemas
from core.atomic import parse_json
from core.errors import StorageError, VersionError
from core.sanitize import REDACTED, is_sensitive_key, sanitize_text


def check_payload(rel: str, payload: bytes) -> tuple[Any, list[str]]:
    """``(data, problems)`` for ``payload`` as the content of ``rel``; no problems = usable.

    Non-JSON paths are not parsed (``data`` is ``None``). Old versions are
    migrated in memory before validation, as :mod:`core.recovery` does: an old
    version is not corruption.
    """
    if not rel.endswith(".json"):
        return None, []
    try:
        data = parse_json(payload, rel)
    except StorageError as exc:
        return None, [exc.reason]
    kind = schemas.kind_for_path(rel)
    if kind is None:
        return data, []
    try:
        migrated, _ = migrations.migrate(kind, data)
    except VersionError as exc:
        return data, [exc.reason]
    return data, [f"schema {kind}: {safe_violation(v)}" for v in schemas.validate(kind, migrated)]


def safe_violation(violation: str) -> str:
    """A schema violation fit for logs and screens: under a sensitive field the offending
    value (quoted in the message) is never repeated."""
    field, sep, _ = violation.partition(": ")
    parts = re.split(r"[.\[\]]", field)
    if sep and any(is_sensitive_key(part) for part in parts if part):
        return f"{field}: invalid value ({REDACTED})"
    return sanitize_text(violation)


__all__ = ["check_payload", "safe_violation"]
