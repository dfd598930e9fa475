"""Pruning a host's old runs, never an object a kept manifest still references.

A manifest carries, in its ``botstore_ref_runs`` metadata (:func:`ref_runs`), the
earlier runs whose objects it references, so :func:`prune` reads only the kept
manifests that reference a run it is about to delete.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Final

from core.cloud.client import (
    DEFAULT_RETRY,
    RetryPolicy,
    call_with_retry,
    is_not_found,
    is_precondition_failed,
)
from core.cloud.manifest import (
    MANIFEST_NAME,
    Manifest,
    clean_prefix,
    host_prefix,
    parse_run_id,
    run_prefix,
)
from core.cloud.remote import load_manifest

log = logging.getLogger("botstore.cloud")

REF_RUNS_KEY: Final = "botstore_ref_runs"
_REF_RUNS_MAX: Final = 6000
_REF_CACHE_SIZE: Final = 8192
_REF_CACHE: dict[tuple[str, str, int], frozenset[str]] = {}


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
    now = now or dt.datetime.now(dt.UTC)
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


def ref_runs(manifest: Manifest) -> str:
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


__all__ = ["REF_RUNS_KEY", "PruneResult", "prune", "ref_runs"]
