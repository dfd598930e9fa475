"""The upload side of a sync run: files read and hashed once, checked, sent conditionally.

:func:`prepare` hashes a file (small ones read into memory, large ones kept open so
the bytes sent are the bytes hashed); :func:`validate` runs restore's own content check
on them; :class:`Uploader` writes objects with ``if_generation_match=0`` (an object
already there is a conflict, never replaced), large files as resumable uploads with
progress; :func:`new_run` claims a run, uploads the changed files and writes the run's
manifest last. What changed since the last run is decided in ``core.cloud.sync``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from core.cloud.client import (
    RetryPolicy,
    SyncConflict,
    call_with_retry,
    is_precondition_failed,
)
from core.cloud.manifest import (
    CHUNK,
    CLAIM_NAME,
    LocalFile,
    Manifest,
    ManifestEntry,
    iso_utc,
    run_id,
    run_prefix,
    schema_version,
    sha256_bytes,
)
from core.cloud.prune import REF_RUNS_KEY, ref_runs
from core.cloud.validate import validate_file, validate_payload
from core.errors import StorageError
from core.standard.policy import has_sensitive_keys
from core.standard.version import __version__
from core.storage.codec import dumps, parse_json
from core.storage.read import read_bytes
from core.text.sanitize import sanitize_text

if TYPE_CHECKING:
    from core.cloud.sync import SyncResult

log = logging.getLogger("botstore.cloud")

#: Files at least this big go up as resumable uploads in chunks, with progress.
LARGE_FILE: Final = 8 * 1024 * 1024
UPLOAD_CHUNK: Final = 8 * 1024 * 1024  # a multiple of 256 KiB, as GCS requires

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


def content_type(rel: str) -> str:
    return _CONTENT_TYPES.get(Path(rel).suffix.lower(), "application/octet-stream")


@dataclass(slots=True)
class Prepared:
    file: LocalFile
    sha256: str
    size: int
    handle: IO[bytes] | None  # large files: kept open so the bytes sent are the bytes hashed
    payload: bytes | None  # small files: read once
    schema_version: str | None


def prepare(local: LocalFile) -> Prepared:
    """Hash a file. Small files are read once; large ones stay open (an atomic
    replace by the bot swaps the inode, so the open handle keeps the hashed bytes)."""
    if local.size < LARGE_FILE:
        payload = read_bytes(local.path, max_bytes=LARGE_FILE * 64)
        return Prepared(
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
    return Prepared(local, digest.hexdigest(), size, handle, None, None)


def validate(item: Prepared) -> list[str]:
    """The restore's own content check, on the bytes about to be uploaded."""
    rel = item.file.rel
    if item.payload is not None:
        return validate_payload(rel, item.payload)
    if item.handle is None or not rel.endswith(".parquet"):
        return []
    try:
        return validate_file(rel, item.handle)
    finally:
        item.handle.seek(0)


def holds_secrets(rel: str, payload: bytes) -> bool:
    """A JSON object whose top-level keys look secret (``api_key``...): never leaves the host."""
    if not rel.endswith(".json"):
        return False
    try:
        return has_sensitive_keys(parse_json(payload, rel))
    except StorageError:
        return False


def close(prepared: list[Prepared]) -> None:
    for item in prepared:
        if item.handle is not None:
            item.handle.close()


class Uploader:
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

    def put_file(self, name: str, item: Prepared, metadata: dict[str, str]) -> None:
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
                content_type=content_type(item.file.rel),
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


def new_run(
    client: Any,
    result: SyncResult,
    *,
    started: dt.datetime,
    changed: list[Prepared],
    carried: dict[str, ManifestEntry],
    previous: dict[str, ManifestEntry],
    progress: Progress | None,
    policy: RetryPolicy,
) -> None:
    """Claim run ``run_id(started)``, upload ``changed``, then write the run's manifest
    (``carried`` entries referenced as they are); ``result`` records what happened."""
    bucket, prefix, host = result.bucket, result.prefix, result.host
    run = run_id(started)
    nonce = secrets.token_hex(8)
    up = Uploader(
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
            "started": iso_utc(started),
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
        host=host, run=run, prefix=prefix, files=dict(carried), created=iso_utc(started)
    )
    for item in changed:
        rel = item.file.rel
        name = base + rel
        metadata = {
            "sha256": item.sha256,
            "size": str(item.size),
            "source_host": host,
            "original_path": rel,
            "mtime": iso_utc(item.file.mtime),
            "botstore_run": run,
            "botstore_run_nonce": nonce,
            "botstore_version": __version__,
        }
        if item.schema_version is not None:
            metadata["schema_version"] = item.schema_version
        try:
            if item.payload is not None:
                up.put_bytes(name, item.payload, metadata, content_type(rel))
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
            REF_RUNS_KEY: ref_runs(manifest),
        },
        "application/json",
    )
    result.manifest = manifest.name


__all__ = [
    "LARGE_FILE",
    "UPLOAD_CHUNK",
    "Prepared",
    "Progress",
    "Uploader",
    "close",
    "content_type",
    "holds_secrets",
    "new_run",
    "prepare",
    "validate",
]
