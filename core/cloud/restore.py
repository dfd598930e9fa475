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
import logging
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.atomic import ensure_dir, parse_json
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
from core.errors import StorageError
from core.findings import Finding, Severity
from core.health.checks_parquet import probe_content
from core.policy import DIR_MODE, SENSITIVE_MODE, expected_file_mode, has_sensitive_keys
from core.validation import judge_bytes

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


def validate_file(rel: str, path: Path) -> list[str]:
    """Problems with a downloaded file's content: JSON syntax + schema, Parquet footer."""
    if rel.endswith(".json"):
        try:
            payload = path.read_bytes()
        except OSError as exc:
            return [f"{rel}: {describe_error(exc)}"]
        verdict = judge_bytes(rel, payload)
        if verdict.error is not None:
            return [f"{rel}: {describe_error(verdict.error)}"]
        if verdict.code == "version":
            return [f"{rel}: {v}" for v in verdict.problems]
        return [f"{rel}: schema {verdict.kind}: {v}" for v in verdict.problems]
    if rel.endswith(".parquet"):
        try:
            parquet = importlib.import_module("pyarrow.parquet")
            meta = parquet.ParquetFile(path).metadata  # reads and checks the footer
        except (OSError, ValueError) as exc:  # pyarrow: ArrowIOError / ArrowInvalid
            return [f"{rel}: not a readable Parquet file ({describe_error(exc)})"]
        problem = probe_content(os.fspath(path), meta.num_rows)  # the scan's content probe
        if problem is not None:
            return [f"{rel}: footer intact but the data is unreadable ({problem})"]
    return []


def _download_to(client: Any, bucket: str, entry: ManifestEntry, dest: Path, *, mode: int,
                 policy: RetryPolicy) -> str | None:
    """Fetch ``entry`` into ``dest`` (mode set, fsynced); a problem string or None."""
    blob = client.bucket(bucket).blob(entry.object)

    def fetch() -> tuple[str, int] | None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(dest, flags, 0o600)
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
        return (f"sha256 {sha[:12]}… differs from the manifest's {entry.sha256[:12]}… "
                f"(object {entry.object} is corrupt or was tampered with)")
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


def _tighten_if_sensitive(rel: str, path: Path) -> None:
    """JSON whose top-level keys look secret gets 600, as core.atomic.write_json would."""
    if not rel.endswith(".json"):
        return
    with contextlib.suppress(StorageError, OSError):
        if has_sensitive_keys(parse_json(path.read_bytes(), rel)):
            path.chmod(SENSITIVE_MODE)


def _set_mtime(path: Path, iso: str) -> None:
    with contextlib.suppress(ValueError, OSError):
        ts = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
        os.utime(path, (ts, ts))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pick(client: Any, bucket: str, prefix: str, *, host: str | None, at: dt.datetime | None,
          policy: RetryPolicy) -> Manifest:
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
            raise CloudError(f"backups of several hosts under gs://{bucket}/{prefix}: "
                             f"{', '.join(hosts)}; choose one with --host")
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

    With ``dry_run`` nothing is downloaded or written: ``files`` lists what
    would be restored. When a file fails verification, ``problems`` says which
    and why, the staging directory is removed and ``into`` is left untouched.
    """
    if client is None:
        owned = make_client(credentials, endpoint)
        try:
            return restore(bucket, into, prefix, host=host, at=at, dry_run=dry_run, client=owned,
                           policy=policy, progress=progress, now=now)
        finally:
            owned.close()
    manifest = _pick(client, bucket, prefix, host=host, at=at, policy=policy)
    target = Path(into).absolute()
    result = RestoreResult(bucket=bucket, prefix=manifest.prefix, host=manifest.host,
                           run=manifest.run, into=str(target), dry_run=dry_run)
    for rel, entry in sorted(manifest.files.items()):
        result.files.append({"path": rel, "size": entry.size, "sha256": entry.sha256,
                             "object": entry.object, "mtime": entry.mtime})
        if not safe_relpath(rel):
            result.problems.append(f"{rel}: unsafe path in manifest")
    if dry_run or result.problems:
        return result

    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise CloudError(f"{target} exists and is not a directory; refusing to restore over it")
    parent = target.parent
    ensure_dir(parent)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    staging = parent / f".{target.name}.restore-{manifest.run}-{secrets.token_hex(4)}"
    staging.mkdir(DIR_MODE)
    staging.chmod(DIR_MODE)
    try:
        total = len(manifest.files)
        for index, (rel, entry) in enumerate(sorted(manifest.files.items()), 1):
            if progress is not None:
                progress(rel, index, total)
            dest = staging / rel
            try:
                ensure_dir(dest.parent)
                problem = _download_to(client, bucket, entry, dest, mode=expected_file_mode(rel),
                                       policy=policy)
            except OSError as exc:  # e.g. a manifest naming both "x" and "x/y"
                problem = f"cannot write {rel} into the staging directory: {exc.strerror or exc}"
            if problem is None:
                result.problems.extend(validate_file(rel, dest))
                _tighten_if_sensitive(rel, dest)
                _set_mtime(dest, entry.mtime)
            else:
                result.problems.append(f"{rel}: {problem}")
        if result.problems:
            log.error("restore: refused run %s: %d problem(s)", manifest.run, len(result.problems))
            return result
        _fsync_tree(staging)
        _swap(staging, target, result, stamp)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return result


def _fsync_tree(top: Path) -> None:
    for dirpath, _dirs, _files in os.walk(top):
        _fsync_dir(Path(dirpath))


def _swap(staging: Path, target: Path, result: RestoreResult, stamp: str) -> None:
    """Move the verified tree into place; whatever it replaces goes aside, never deleted."""
    if not target.exists():
        staging.rename(target)
        target.chmod(DIR_MODE)
        _fsync_dir(target.parent)
        result.swapped = sorted(p.name for p in target.iterdir())
        return
    if not target.is_dir() or target.is_symlink():
        raise CloudError(f"{target} exists and is not a directory; refusing to restore over it")
    aside = target.parent / f"{target.name}.pre-restore-{stamp}"
    suffix = 0
    while aside.exists():
        suffix += 1
        aside = target.parent / f"{target.name}.pre-restore-{stamp}-{suffix}"
    moved: list[str] = []
    done: list[str] = []
    try:
        for entry in sorted(staging.iterdir(), key=lambda p: p.name):
            current = target / entry.name
            if current.exists() or current.is_symlink():
                if not aside.exists():
                    aside.mkdir(DIR_MODE)
                current.rename(aside / entry.name)
                moved.append(entry.name)
            entry.rename(current)
            done.append(entry.name)
    except OSError as exc:
        # Put everything back as it was: restored entries out, originals in.
        for name in reversed(done):
            with contextlib.suppress(OSError):
                (target / name).rename(staging / name)
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                (aside / name).rename(target / name)
        with contextlib.suppress(OSError):
            aside.rmdir()
        raise CloudError(f"restore could not swap {target} into place ({exc.strerror}); "
                         "the original tree was put back") from exc
    _fsync_dir(target)
    _fsync_dir(target.parent)
    result.swapped = done
    result.moved_aside = str(aside) if moved else None


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
            return verify_cloud(root, bucket, prefix, host=host, at=at, client=owned,
                                policy=policy)
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
                findings.append(Finding("backup", Severity.CRITICAL, rel,
                                        "unsafe path in manifest"))
                continue
            dest = Path(tmp) / rel
            try:
                ensure_dir(dest.parent)
                problem = _download_to(client, bucket, entry, dest, mode=expected_file_mode(rel),
                                       policy=policy)
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
                findings.append(Finding("backup", Severity.WARNING, rel,
                                        f"in cloud run {manifest.run} but missing locally"))
                continue
            try:
                sha, _size = sha256_file(local)
            except OSError as exc:
                findings.append(Finding("backup", Severity.WARNING, rel,
                                        f"cannot read local copy: {exc.strerror}"))
                continue
            if sha != entry.sha256:
                findings.append(Finding("backup", Severity.WARNING, rel,
                                        f"local file differs from cloud run {manifest.run} "
                                        "(changed since the last sync)"))
    return findings


