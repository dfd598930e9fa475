"""Restore a snapshot from the bucket, and verify the cloud copy against the local tree.

``restore`` never writes into the target directly: every file of the chosen
manifest is downloaded into a staging directory next to the target, its sha256
and size checked against the manifest, JSON parsed and validated against its
schema, Parquet footers read — and only when *every* file passed are the
restored top-level directories swapped into place. Whatever they replace is
moved aside to ``<DIR>.pre-restore-<UTC>/``, never deleted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib
import io
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from core.actions.base import ActionError
from core.cloud.client import (
    DEFAULT_RETRY,
    CloudError,
    RetryPolicy,
    call_with_retry,
    describe_error,
    is_not_found,
    make_client,
)
from core.cloud.manifest import (
    Manifest,
    ManifestEntry,
    clean_prefix,
    hostname,
    safe_host,
    safe_relpath,
    sha256_file,
)
from core.cloud.remote import latest_manifest, list_hosts
from core.documents.validation import judge_bytes
from core.errors import StorageError
from core.standard.findings import Finding, Severity
from core.standard.policy import DIR_MODE, SENSITIVE_MODE, expected_file_mode, has_sensitive_keys
from core.storage.atomic import ensure_dir, parse_json
from core.storage.rootfs import Dir, rename_new
from core.tracking.probe import probe_content, probe_handle

log = logging.getLogger("botstore.cloud")

#: Called as ``progress(relpath, index, total)`` before each file is fetched.
FileProgress = Callable[[str, int, int], None]


@dataclass(slots=True)
class RestoreResult:
    """Outcome of :func:`restore`. ``ok`` means the tree was swapped in (or, with
    ``dry_run``, would be)."""

    bucket: str
    prefix: str
    host: str
    run: str
    into: str
    dry_run: bool
    files: list[dict[str, Any]] = field(default_factory=list)  # relpath, size, sha256, object
    problems: list[str] = field(default_factory=list)
    moved_aside: str | None = None  # where the replaced directories went
    swapped: list[str] = field(default_factory=list)  # top-level names now restored

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        return data


# --------------------------------------------------------------------------- validation


def validate_file(rel: str, path: Path | IO[bytes]) -> list[str]:
    """Problems with a file's content: JSON through the one validation path
    (:func:`core.documents.validation.judge_bytes`), Parquet footer and content probe.

    The one check both ``restore`` (on the downloaded copy) and ``sync`` (before
    uploading) run, so a file ``sync`` accepted is one ``restore`` accepts.
    ``path`` may also be an open binary file (a large file ``sync`` keeps open).
    """
    if rel.endswith(".json"):
        try:
            payload = path.read_bytes() if isinstance(path, Path) else path.read()
        except OSError as exc:
            return [f"{rel}: {describe_error(exc)}"]
        return validate_payload(rel, payload)
    if rel.endswith(".parquet"):
        try:
            parquet = importlib.import_module("pyarrow.parquet")
            meta = parquet.ParquetFile(path).metadata  # reads and checks the footer
        except (OSError, ValueError) as exc:  # pyarrow: ArrowIOError / ArrowInvalid
            return [f"{rel}: not a readable Parquet file ({describe_error(exc)})"]
        if isinstance(path, Path):
            problem = probe_content(os.fspath(path), meta.num_rows)  # the scan's probe
        else:
            path.seek(0)
            problem = probe_handle(path, meta.num_rows)
        if problem is not None:
            return [f"{rel}: footer intact but the data is unreadable ({problem})"]
    return []


def validate_payload(rel: str, payload: bytes) -> list[str]:
    """:func:`validate_file` for bytes in memory (what ``sync`` is about to upload, what
    ``restore`` has just downloaded: one read, what is checked is what is kept)."""
    if rel.endswith(".json"):
        verdict = judge_bytes(rel, payload)
        if verdict.error is not None:
            return [f"{rel}: {describe_error(verdict.error)}"]
        if verdict.code == "version":
            return [f"{rel}: {v}" for v in verdict.problems]
        return [f"{rel}: schema {verdict.kind}: {v}" for v in verdict.problems]
    if rel.endswith(".parquet"):
        return validate_file(rel, io.BytesIO(payload))
    return []


def _download_to(
    client: Any,
    bucket: str,
    entry: ManifestEntry,
    dest: Path | str,
    *,
    mode: int,
    policy: RetryPolicy,
    dir_fd: int | None = None,
) -> str | None:
    """Fetch ``entry`` into ``dest`` (mode set, fsynced); a problem string or None.

    ``dir_fd``: ``dest`` is a name in that directory (never through a symlink)."""
    blob = client.bucket(bucket).blob(entry.object)

    def fetch() -> tuple[str, int] | None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(dest, flags, 0o600, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as handle:
            writer = _HashingWriter(handle)
            try:
                blob.download_to_file(writer, retry=None, timeout=policy.timeout)
            except Exception as exc:
                if is_not_found(exc):
                    return None
                raise
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
            return writer.digest.hexdigest(), writer.size

    got = call_with_retry(f"download gs://{bucket}/{entry.object}", fetch, policy=policy)
    if got is None:
        return f"object {entry.object} is missing from the bucket"
    sha, size = got
    if size != entry.size:
        return f"size {size} differs from the manifest's {entry.size} (object {entry.object})"
    if sha != entry.sha256:
        return (
            f"sha256 {sha[:12]}… differs from the manifest's {entry.sha256[:12]}… "
            f"(object {entry.object} is corrupt or was tampered with)"
        )
    return None


class _HashingWriter:
    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        written: int = self._handle.write(data)
        return written

    def flush(self) -> None:
        self._handle.flush()


def _finish_file(rel: str, fd: int, payload: bytes, iso: str) -> None:
    """Through the file's descriptor: JSON whose top-level keys look secret gets 600 (as
    core.storage.atomic.write_json would), and the mtime of the backup."""
    if rel.endswith(".json"):
        with contextlib.suppress(StorageError, OSError):
            if has_sensitive_keys(parse_json(payload, rel)):
                os.fchmod(fd, SENSITIVE_MODE)
    with contextlib.suppress(ValueError, OSError):
        ts = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
        os.utime(fd, (ts, ts))


def _pick(
    client: Any,
    bucket: str,
    prefix: str,
    *,
    host: str | None,
    at: dt.datetime | None,
    policy: RetryPolicy,
) -> Manifest:
    prefix = clean_prefix(prefix)
    if host is None:
        hosts = list_hosts(client, bucket, prefix, policy=policy)
        local = hostname()
        if local in hosts:
            host = local
        elif len(hosts) == 1:
            host = hosts[0]
        elif not hosts:
            raise CloudError(f"no backups under gs://{bucket}/{prefix}")
        else:
            raise CloudError(
                f"backups of several hosts under gs://{bucket}/{prefix}: "
                f"{', '.join(hosts)}; choose one with --host"
            )
    manifest = latest_manifest(client, bucket, prefix, safe_host(host), at=at, policy=policy)
    if manifest is None:
        when = f" at or before {at.isoformat()}" if at is not None else ""
        raise CloudError(f"no complete backup of host {host!r} under gs://{bucket}/{prefix}{when}")
    return manifest


def restore(
    bucket: str,
    into: str | os.PathLike[str],
    prefix: str = "botstore",
    *,
    host: str | None = None,
    at: dt.datetime | None = None,
    dry_run: bool = False,
    client: Any = None,
    credentials: str | os.PathLike[str] | None = None,
    endpoint: str | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
    progress: FileProgress | None = None,
    now: dt.datetime | None = None,
) -> RestoreResult:
    """Restore the newest snapshot at or before ``at`` into ``into``; see the module docstring.

    With ``dry_run`` every file is downloaded and verified exactly as for a real
    restore (into the same staging directory, removed afterwards) but nothing is
    swapped in: ``ok`` is the verdict a real restore would reach. When a file
    fails verification, ``problems`` says which and why, the staging directory
    is removed and ``into`` is left untouched.
    """
    if client is None:
        owned = make_client(credentials, endpoint)
        try:
            return restore(
                bucket,
                into,
                prefix,
                host=host,
                at=at,
                dry_run=dry_run,
                client=owned,
                policy=policy,
                progress=progress,
                now=now,
            )
        finally:
            owned.close()
    manifest = _pick(client, bucket, prefix, host=host, at=at, policy=policy)
    target = Path(into).absolute()
    result = RestoreResult(
        bucket=bucket,
        prefix=manifest.prefix,
        host=manifest.host,
        run=manifest.run,
        into=str(target),
        dry_run=dry_run,
    )
    for rel, entry in sorted(manifest.files.items()):
        result.files.append(
            {
                "path": rel,
                "size": entry.size,
                "sha256": entry.sha256,
                "object": entry.object,
                "mtime": entry.mtime,
            }
        )
        if not safe_relpath(rel):
            result.problems.append(f"{rel}: unsafe path in manifest")
    if result.problems:
        return result

    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise CloudError(f"{target} exists and is not a directory; refusing to restore over it")
    parent = target.parent
    ensure_dir(parent)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    staging_name = f".{target.name}.restore-{manifest.run}-{secrets.token_hex(4)}"
    # From here on only descriptors: the parent, the staging dir and the target are
    # opened once (O_NOFOLLOW), every later change is relative to them.
    try:
        with Dir(os.open(parent, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC), "") as top:
            top.mkdir_new(staging_name, DIR_MODE)
            try:
                with top.sub(staging_name) as staging:
                    if (
                        _stage(
                            client,
                            bucket,
                            manifest,
                            staging,
                            result,
                            policy=policy,
                            progress=progress,
                        )
                        and not dry_run
                    ):  # dry run: verified only
                        _fsync_tree(staging)
                        _swap(top, staging, target, result, stamp)
            finally:
                with contextlib.suppress(OSError):
                    top.rmtree(staging_name)
    except (OSError, ActionError) as exc:  # e.g. the target or staging swapped for a symlink
        raise CloudError(f"restore into {target} refused: {describe_error(exc)}") from exc
    return result


def _stage(
    client: Any,
    bucket: str,
    manifest: Manifest,
    staging: Dir,
    result: RestoreResult,
    *,
    policy: RetryPolicy,
    progress: FileProgress | None,
) -> bool:
    """Download and check every file into ``staging``; True when all passed."""
    total = len(manifest.files)
    for index, (rel, entry) in enumerate(sorted(manifest.files.items()), 1):
        if progress is not None:
            progress(rel, index, total)
        head, _, name = rel.rpartition("/")
        try:
            with (
                staging.walk(head, create=True) if head else Dir(os.dup(staging.fd), "")
            ) as directory:
                problem = _download_to(
                    client,
                    bucket,
                    entry,
                    name,
                    mode=expected_file_mode(rel),
                    policy=policy,
                    dir_fd=directory.fd,
                )
                if problem is None:
                    fd = os.open(
                        name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=directory.fd
                    )
                    try:
                        payload = _read_all(fd)
                        result.problems.extend(validate_payload(rel, payload))
                        _finish_file(rel, fd, payload, entry.mtime)
                    finally:
                        os.close(fd)
        except (OSError, ActionError) as exc:  # e.g. a manifest naming both "x" and "x/y"
            problem = f"cannot write {rel} into the staging directory: {describe_error(exc)}"
        if problem is not None:
            result.problems.append(f"{rel}: {problem}")
    if result.problems:
        log.error("restore: refused run %s: %d problem(s)", manifest.run, len(result.problems))
        return False
    return True


def _read_all(fd: int) -> bytes:
    chunks: list[bytes] = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _fsync_tree(top: Dir) -> None:
    for name in top.names():
        st = top.lstat(name)
        if st is not None and stat.S_ISDIR(st.st_mode):
            with top.sub(name) as child:
                _fsync_tree(child)
    top.fsync()


def _swap(top: Dir, staging: Dir, target: Path, result: RestoreResult, stamp: str) -> None:
    """Move the verified tree into place; whatever it replaces goes aside, never deleted."""
    staged = staging.names()
    st = top.lstat(target.name)
    if st is None:
        os.rename(staging.rel, target.name, src_dir_fd=top.fd, dst_dir_fd=top.fd)
        with top.sub(target.name) as placed:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=placed.fd)
            try:
                os.fchmod(fd, DIR_MODE)
            finally:
                os.close(fd)
        top.fsync()
        result.swapped = staged
        return
    if not stat.S_ISDIR(st.st_mode):
        raise CloudError(f"{target} exists and is not a directory; refusing to restore over it")
    aside_name = f"{target.name}.pre-restore-{stamp}"
    suffix = 0
    while top.lstat(aside_name) is not None:
        suffix += 1
        aside_name = f"{target.name}.pre-restore-{stamp}-{suffix}"
    moved: list[str] = []
    done: list[str] = []
    with top.sub(target.name) as live:
        aside: Dir | None = None
        try:
            for name in staged:
                if live.lstat(name) is not None:
                    if aside is None:
                        top.mkdir_new(aside_name, DIR_MODE)
                        aside = top.sub(aside_name)
                    rename_new(live, name, aside, name)
                    moved.append(name)
                os.rename(name, name, src_dir_fd=staging.fd, dst_dir_fd=live.fd)
                done.append(name)
        except (OSError, ActionError) as exc:
            # Put everything back as it was: restored entries out, originals in.
            for name in reversed(done):
                with contextlib.suppress(OSError):
                    os.rename(name, name, src_dir_fd=live.fd, dst_dir_fd=staging.fd)
            for name in reversed(moved):
                with contextlib.suppress(OSError, ActionError):
                    if aside is not None:
                        rename_new(aside, name, live, name)
            if aside is not None:
                with contextlib.suppress(OSError):
                    os.rmdir(aside_name, dir_fd=top.fd)
            raise CloudError(
                f"restore could not swap {target} into place "
                f"({describe_error(exc)}); the original tree was put back"
            ) from exc
        finally:
            if aside is not None:
                aside.close()
        live.fsync()
    top.fsync()
    result.swapped = done
    result.moved_aside = str(target.parent / aside_name) if moved else None


# --------------------------------------------------------------------------- verify


def verify_cloud(
    root: str | os.PathLike[str],
    bucket: str,
    prefix: str = "botstore",
    *,
    host: str | None = None,
    at: dt.datetime | None = None,
    client: Any = None,
    credentials: str | os.PathLike[str] | None = None,
    endpoint: str | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> list[Finding]:
    """Check the newest cloud snapshot: download every file to a temp dir, verify its
    hash and schema, and compare it with the local copy under ``root``.

    Findings (code ``backup`` unless a schema/JSON problem): CRITICAL when the
    cloud copy is corrupt or no snapshot exists, WARNING when a local file
    differs from or is missing in the snapshot (changed since the last sync).
    An empty list means the cloud copy is intact and matches the local tree.
    """
    if client is None:
        owned = make_client(credentials, endpoint)
        try:
            return verify_cloud(root, bucket, prefix, host=host, at=at, client=owned, policy=policy)
        finally:
            owned.close()
    root_path = Path(root)
    try:
        manifest = _pick(client, bucket, prefix, host=host, at=at, policy=policy)
    except CloudError as exc:
        return [Finding("backup", Severity.CRITICAL, "", f"cloud backup: {exc.message}")]
    findings: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="botstore-verify-") as tmp:
        for rel, entry in sorted(manifest.files.items()):
            if not safe_relpath(rel):
                findings.append(
                    Finding("backup", Severity.CRITICAL, rel, "unsafe path in manifest")
                )
                continue
            dest = Path(tmp) / rel
            try:
                ensure_dir(dest.parent)
                problem = _download_to(
                    client, bucket, entry, dest, mode=expected_file_mode(rel), policy=policy
                )
            except OSError as exc:
                problem = f"cannot write a temporary copy: {exc.strerror or exc}"
            if problem is not None:
                findings.append(Finding("backup", Severity.CRITICAL, rel, f"cloud copy: {problem}"))
                continue
            for issue in validate_file(rel, dest):
                code = "schema" if ": schema " in issue else "invalid_json"
                findings.append(Finding(code, Severity.CRITICAL, rel, f"cloud copy: {issue}"))
            local = root_path / rel
            if not local.is_file():
                findings.append(
                    Finding(
                        "backup",
                        Severity.WARNING,
                        rel,
                        f"in cloud run {manifest.run} but missing locally",
                    )
                )
                continue
            try:
                sha, _size = sha256_file(local)
            except OSError as exc:
                findings.append(
                    Finding(
                        "backup", Severity.WARNING, rel, f"cannot read local copy: {exc.strerror}"
                    )
                )
                continue
            if sha != entry.sha256:
                findings.append(
                    Finding(
                        "backup",
                        Severity.WARNING,
                        rel,
                        f"local file differs from cloud run {manifest.run} "
                        "(changed since the last sync)",
                    )
                )
    return findings
