"""The storage standard's own function names, so the bot swaps each snippet for an import.

Each name keeps the standard's call shape and return convention (``None`` or
``False`` on failure where the standard's snippet returns them) and is backed
by the real implementation: atomic writes with ``.bak`` and policy modes
(``core.storage.write``), the one validation path (``core.documents.validation``), the recovery
chain (``core.documents.recovery``), migrations, sanitizing, the health engine and GCS.
Errors are logged sanitized, never with secret values.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final

from core.documents.cache import DataManager
from core.errors import VersionError
from core.standard.formats import CURRENT_VERSION
from core.storage.read import read_json
from core.storage.write import write_json
from core.text.sanitize import sanitize_for_logging, sanitize_text

if TYPE_CHECKING:
    from core.documents.recovery import RecoveryResult

# The schemas, migrations and recovery (pydantic) are imported by the functions that
# need them: a bot that only saves (``save_data_atomically``) never pays for them.

logger = logging.getLogger("botstore")

PathLike = str | os.PathLike[str]
_UNSET: Final[Any] = object()


def kind_for_file(file_path: PathLike) -> str | None:
    """The schema kind of a file given by any path (``/srv/bot/data/portfolio.json`` too)."""
    from core.documents import schemas

    parts = PurePath(os.fspath(file_path)).parts
    for i in range(len(parts)):
        kind = schemas.kind_for_path("/".join(parts[i:]))
        if kind is not None:
            return kind
    return None


def save_data_atomically(file_path: PathLike, data: Any) -> None:
    """Save ``data`` as JSON at ``file_path``: temp file, fsync, atomic replace, old copy
    kept as ``<file>.bak``, policy mode (640; 600 when it holds secrets). Raises on failure
    (:class:`core.errors.WriteFailed`; ``.committed`` says whether the new data is in place)."""
    write_json(file_path, data, backup=True)


def validate_and_load_json(
    file_path: PathLike, schema_validator: Callable[[Any], Any] | str | None = None
) -> Any:
    """The file's data after ``schema_validator(data)`` (its return value), or ``None`` when
    the file is missing, unreadable, not JSON or rejected — never raises.

    ``schema_validator`` may also be a schema kind (``"portfolio"``), or ``None`` for the
    kind the path implies: then old versions are migrated in memory and the result is
    validated by the one validation path.
    """
    try:
        data = read_json(file_path)
        if callable(schema_validator):
            return schema_validator(data)
        kind = schema_validator if schema_validator is not None else kind_for_file(file_path)
        if kind is None:
            return data
        from core.documents.validation import judge_data

        verdict = judge_data(os.fspath(file_path), data, kind)
    except Exception as exc:  # noqa: BLE001 - the standard's contract: None, logged
        _log_failure("Error loading %s: %s", file_path, exc)
        return None
    if verdict.code is not None:
        _log_failure("Error loading %s: %s", file_path, "; ".join(verdict.problems[:3]))
        return None
    return verdict.migrated


def _log_failure(template: str, path: PathLike, problem: object) -> None:
    """Log one sanitized line; never a traceback (it could quote a secret value)."""
    logger.error(template, path, sanitize_text(str(problem)))


def load_with_recovery(
    primary_file: PathLike,
    backup_file: PathLike | None = _UNSET,
    default_factory: Callable[[], Any] | None = None,
    **options: Any,
) -> Any:
    """The standard's recovery chain: primary, then backup, then ``default_factory()``.

    Called the standard's way — ``load_with_recovery(primary, backup, default_factory)``
    — it returns the data (validated with the schema the path implies). Called with
    keywords only (``backup=``, ``validate=``, ``fallback=``, ``repair=``...) it is
    :func:`core.documents.recovery.load_with_recovery` and returns its :class:`RecoveryResult`.
    """
    from core.documents.recovery import load_with_recovery as _load_with_recovery

    if backup_file is _UNSET and default_factory is None:
        result: RecoveryResult = _load_with_recovery(primary_file, **options)
        return result
    options.setdefault("validate", kind_for_file(primary_file))
    return _load_with_recovery(
        primary_file,
        backup=None if backup_file is _UNSET else backup_file,
        fallback=default_factory,
        **options,
    ).data


def _guess_kind(data: Any) -> str | None:
    if isinstance(data, list) or (isinstance(data, dict) and "snapshots" in data):
        return "snapshots"
    if isinstance(data, dict) and data.keys() & {
        "tracking_start_date",
        "snapshot_frequency",
        "start_date",
        "frequency",
    }:
        return "performance_config"
    return None


def migrate_data_version(data: Any, current_version: str = CURRENT_VERSION) -> Any:
    """``data`` in ``current_version`` (the input is never modified).

    The kind is told by the data (a performance config, the snapshots list); data
    already current comes back as it is. Raises :class:`VersionError` for a version
    botstore has no path for, or a ``current_version`` it does not know.
    """
    if current_version != CURRENT_VERSION:
        raise VersionError(
            "<data>",
            f"unknown target version {current_version!r} (botstore writes {CURRENT_VERSION})",
        )
    kind = _guess_kind(data)
    if kind is None:
        version = data.get("version", current_version) if isinstance(data, dict) else None
        if version not in (None, current_version):
            raise VersionError("<data>", f"no migration from version {version!r}")
        return data
    from core.documents import migrations

    migrated, steps = migrations.migrate(kind, data)
    for step in steps:
        logger.info("Migrating data: %s", step)
    return migrated


def get_storage_health(root: PathLike = ".") -> dict[str, Any]:
    """The standard's seven health figures for the bot root (``portfolio_file_exists`` ...)."""
    from core.health import scan

    return dict(scan(root).health)


def sync_to_cloud(
    local_path: PathLike,
    gcs_path: str,
    metadata: dict[str, str] | None = None,
    *,
    bucket: str | None = None,
    client: Any = None,
) -> bool:
    """Upload one file to GCS; ``True`` on success, ``False`` (logged) on any failure.

    ``gcs_path`` is ``gs://BUCKET/OBJECT`` or an object name in ``bucket`` (default:
    ``[cloud] bucket`` of ``./botstore.toml``). Metadata values are sanitized. Needs the
    ``gcs`` extra; ``botstore sync`` is the whole-tree, verified form.
    """
    try:
        if gcs_path.startswith("gs://"):
            bucket, _, name = gcs_path[5:].partition("/")
        else:
            name = gcs_path
        from core import cloud

        settings = cloud.load_settings(".")
        bucket = bucket or settings.bucket
        if not bucket or not name:
            _log_failure("Failed to sync %s: %s", local_path, f"no bucket for {gcs_path!r}")
            return False
        own = client is None
        client = client or cloud.make_client(settings.credentials, settings.endpoint)
        try:
            blob = client.bucket(bucket).blob(name)
            if metadata:
                blob.metadata = sanitize_for_logging(dict(metadata))
            blob.upload_from_filename(os.fspath(local_path))
        finally:
            if own:
                client.close()
        logger.info("Synced %s to gs://%s/%s", local_path, bucket, name)
        return True
    except Exception as exc:  # noqa: BLE001 - the standard's contract: False, logged
        _log_failure("Failed to sync %s: %s", local_path, exc)
        return False


__all__ = [
    "DataManager",
    "get_storage_health",
    "kind_for_file",
    "load_with_recovery",
    "migrate_data_version",
    "sanitize_for_logging",
    "save_data_atomically",
    "sync_to_cloud",
    "validate_and_load_json",
]
