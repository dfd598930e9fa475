"""``sync_once``: upload what changed since the last run, then write the run's manifest.

One run: list the files to back up, hash each (sha256 of the exact bytes that
will be sent), compare with the host's newest complete manifest, and — only if
something changed — claim a new run directory with a conditional write, upload
the changed files conditionally (``if_generation_match=0``: an object that is
already there is a conflict, never silently replaced), and write the manifest
last. Unchanged files are referenced from earlier runs, so every manifest is a
complete snapshot. The upload itself is ``core.cloud.upload``, pruning
``core.cloud.prune``, the ``--every`` loop ``core.cloud.schedule``; the outcome of
each run is recorded here (:data:`STATUS_FILE`, read by the TUI and ``check``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from core.cloud import upload
from core.cloud.client import (
    DEFAULT_RETRY,
    CloudError,
    RetryPolicy,
    describe_error,
    make_client,
)
from core.cloud.manifest import (
    DEFAULT_INCLUDE,
    ManifestEntry,
    clean_prefix,
    collect,
    hostname,
    is_run_id,
    iso_utc,
    safe_host,
)
from core.cloud.prune import prune
from core.cloud.remote import latest_manifest
from core.cloud.upload import Progress
from core.errors import StorageError
from core.storage.read import read_json
from core.storage.write import write_json

log = logging.getLogger("botstore.cloud")

STATUS_FILE: Final = "data/cache/cloud_sync_status.json"


@dataclass(slots=True)
class SyncResult:
    """What one ``sync_once`` did. ``run`` is None when nothing changed (no new run)."""

    bucket: str
    prefix: str
    host: str
    run: str | None
    started: str
    finished: str = ""
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # in the last manifest, gone locally
    skipped: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    #: Files that failed validation (``rel: reason``): not uploaded; the run keeps their
    #: last good cloud copy, so the newest run stays restorable. Non-empty: degraded.
    invalid: list[str] = field(default_factory=list)
    bytes_uploaded: int = 0
    pruned_runs: list[str] = field(default_factory=list)
    pruned_objects: int = 0
    manifest: str | None = None
    error: str | None = None  # set by run_every when the whole run failed

    @property
    def ok(self) -> bool:
        return not self.failures and self.error is None

    @property
    def degraded(self) -> bool:
        """A file failed validation: the snapshot holds an older copy of it (or none)."""
        return bool(self.invalid)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        data["degraded"] = self.degraded
        return data


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _run_of(entry: ManifestEntry) -> str:
    """The run an object was uploaded by (``prefix/host/<run>/rel``), for messages."""
    for part in entry.object.split("/"):
        if is_run_id(part):
            return part
    return entry.object


def sync_once(
    root: str | os.PathLike[str],
    bucket: str,
    prefix: str = "botstore",
    *,
    client: Any = None,
    credentials: str | os.PathLike[str] | None = None,
    endpoint: str | None = None,
    host: str | None = None,
    include: Sequence[str] = DEFAULT_INCLUDE,
    retention_days: float | None = None,
    now: dt.datetime | None = None,
    progress: Progress | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
    write_status: bool = True,
    validate: bool = True,
) -> SyncResult:
    """Back up ``root`` to ``gs://bucket/prefix/<host>/<run>/``; see the module docstring.

    Raises :class:`core.cloud.CloudError` subclasses when the run as a whole
    fails (:class:`GcsMissing`, :class:`CredentialsError`, :class:`CloudUnavailable`,
    :class:`CloudDenied`, :class:`SyncConflict`); per-file problems (a file
    unreadable or changing mid-upload) are listed in ``failures`` and the
    previous copy of that file stays in the snapshot. Local files are only read.

    Every file is validated first, exactly as ``restore`` will (JSON syntax and
    schema, Parquet footer): one that fails is not uploaded, keeps its last good
    copy in the new run's manifest and is listed in ``invalid`` (the run is
    *degraded*). ``validate=False`` uploads as is (tests of restore's own checks).
    """
    root_path = Path(root)
    if not root_path.is_dir():
        raise CloudError(f"root {root_path} is not a directory")
    started = now or _now()
    prefix = clean_prefix(prefix)
    host = safe_host(host) if host else hostname()
    result = SyncResult(bucket=bucket, prefix=prefix, host=host, run=None, started=iso_utc(started))
    try:
        owned = make_client(credentials, endpoint) if client is None else None
        try:
            _sync(
                root_path,
                result,
                client=client if owned is None else owned,
                include=include,
                retention_days=retention_days,
                started=started,
                progress=progress,
                policy=policy,
                validate=validate,
            )
        finally:
            if owned is not None:
                owned.close()
    except Exception as exc:
        result.error = describe_error(exc)
        result.finished = iso_utc(_now())
        if write_status:
            _write_status(root_path, result)
        raise
    result.finished = iso_utc(_now())
    if write_status:
        _write_status(root_path, result)
    return result


def _sync(
    root: Path,
    result: SyncResult,
    *,
    client: Any,
    include: Sequence[str],
    retention_days: float | None,
    started: dt.datetime,
    progress: Progress | None,
    policy: RetryPolicy,
    validate: bool = True,
) -> None:
    bucket, prefix, host = result.bucket, result.prefix, result.host
    files, result.skipped = collect(root, include)
    if not files:
        raise CloudError(
            f"nothing to back up under {root} (none of {', '.join(include)} exists): wrong --root?"
        )
    last = latest_manifest(client, bucket, prefix, host, policy=policy)
    previous = last.files if last is not None else {}

    prepared: list[upload.Prepared] = []
    try:
        changed: list[upload.Prepared] = []
        carried: dict[str, ManifestEntry] = {}
        skipped_secret: set[str] = set()
        for local in files:
            try:
                item = upload.prepare(local)
            except (StorageError, OSError) as exc:
                result.failures.append(f"{local.rel}: cannot read: {describe_error(exc)}")
                if local.rel in previous:
                    carried[local.rel] = previous[local.rel]
                continue
            prepared.append(item)
            if item.payload is not None and upload.holds_secrets(local.rel, item.payload):
                result.skipped.append(f"{local.rel} (holds secret-looking keys, never uploaded)")
                skipped_secret.add(local.rel)
                continue
            problems = upload.validate(item) if validate else []
            if problems:
                kept = previous.get(local.rel)
                result.invalid.append(
                    f"{'; '.join(problems)} — not uploaded; "
                    + (
                        f"the snapshot keeps the copy of run {_run_of(kept)}"
                        if kept
                        else "no earlier copy, so the snapshot has none"
                    )
                )
                if kept is not None:
                    carried[local.rel] = kept
                continue
            old = previous.get(local.rel)
            if old is not None and old.sha256 == item.sha256 and old.size == item.size:
                carried[local.rel] = ManifestEntry(
                    old.sha256, old.size, old.object, iso_utc(local.mtime), old.schema_version
                )
                result.unchanged.append(local.rel)
            else:
                changed.append(item)
        local_names = {f.rel for f in files} - skipped_secret
        result.removed = sorted(set(previous) - local_names)
        if not changed and not result.removed and last is not None:
            log.info("sync: nothing changed since run %s", last.run)
            result.manifest = last.name
        else:
            upload.new_run(
                client,
                result,
                started=started,
                changed=changed,
                carried=carried,
                previous=previous,
                progress=progress,
                policy=policy,
            )
    finally:
        upload.close(prepared)
    if retention_days is not None:
        pruned = prune(
            client, bucket, prefix, host, retention_days=retention_days, now=started, policy=policy
        )
        result.pruned_runs = pruned.runs
        result.pruned_objects = pruned.objects


# --------------------------------------------------------------------------- status


def status_path(root: str | os.PathLike[str]) -> Path:
    return Path(root) / STATUS_FILE


def _write_status(root: Path, result: SyncResult) -> None:
    """Record the outcome for the TUI header (best effort: never fails the sync)."""
    status = {
        "last_attempt": result.finished or result.started,
        "ok": result.ok,
        "error": result.error,
        "run": result.run,
        "bucket": result.bucket,
        "prefix": result.prefix,
        "host": result.host,
        "uploaded": len(result.uploaded),
        "failures": result.failures[:20],
        "invalid": result.invalid[:20],
    }
    previous = read_status(root) or {}
    status["last_success"] = result.finished if result.ok else previous.get("last_success")
    if not (root / "data").is_dir():
        return
    try:
        write_json(status_path(root), status, backup=False)
    except (StorageError, OSError) as exc:
        log.warning("sync: cannot record status: %s", describe_error(exc))


def read_status(root: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The last recorded sync outcome, or None. Keys: last_attempt, last_success, ok, error..."""
    try:
        data = read_json(status_path(root), max_bytes=1 << 20)
    except StorageError:
        return None
    return data if isinstance(data, dict) else None


__all__ = ["STATUS_FILE", "SyncResult", "read_status", "status_path", "sync_once"]
