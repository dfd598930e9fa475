"""``verify_cloud``: is the newest cloud snapshot intact, and does it match the local tree?"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

from core.cloud.client import DEFAULT_RETRY, CloudError, RetryPolicy, make_client
from core.cloud.fetch import download_to, pick_manifest
from core.cloud.manifest import safe_relpath, sha256_file
from core.cloud.validate import validate_file
from core.standard.findings import Finding, Severity
from core.standard.policy import expected_file_mode
from core.storage.fsops import ensure_dir


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
        manifest = pick_manifest(client, bucket, prefix, host=host, at=at, policy=policy)
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
                problem = download_to(
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


__all__ = ["verify_cloud"]
