"""Fetching a backup: choose the manifest, download its files with size and sha256 checked.

Shared by ``restore`` and ``verify_cloud``: :func:`pick_manifest` finds the newest
complete run of a host (this machine, or the only host, unless one is named) at or
before a time; :func:`download_to` writes one manifest entry to a local file through
``O_NOFOLLOW`` and compares what arrived with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

from core.cloud.client import CloudError, RetryPolicy, call_with_retry, is_not_found
from core.cloud.manifest import Manifest, ManifestEntry, clean_prefix, hostname, safe_host
from core.cloud.remote import latest_manifest, list_hosts


def pick_manifest(
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


def download_to(
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


__all__ = ["download_to", "pick_manifest"]
