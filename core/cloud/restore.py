"""Restore a snapshot from the bucket into a directory, verified before it is swapped in.

``restore`` never writes into the target directly: every file of the chosen
manifest is downloaded into a staging directory next to the target, its sha256
and size checked against the manifest, JSON parsed and validated against its
schema, Parquet footers read — and only when *every* file passed are the
restored top-level directories swapped into place. Whatever they replace is
moved aside to ``<DIR>.pre-restore-<UTC>/``, never deleted. The checks are
``core.cloud.validate``'s (the same ``sync`` runs), the download ``core.cloud.fetch``'s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.cloud.client import (
    DEFAULT_RETRY,
    CloudError,
    RetryPolicy,
    describe_error,
    make_client,
)
from core.cloud.fetch import download_to, pick_manifest
from core.cloud.manifest import (
    Manifest,
    safe_relpath,
)
from core.cloud.validate import validate_payload
from core.errors import ActionError, StorageError
from core.standard.policy import DIR_MODE, SENSITIVE_MODE, expected_file_mode, has_sensitive_keys
from core.standard.times import compact_stamp, parse_timestamp
from core.storage.codec import parse_json
from core.storage.fsops import ensure_dir
from core.storage.rootfs import Dir, rename_new

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


def _finish_file(rel: str, fd: int, payload: bytes, iso: str) -> None:
    """Through the file's descriptor: JSON whose top-level keys look secret gets 600 (as
    core.storage.write.write_json would), and the mtime of the backup."""
    if rel.endswith(".json"):
        with contextlib.suppress(StorageError, OSError):
            if has_sensitive_keys(parse_json(payload, rel)):
                os.fchmod(fd, SENSITIVE_MODE)
    ts = parse_timestamp(iso)
    if ts is not None:
        with contextlib.suppress(OSError):
            os.utime(fd, (ts, ts))


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
    manifest = pick_manifest(client, bucket, prefix, host=host, at=at, policy=policy)
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
    stamp = compact_stamp(now)
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
                problem = download_to(
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


__all__ = ["FileProgress", "RestoreResult", "restore"]
