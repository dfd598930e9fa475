"""Google Cloud Storage backup and restore (optional extra ``gcs``).

Importing this package never imports ``google.cloud.storage``; the client is
loaded on first use and :class:`GcsMissing` says how to install it.

Public API::

    sync_once(root, bucket, prefix, ...) -> SyncResult
    restore(bucket, into, prefix, ..., at=None, dry_run=False) -> RestoreResult
    verify_cloud(root, bucket, prefix, ...) -> list[core.standard.findings.Finding]
    prune(client, bucket, prefix, host, retention_days=...) -> PruneResult
    read_status(root) -> dict | None     # last sync outcome, for the TUI

Modules: ``client`` (the GCS client, retries, errors), ``manifest`` (object names,
the run manifest, the local file list), ``remote`` (bucket reads), ``sync`` (one
run and its recorded status), ``upload`` (hashing, conditional uploads), ``prune``,
``schedule`` (``sync --every``), ``validate`` (the content check sync and restore
share), ``fetch`` (choose a manifest, download with checks), ``restore``, ``verify``
(``verify_cloud``), ``settings`` (``[cloud]`` in botstore.toml).
"""

from __future__ import annotations

from core.cloud.client import (
    INSTALL_HINT,
    CloudDenied,
    CloudError,
    CloudUnavailable,
    CredentialsError,
    GcsMissing,
    IntegrityError,
    RetryPolicy,
    SyncConflict,
    check_key_file,
    describe_error,
    gcs_available,
    load_gcs,
    make_client,
)
from core.cloud.manifest import DEFAULT_INCLUDE, Manifest, ManifestEntry, hostname, parse_time
from core.cloud.prune import PruneResult, prune
from core.cloud.remote import latest_manifest, list_hosts, list_runs
from core.cloud.restore import RestoreResult, restore
from core.cloud.schedule import parse_interval, run_every
from core.cloud.settings import CloudSettings, load_settings, normalize_bucket
from core.cloud.sync import SyncResult, read_status, status_path, sync_once
from core.cloud.validate import validate_file
from core.cloud.verify import verify_cloud

__all__ = [
    "DEFAULT_INCLUDE",
    "INSTALL_HINT",
    "CloudDenied",
    "CloudError",
    "CloudSettings",
    "CloudUnavailable",
    "CredentialsError",
    "GcsMissing",
    "IntegrityError",
    "Manifest",
    "ManifestEntry",
    "PruneResult",
    "RestoreResult",
    "RetryPolicy",
    "SyncConflict",
    "SyncResult",
    "check_key_file",
    "describe_error",
    "gcs_available",
    "hostname",
    "latest_manifest",
    "list_hosts",
    "list_runs",
    "load_gcs",
    "load_settings",
    "make_client",
    "normalize_bucket",
    "parse_interval",
    "parse_time",
    "prune",
    "read_status",
    "restore",
    "run_every",
    "status_path",
    "sync_once",
    "validate_file",
    "verify_cloud",
]
