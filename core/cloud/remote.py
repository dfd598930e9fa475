"""Bucket-side reads shared by sync, restore and verify: hosts, runs, manifests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.cloud.client import (
    DEFAULT_RETRY,
    CloudDenied,
    IntegrityError,
    RetryPolicy,
    call_with_retry,
    is_not_found,
)
from core.cloud.manifest import (
    MANIFEST_NAME,
    Manifest,
    clean_prefix,
    host_prefix,
    is_run_id,
    join,
    parse_run_id,
    run_prefix,
)


def _children(client: Any, bucket: str, under: str, policy: RetryPolicy) -> list[str]:
    """Immediate "sub-directory" names below ``under`` (delimiter listing)."""

    def listing() -> list[str]:
        try:
            iterator = client.list_blobs(
                bucket, prefix=under, delimiter="/", retry=None, timeout=policy.timeout
            )
            for _ in iterator:
                pass
        except Exception as exc:
            if is_not_found(exc):
                raise CloudDenied(f"bucket {bucket!r} does not exist") from None
            raise
        return sorted(p[len(under) :].rstrip("/") for p in iterator.prefixes)

    return call_with_retry(f"list gs://{bucket}/{under}", listing, policy=policy)


def list_hosts(
    client: Any, bucket: str, prefix: str, *, policy: RetryPolicy = DEFAULT_RETRY
) -> list[str]:
    """Hosts that have synced under ``prefix``."""
    under = join(clean_prefix(prefix)) + "/" if clean_prefix(prefix) else ""
    return _children(client, bucket, under, policy)


def list_runs(
    client: Any, bucket: str, prefix: str, host: str, *, policy: RetryPolicy = DEFAULT_RETRY
) -> list[str]:
    """Run ids of ``host`` (complete or not), oldest first."""
    return [r for r in _children(client, bucket, host_prefix(prefix, host), policy) if is_run_id(r)]


def download(
    client: Any, bucket: str, name: str, *, policy: RetryPolicy = DEFAULT_RETRY
) -> bytes | None:
    """An object's bytes, or None when it does not exist."""
    blob = client.bucket(bucket).blob(name)

    def fetch() -> bytes | None:
        try:
            data: bytes = blob.download_as_bytes(retry=None, timeout=policy.timeout)
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        return data

    return call_with_retry(f"download gs://{bucket}/{name}", fetch, policy=policy)


def load_manifest(
    client: Any,
    bucket: str,
    prefix: str,
    host: str,
    run: str,
    *,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> Manifest | None:
    """One run's manifest; None if the run never completed. IntegrityError if corrupt."""
    name = run_prefix(prefix, host, run) + MANIFEST_NAME
    payload = download(client, bucket, name, policy=policy)
    if payload is None:
        return None
    try:
        manifest = Manifest.from_bytes(payload, name)
    except ValueError as exc:
        raise IntegrityError(str(exc)) from None
    if manifest.run != run or manifest.host != host:
        raise IntegrityError(
            f"manifest {name} names run {manifest.run!r} of host "
            f"{manifest.host!r}; it was moved or tampered with"
        )
    return manifest


def latest_manifest(
    client: Any,
    bucket: str,
    prefix: str,
    host: str,
    *,
    at: dt.datetime | None = None,
    policy: RetryPolicy = DEFAULT_RETRY,
) -> Manifest | None:
    """The newest complete run at or before ``at`` (default: the newest)."""
    for run in reversed(list_runs(client, bucket, prefix, host, policy=policy)):
        if at is not None and parse_run_id(run) > at:
            continue
        manifest = load_manifest(client, bucket, prefix, host, run, policy=policy)
        if manifest is not None:
            return manifest
    return None
