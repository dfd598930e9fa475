"""The one answer to "is this JSON usable as that file?": parse, migrate in memory, validate.

Every entry point asks here — the health scan, ``load_with_recovery``,
``restore-cloud``, ``verify-backups``, the actions and the TUI's detail view —
so the same bytes get the same verdict everywhere. An older version is not
corruption: it is migrated in memory (``pending`` lists the steps) and the
result is validated against the current schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.documents import migrations, schemas
from core.errors import StorageError, VersionError
from core.standard.layout import BACKUP_SUFFIX
from core.storage.codec import parse_json

#: Suffix of a backup copy: judged as the file it backs up.


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one JSON document is worth as the content of ``rel``.

    ``code`` is the finding code of the first problem (``invalid_json``,
    ``empty``... from the parse, ``version``, ``schema``) or ``None`` when usable.
    """

    rel: str
    kind: str | None
    data: Any = None
    migrated: Any = None
    pending: list[str] = field(default_factory=list)
    code: str | None = None
    problems: list[str] = field(default_factory=list)
    error: StorageError | None = None

    @property
    def ok(self) -> bool:
        return self.code is None

    @property
    def parsed(self) -> bool:
        return self.error is None


def primary_rel(rel: str) -> str:
    """``data/portfolio.json.bak`` -> ``data/portfolio.json`` (other paths unchanged)."""
    return rel[: -len(BACKUP_SUFFIX)] if rel.endswith(BACKUP_SUFFIX) else rel


def kind_of(rel: str) -> str | None:
    """The schema kind of a root-relative path (a ``.bak`` counts as its primary)."""
    return schemas.kind_for_path(primary_rel(rel))


def judge_data(rel: str, data: Any, kind: str | None = None) -> Verdict:
    """Verdict on already-parsed ``data`` as ``rel`` (or as ``kind`` when given)."""
    kind = kind if kind is not None else kind_of(rel)
    if kind is None:
        return Verdict(rel, None, data, data)
    try:
        pending = migrations.needs_migration(kind, data)
        migrated, steps = migrations.migrate(kind, data) if pending else (data, [])
    except VersionError as exc:
        return Verdict(rel, kind, data, None, code="version", problems=[exc.reason])
    violations = schemas.validate(kind, migrated)
    if violations:
        return Verdict(rel, kind, data, migrated, steps, "schema", violations)
    return Verdict(rel, kind, data, migrated, steps)


def judge_bytes(rel: str, payload: bytes, kind: str | None = None) -> Verdict:
    """Verdict on the raw bytes of ``rel``: a parse failure carries its StorageError."""
    try:
        data = parse_json(payload, rel)
    except StorageError as exc:
        return Verdict(
            rel,
            kind if kind is not None else kind_of(rel),
            code=exc.code,
            problems=[exc.reason],
            error=exc,
        )
    return judge_data(rel, data, kind)


__all__ = ["Verdict", "judge_bytes", "judge_data", "kind_of", "primary_rel"]
