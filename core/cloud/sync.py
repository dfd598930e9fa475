"""``sync_once``: upload what changed since the last run, then write the run's manifest.

One run: list the files to back up, hash each (sha256 of the exact bytes that
will be sent), compare with the host's newest complete manifest, and — only if
something changed — claim a new run directory with a conditional write, upload
the changed files conditionally (``if_generation_match=0``: an object that is
already there is a conflict, never silently replaced), and write the manifest
last. Unchanged files are referenced from earlier runs, so every manifest is a
complete snapshot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Final

from core.cloud.client import (
    DEFAULT_RETRY,
    CloudError,
    RetryPolicy,
    SyncConflict,
    call_with_retry,
    describe_error,
    is_not_found,
    is_precondition_failed,
    make_client,
)
from core.cloud.manifest import (
    CHUNK,
    CLAIM_NAME,
    DEFAULT_INCLUDE,
    MANIFEST_NAME,
    LocalFile,
    Manifest,
    ManifestEntry,
    clean_prefix,
    collect,
    host_prefix,
    hostname,
    is_run_id,
    parse_run_id,
    run_id,
    run_prefix,
    safe_host,
    schema_version,
    sha256_bytes,
)
from core.cloud.remote import latest_manifest, load_manifest
from core.errors import StorageError
from core.standard.policy import has_sensitive_keys
from core.standard.version import __version__
from core.storage.codec import dumps, parse_json
from core.storage.read import read_bytes, read_json
from core.storage.write import write_json
from core.text.sanitize import sanitize_text

log = logging.getLogger("botstore.cloud")

#: Files at least this big go up as resumable uploads in chunks, with progress.
LARGE_FILE: Final = 8 * 1024 * 1024
UPLOAD_CHUNK: Final = 8 * 1024 * 1024  # a multiple of 256 KiB, as GCS requires
STATUS_FILE: Final = "data/cache/cloud_sync_status.json"

REF_RUNS_KEY: Final = "botstore_ref_runs"
_REF_RUNS_MAX: Final = 6000
_REF_CACHE_SIZE: Final = 8192
_REF_CACHE: dict[tuple[str, str, int], frozenset[str]] = {}

#: ``progress(relpath, bytes_done, bytes_total)``: called per chunk for large
#: files and once on completion for every uploaded file.
Progress = Callable[[str, int, int], None]

_CONTENT_TYPES: Final = {
    ".json": "application/json",
    ".parquet": "application/vnd.apache.parquet",
    ".md": "text/markdown",
    ".csv": "text/csv",
    ".txt": "text/plain",
}


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


class _HashingReader:
    """A file wrapper that hashes what the uploader actually reads and reports progress."""

    def __init__(self, handle: IO[bytes], rel: str, total: int, progress: Progress | None) -> None:
        self._handle = handle
        self._rel = rel
        self._total = total
        self._progress = progress
        self.digest = hashlib.sha256()
        self.sent = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        if chunk:
            self.digest.update(chunk)
            self.sent += len(chunk)
            if self._progress is not None:
                self._progress(self._rel, self.sent, self._total)
        return chunk

    def tell(self) -> int:
        return self._handle.tell()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._handle.seek(offset, whence)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(ts: float | dt.datetime) -> str:
    when = ts if isinstance(ts, dt.datetime) else dt.datetime.fromtimestamp(ts, dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _content_type(rel: str) -> str:
    return _CONTENT_TYPES.get(Path(rel).suffix.lower(), "application/octet-stream")


@dataclass(slots=True)
class _Prepared:
    file: LocalFile
    sha256: str
    size: int
    handle: IO[bytes] | None  # large files: kept open so the bytes sent are the bytes hashed
    payload: bytes | None  # small files: read once
    schema_version: str | None


def _prepare(local: LocalFile) -> _Prepared:
    """Hash a file. Small files are read once; large ones stay open (an atomic
    replace by the bot swaps the inode, so the open handle keeps the hashed bytes)."""
    if local.size < LARGE_FILE:
        payload = read_bytes(local.path, max_bytes=LARGE_FILE * 64)
        return _Prepared(
            local,
            sha256_bytes(payload),
            len(payload),
            None,
            payload,
            schema_version(local.rel, payload),
        )
    handle = local.path.open("rb")
    try:
        digest = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _Prepared(local, digest.hexdigest(), size, handle, None, None)


def _validate(item: _Prepared) -> list[str]:
    """The restore's own content check, on the bytes about to be uploaded."""
    from core.cloud.restore import validate_file, validate_payload

    rel = item.file.rel
    if item.payload is not None:
        return validate_payload(rel, item.payload)
    if item.handle is None or not rel.endswith(".parquet"):
        return []
    try:
        return validate_file(rel, item.handle)
    finally:
        item.handle.seek(0)


def _run_of(entry: ManifestEntry) -> str:
    """The run an object was uploaded by (``prefix/host/<run>/rel``), for messages."""
    for part in entry.object.split("/"):
        if is_run_id(part):
            return part
    return entry.object


def _holds_secrets(rel: str, payload: bytes) -> bool:
    """A JSON object whose top-level keys look secret (``api_key``...): never leaves the host."""
    if not rel.endswith(".json"):
        return False
    try:
        return has_sensitive_keys(parse_json(payload, rel))
    except StorageError:
        return False


def _close(prepared: list[_Prepared]) -> None:
    for item in prepared:
        if item.handle is not None:
            item.handle.close()


class _Uploader:
    def __init__(
        self,
        client: Any,
        bucket: str,
        *,
        host: str,
        run: str,
        prefix: str,
        nonce: str,
        policy: RetryPolicy,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.bucket_name = bucket
        self.bucket = client.bucket(bucket)
        self.host = host
        self.run = run
        self.prefix = prefix
        self.nonce = nonce
        self.policy = policy
        self.progress = progress

    def _blob(self, name: str, metadata: dict[str, str]) -> Any:
        blob = self.bucket.blob(name)
        blob.metadata = metadata
        return blob

    def _ours(self, name: str, sha: str) -> bool:
        """After a 412 on a retry: is the object there the one our lost attempt wrote?"""
        existing = call_with_retry(
            f"stat gs://{self.bucket_name}/{name}",
            lambda: self.bucket.get_blob(name, retry=None, timeout=self.policy.timeout),
            policy=self.policy,
        )
        meta = (existing.metadata or {}) if existing is not None else {}
        return bool(meta.get("sha256") == sha and meta.get("botstore_run_nonce") == self.nonce)

    def put_bytes(
        self, name: str, payload: bytes, metadata: dict[str, str], content_type: str
    ) -> None:
        blob = self._blob(name, metadata)
        attempts = {"n": 0}

        def send() -> None:
            attempts["n"] += 1
            blob.upload_from_string(
                payload,
                content_type=content_type,
                if_generation_match=0,
                retry=None,
                timeout=self.policy.timeout,
            )

        self._conditional(name, metadata["sha256"], send, attempts)

    def put_file(self, name: str, item: _Prepared, metadata: dict[str, str]) -> None:
        handle = item.handle
        if handle is None:
            raise ValueError("put_file needs an open handle")
        blob = self._blob(name, metadata)
        blob.chunk_size = UPLOAD_CHUNK
        attempts = {"n": 0}
        reader: list[_HashingReader] = []

        def send() -> None:
            attempts["n"] += 1
            handle.seek(0)
            wrapper = _HashingReader(handle, item.file.rel, item.size, self.progress)
            reader[:] = [wrapper]
            blob.upload_from_file(
                wrapper,
                size=item.size,
                content_type=_content_type(item.file.rel),
                if_generation_match=0,
                retry=None,
                timeout=self.policy.timeout,
            )

        self._conditional(name, item.sha256, send, attempts)
        if reader and reader[0].sent == item.size and reader[0].digest.hexdigest() != item.sha256:
            raise OSError(
                f"{item.file.rel} changed while it was uploading (written in place, "
                "not atomically); it stays out of this run's manifest"
            )

    def _conditional(
        self, name: str, sha: str, send: Callable[[], None], attempts: dict[str, int]
    ) -> None:
        try:
            call_with_retry(f"upload gs://{self.bucket_name}/{name}", send, policy=self.policy)
        except Exception as exc:
            if not is_precondition_failed(exc):
                raise
            if attempts["n"] > 1 and self._ours(name, sha):
                return  # an earlier attempt landed but its response was lost
            raise SyncConflict(
                f"gs://{self.bucket_name}/{name} already exists: another writer (a host with "
                f"the same name {self.host!r}, or a concurrent sync) wrote it first; nothing "
                "was overwritten"
            ) from None


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
    result = SyncResult(bucket=bucket, prefix=prefix, host=host, run=None, started=_iso(started))
    try:
        _sync(
            root_path,
            result,
            client=client,
            credentials=credentials,
            endpoint=endpoint,
            include=include,
            retention_days=retention_days,
            started=started,
            progress=progress,
            policy=policy,
            validate=validate,
        )
    except Exception as exc:
        result.error = describe_error(exc)
        result.finished = _iso(_now())
        if write_status:
            _write_status(root_path, result)
        raise
    result.finished = _iso(_now())
    if write_status:
        _write_status(root_path, result)
    return result


def _sync(
    root: Path,
    result: SyncResult,
    *,
    client: Any,
    credentials: str | os.PathLike[str] | None,
    endpoint: str | None,
    include: Sequence[str],
    retention_days: float | None,
    started: dt.datetime,
    progress: Progress | None,
    policy: RetryPolicy,
    validate: bool = True,
) -> None:
    if client is None:
        owned = make_client(credentials, endpoint)
        try:
            _sync(
                root,
                result,
                client=owned,
                credentials=None,
                endpoint=None,
                include=include,
                retention_days=retention_days,
                started=started,
                progress=progress,
                policy=policy,
                validate=validate,
            )
        finally:
            owned.close()
        return
    bucket, prefix, host = result.bucket, result.prefix, result.host
    files, result.skipped = collect(root, include)
    if not files:
        raise CloudError(
            f"nothing to back up under {root} (none of {', '.join(include)} exists): wrong --root?"
        )
    last = latest_manifest(client, bucket, prefix, host, policy=policy)
    previous = last.files if last is not None else {}

    prepared: list[_Prepared] = []
    try:
        changed: list[_Prepared] = []
        carried: dict[str, ManifestEntry] = {}
        skipped_secret: set[str] = set()
        for local in files:
            try:
                item = _prepare(local)
            except (StorageError, OSError) as exc:
                result.failures.append(f"{local.rel}: cannot read: {describe_error(exc)}")
                if local.rel in previous:
                    carried[local.rel] = previous[local.rel]
                continue
            prepared.append(item)
            if item.payload is not None and _holds_secrets(local.rel, item.payload):
                result.skipped.append(f"{local.rel} (holds secret-looking keys, never uploaded)")
                skipped_secret.add(local.rel)
                continue
            problems = _validate(item) if validate else []
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
                    old.sha256, old.size, old.object, _iso(local.mtime), old.schema_version
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
            _new_run(
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
        _close(prepared)
    if retention_days is not None:
        pruned = prune(
            client, bucket, prefix, host, retention_days=retention_days, now=started, policy=policy
        )
        result.pruned_runs = pruned.runs
        result.pruned_objects = pruned.objects


def _new_run(
    client: Any,
    result: SyncResult,
    *,
    started: dt.datetime,
    changed: list[_Prepared],
    carried: dict[str, ManifestEntry],
    previous: dict[str, ManifestEntry],
    progress: Progress | None,
    policy: RetryPolicy,
) -> None:
    bucket, prefix, host = result.bucket, result.prefix, result.host
    run = run_id(started)
    nonce = secrets.token_hex(8)
    up = _Uploader(
        client,
        bucket,
        host=host,
        run=run,
        prefix=prefix,
        nonce=nonce,
        policy=policy,
        progress=progress,
    )
    base = run_prefix(prefix, host, run)
    claim = dumps(
        {
            "host": host,
            "run": run,
            "nonce": nonce,
            "started": _iso(started),
            "botstore_version": __version__,
        }
    )
    up.put_bytes(
        base + CLAIM_NAME,
        claim,
        {"sha256": sha256_bytes(claim), "source_host": host, "botstore_run_nonce": nonce},
        "application/json",
    )
    result.run = run
    manifest = Manifest(
        host=host, run=run, prefix=prefix, files=dict(carried), created=_iso(started)
    )
    for item in changed:
        rel = item.file.rel
        name = base + rel
        metadata = {
            "sha256": item.sha256,
            "size": str(item.size),
            "source_host": host,
            "original_path": rel,
            "mtime": _iso(item.file.mtime),
            "botstore_run": run,
            "botstore_run_nonce": nonce,
            "botstore_version": __version__,
        }
        if item.schema_version is not None:
            metadata["schema_version"] = item.schema_version
        try:
            if item.payload is not None:
                up.put_bytes(name, item.payload, metadata, _content_type(rel))
                if progress is not None:
                    progress(rel, item.size, item.size)
            else:
                up.put_file(name, item, metadata)
        except OSError as exc:  # the local file misbehaved; the endpoint is fine
            result.failures.append(f"{rel}: {sanitize_text(str(exc))}")
            if rel in previous:  # keep the last good copy in the snapshot
                manifest.files[rel] = previous[rel]
            continue
        manifest.files[rel] = ManifestEntry(
            item.sha256, item.size, name, metadata["mtime"], item.schema_version
        )
        result.uploaded.append(rel)
        result.bytes_uploaded += item.size
        log.info("sync: uploaded %s (%d bytes)", sanitize_text(rel), item.size)
    manifest.uploaded = len(result.uploaded)
    payload = manifest.to_bytes()
    up.put_bytes(
        manifest.name,
        payload,
        {
            "sha256": sha256_bytes(payload),
            "source_host": host,
            "botstore_run": run,
            "botstore_run_nonce": nonce,
            "botstore_version": __version__,
            REF_RUNS_KEY: _ref_runs(manifest),
        },
        "application/json",
    )
    result.manifest = manifest.name


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


# --------------------------------------------------------------------------- pruning


@dataclass(slots=True)
class PruneResult:
    runs: list[str] = field(default_factory=list)
    objects: int = 0


def prune(
    client: Any,
    bucket: str,
    prefix: str,
    host: str,
    *,
    retention_days: float,
    now: dt.datetime | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> PruneResult:
    """Delete runs older than ``retention_days``, except objects a kept manifest references.

    The newest complete run is always kept. Every kept manifest that references
    a run being pruned (its ``botstore_ref_runs`` metadata says which) is read,
    so an old object still referenced (a file unchanged for months) survives. A
    run's manifest is deleted before its objects, so a half-pruned run is never
    mistaken for a complete snapshot. Needs ``storage.objects.delete``.
    """
    prefix = clean_prefix(prefix)
    now = now or _now()
    cutoff = now - dt.timedelta(days=retention_days)
    under = host_prefix(prefix, host)
    blobs: dict[str, list[Any]] = {}

    def listing() -> None:
        blobs.clear()
        for blob in client.list_blobs(bucket, prefix=under, retry=None, timeout=policy.timeout):
            run = blob.name[len(under) :].split("/", 1)[0]
            blobs.setdefault(run, []).append(blob)

    call_with_retry(f"list gs://{bucket}/{under}", listing, policy=policy)
    complete = sorted(
        r
        for r, items in blobs.items()
        if any(b.name == under + r + "/" + MANIFEST_NAME for b in items) and _valid_run(r)
    )
    newest = complete[-1] if complete else None
    old = [r for r in sorted(blobs) if _valid_run(r) and parse_run_id(r) < cutoff and r != newest]
    result = PruneResult()
    if not old:
        return result
    referenced: set[str] = set()
    doomed = set(old)
    for run in complete:
        if run in doomed:
            continue
        blob = next(b for b in blobs[run] if b.name == under + run + "/" + MANIFEST_NAME)
        refs = (blob.metadata or {}).get(REF_RUNS_KEY)
        if refs is not None and refs != "*" and not doomed & set(filter(None, refs.split(","))):
            continue  # references none of the runs being pruned: no need to read it
        referenced.update(
            _referenced_objects(
                client, bucket, prefix, host, run, generation=blob.generation, policy=policy
            )
        )
    bucket_ref = client.bucket(bucket)
    for run in old:
        items = sorted(blobs[run], key=lambda b: not b.name.endswith("/" + MANIFEST_NAME))
        for blob in items:
            if blob.name in referenced:
                continue
            _delete(bucket_ref, blob, bucket, policy)
            result.objects += 1
        result.runs.append(run)
        log.info("sync: pruned run %s of %s", run, host)
    return result


def _ref_runs(manifest: Manifest) -> str:
    """Earlier runs whose objects this manifest references, for the manifest's metadata:
    pruning reads only the kept manifests that reference a run it is about to delete."""
    base = run_prefix(manifest.prefix, manifest.host, "")
    runs = sorted(
        {
            entry.object[len(base) :].split("/", 1)[0]
            for entry in manifest.files.values()
            if entry.object.startswith(base)
        }
        - {manifest.run}
    )
    text = ",".join(runs)
    return text if len(text) <= _REF_RUNS_MAX else "*"  # GCS caps metadata at 8 KiB


def _referenced_objects(
    client: Any,
    bucket: str,
    prefix: str,
    host: str,
    run: str,
    *,
    generation: int | None,
    policy: RetryPolicy,
) -> frozenset[str]:
    key = (bucket, run_prefix(prefix, host, run), generation or 0)
    cached = _REF_CACHE.get(key)
    if cached is not None:
        return cached
    manifest = load_manifest(client, bucket, prefix, host, run, policy=policy)
    refs = frozenset(e.object for e in manifest.files.values()) if manifest else frozenset()
    if generation is not None:  # manifests are create-only: a generation never changes
        if len(_REF_CACHE) >= _REF_CACHE_SIZE:
            _REF_CACHE.pop(next(iter(_REF_CACHE)))
        _REF_CACHE[key] = refs
    return refs


def _valid_run(run: str) -> bool:
    try:
        parse_run_id(run)
    except ValueError:
        return False
    return True


def _delete(bucket_ref: Any, blob: Any, bucket: str, policy: RetryPolicy) -> None:
    def remove() -> None:
        try:
            bucket_ref.delete_blob(
                blob.name, if_generation_match=blob.generation, retry=None, timeout=policy.timeout
            )
        except Exception as exc:
            if not is_not_found(exc):
                raise

    try:
        call_with_retry(f"delete gs://{bucket}/{blob.name}", remove, policy=policy)
    except Exception as exc:
        if is_precondition_failed(exc):
            return  # rewritten since listed: not ours to delete
        raise


# --------------------------------------------------------------------------- loop


def parse_interval(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d`` -> seconds (at least 1)."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    factor = 1
    if text and text[-1] in units:
        factor = units[text[-1]]
        text = text[:-1]
    try:
        value = float(text) * factor
    except ValueError:
        raise ValueError(f"bad interval {text!r}: use e.g. 900, 15m, 2h") from None
    if value < 1:
        raise ValueError("the interval must be at least 1 second")
    return value


def run_every(
    interval: float,
    once: Callable[[], SyncResult],
    on_result: Callable[[SyncResult | None, BaseException | None], None],
    stop: threading.Event | None = None,
    max_runs: int | None = None,
) -> int:
    """Call ``once`` every ``interval`` seconds until ``stop`` is set; never raises on a
    failed run (``on_result(None, exc)`` reports it). Returns the number of failed runs."""
    stop = stop or threading.Event()
    failed = 0
    runs = 0
    while not stop.is_set():
        began = time.monotonic()
        try:
            on_result(once(), None)
        except Exception as exc:  # noqa: BLE001 - the loop must survive any failed run
            failed += 1
            on_result(None, exc)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(max(0.0, interval - (time.monotonic() - began)))
    return failed


__all__ = [
    "LARGE_FILE",
    "MANIFEST_NAME",
    "PruneResult",
    "SyncResult",
    "parse_interval",
    "prune",
    "read_status",
    "run_every",
    "status_path",
    "sync_once",
]
