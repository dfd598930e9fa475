"""Earlier versions of a JSON file: the file, its ``.bak``, quarantined copies, the cloud.

Used to carry over what only the bot knows when a file is rebuilt from the
exchange. Local copies are read through :mod:`core.storage.rootfs` (no symlink
leaves the root); the newest cloud snapshot is consulted only when
``[cloud]`` names a bucket and the ``gcs`` extra is installed, and any cloud
failure becomes a note, never an error.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.documents.checks import check_payload
from core.errors import ActionError, StorageError
from core.standard.layout import BACKUP_SUFFIX, QUARANTINE_DIR
from core.storage import rootfs
from core.storage.codec import parse_json

#: Quarantine copies looked at (newest first).
MAX_QUARANTINED: Final = 50


@dataclass(frozen=True, slots=True)
class Version:
    """One copy: where it is, its parsed content (None: not JSON), schema problems."""

    label: str
    data: Any
    problems: list[str]
    mtime: float = 0.0

    @property
    def readable(self) -> bool:
        return isinstance(self.data, dict)

    @property
    def valid(self) -> bool:
        return self.readable and not self.problems


def _local(root: Path, rel: str, label: str | None = None) -> Version | None:
    """``rel`` as a version, read through the containment layer; None when it is not a
    regular file reached without a symlink (a symlinked ``data/`` or quarantine is no
    version, and no crash of the caller: ``check`` asks for hints through here)."""
    try:
        payload, st = rootfs.read(root, rel)
    except (ActionError, OSError, StorageError, ValueError):
        return None
    return _parsed(label or rel, rel, payload, st.st_mtime)


def _parsed(label: str, rel: str, payload: bytes, mtime: float) -> Version:
    try:
        data = parse_json(payload, rel)
    except StorageError as exc:
        return Version(label, None, [exc.reason], mtime)
    _, problems = check_payload(rel, payload)
    return Version(label, data, problems, mtime)


def quarantined(root: Path, rel: str) -> list[Version]:
    """Copies of ``rel`` (and of its ``.bak``) in the quarantine, newest first."""
    base = root / QUARANTINE_DIR
    found: list[Version] = []
    dirs: list[str] = []
    with contextlib.suppress(OSError), os.scandir(base) as entries:
        dirs = sorted((e.name for e in entries if e.is_dir(follow_symlinks=False)), reverse=True)
    for name in dirs[: MAX_QUARANTINED * 2]:
        for candidate in (rel, rel + BACKUP_SUFFIX):
            version = _local(root, f"{QUARANTINE_DIR}/{name}/{candidate}")
            if version is not None:
                found.append(version)
    found.sort(key=lambda v: v.mtime, reverse=True)
    return found[:MAX_QUARANTINED]


def cloud_version(root: Path, rel: str, notes: list[str]) -> Version | None:
    """``rel`` in the newest cloud snapshot of this host, when ``[cloud]`` is configured."""
    try:
        from core.cloud.client import gcs_available, make_client
        from core.cloud.manifest import hostname
        from core.cloud.remote import download, latest_manifest
        from core.cloud.settings import load_settings

        settings = load_settings(root)
        if not settings.bucket:
            return None
        if not gcs_available():
            notes.append("cloud: the gcs extra is not installed; cloud copies not searched")
            return None
        client = make_client(settings.credentials, settings.endpoint)
        try:
            host = settings.host or hostname()
            manifest = latest_manifest(client, settings.bucket, settings.prefix, host)
            entry = manifest.files.get(rel) if manifest is not None else None
            if manifest is None or entry is None:
                return None
            payload = download(client, settings.bucket, entry.object)
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - the cloud is an optional extra source
        notes.append(f"cloud copy not searched: {type(exc).__name__}: {exc}")
        return None
    if payload is None:
        return None
    return _parsed(f"cloud snapshot {manifest.run} of {rel}", rel, payload, 0.0)


def versions(
    root: Path, rel: str, *, cloud: bool = True, notes: list[str] | None = None
) -> list[Version]:
    """Every copy of ``rel`` newest first: the file, ``.bak``, quarantine, cloud."""
    out: list[Version] = []
    for candidate in (rel, rel + BACKUP_SUFFIX):
        version = _local(root, candidate)
        if version is not None:
            out.append(version)
    out += quarantined(root, rel)
    if cloud:
        remote = cloud_version(root, rel, notes if notes is not None else [])
        if remote is not None:
            out.append(remote)
    return out


__all__ = ["Version", "cloud_version", "quarantined", "versions"]
