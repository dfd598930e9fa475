"""Cloud backup health: the last ``botstore sync`` outcome and the credentials key file.

Reads only ``botstore.toml``'s ``[cloud]`` table and the status file the sync
writes; never imports the Google client, never touches the network. A tree with
neither ``botstore.toml`` nor a sync status file has no cloud backup: that answer
imports nothing from ``core.cloud`` (start-up cost of ``botstore check``).
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.health.report import CloudBackup
from core.standard.findings import Finding, Severity
from core.standard.layout import CONFIG_NAME
from core.standard.times import parse_timestamp
from core.standard.units import format_span
from core.text.sanitize import sanitize_text

if TYPE_CHECKING:
    from core.cloud.client import CloudError
    from core.cloud.settings import CloudSettings

#: ``core.cloud.sync.STATUS_FILE`` (kept here so a tree without cloud backup never imports
#: ``core.cloud``; ``tests/integration/test_cli_startup.py`` checks they agree).
STATUS_FILE: Final = "data/cache/cloud_sync_status.json"

#: Without ``every`` configured, a backup older than this is late.
DEFAULT_LAG_WARNING_S: Final = 24 * 3600.0
#: Late when older than this many sync intervals.
LAG_INTERVALS: Final = 4


def _key_file_findings(settings: CloudSettings) -> list[Finding]:
    key = settings.credentials
    if key is None:
        return []
    try:
        st = key.stat()
    except FileNotFoundError:
        return [
            Finding(
                "missing",
                Severity.CRITICAL,
                str(key),
                "cloud credentials key file (botstore.toml [cloud]) does not exist",
            )
        ]
    except OSError as exc:
        return [
            Finding(
                "unreadable",
                Severity.CRITICAL,
                str(key),
                f"cloud credentials key file: {exc.strerror}",
            )
        ]
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        return [
            Finding(
                "permissions",
                Severity.CRITICAL,
                str(key),
                f"cloud credentials key file mode {mode:03o}, policy 600: "
                f"readable beyond its owner (chmod 600 {key})",
            )
        ]
    return []


def _lag_limit(settings: CloudSettings) -> float:
    from core.cloud.schedule import parse_interval

    if settings.every:
        try:
            return LAG_INTERVALS * parse_interval(settings.every)
        except ValueError:
            return DEFAULT_LAG_WARNING_S
    return DEFAULT_LAG_WARNING_S


_StatKey = tuple[int, int, int] | None
#: path -> (stat key when read, what was read): every incremental scan asks, but the
#: TOML and the status file are only re-read when they changed.
_memo: dict[str, tuple[_StatKey, Any]] = {}
_memo_lock = threading.Lock()


#: A file changed this recently may change again within one coarse mtime tick with the
#: same size and a reused inode: never trust the memo for it (cf. ``core.documents.cache``).
RACY_WINDOW_S: Final = 2.0


def _stat_key(path: Path) -> tuple[bool, _StatKey]:
    """``(fresh, key)``: ``fresh`` when the file is too new to be told apart from a rewrite."""
    try:
        st = path.stat()
    except OSError:
        return False, None
    fresh = time.time() - st.st_mtime < RACY_WINDOW_S
    return fresh, (st.st_mtime_ns, st.st_size, st.st_ino)


def _cached(path: Path, load: Callable[[], Any]) -> Any:
    """``load()``, reused while ``path``'s (mtime_ns, size, inode) stays the same."""
    fresh, key = _stat_key(path)
    if fresh:
        return load()
    with _memo_lock:
        hit = _memo.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    value = load()
    with _memo_lock:
        _memo[str(path)] = (key, value)
    return value


def _settings(root: str) -> CloudSettings | CloudError:
    from core.cloud.client import CloudError
    from core.cloud.settings import load_settings

    try:
        return load_settings(root)
    except CloudError as exc:
        return exc


def cloud_backup(root: str, now: float) -> tuple[CloudBackup | None, list[Finding]]:
    """The cloud backup state of ``root`` and its findings (``None`` when not configured)."""
    if not (os.path.lexists(f"{root}/{CONFIG_NAME}") or os.path.lexists(f"{root}/{STATUS_FILE}")):
        return None, []
    from core.cloud.client import CloudError
    from core.cloud.sync import read_status

    settings = _cached(Path(root, CONFIG_NAME), lambda: _settings(root))
    if isinstance(settings, CloudError):
        exc = settings
        return None, [
            Finding(
                "backup",
                Severity.WARNING,
                "botstore.toml",
                sanitize_text(f"[cloud] settings unusable: {exc}"),
            )
        ]
    status = _cached(Path(root, STATUS_FILE), lambda: read_status(root))
    if settings.bucket is None and status is None:
        return None, _key_file_findings(settings)
    findings = _key_file_findings(settings)
    status = status or {}
    last_success = status.get("last_success")
    success_at = parse_timestamp(last_success)
    lag = None if success_at is None else max(0.0, now - success_at)
    error = status.get("error")
    error_text = sanitize_text(str(error)) if error else None
    ok = status.get("ok") if isinstance(status.get("ok"), bool) else None
    if ok is False:
        findings.append(
            Finding(
                "backup",
                Severity.WARNING,
                STATUS_FILE,
                f"last cloud sync failed: {error_text or 'unknown error'}",
            )
        )
    invalid = status.get("invalid")
    if isinstance(invalid, list) and invalid:
        findings.append(
            Finding(
                "backup",
                Severity.WARNING,
                STATUS_FILE,
                sanitize_text(
                    f"last cloud sync degraded: {len(invalid)} file(s) failed validation and "
                    f"were not uploaded: {invalid[0]}"
                ),
            )
        )
    limit = _lag_limit(settings)
    if lag is not None and lag > limit:
        findings.append(
            Finding(
                "stale",
                Severity.WARNING,
                STATUS_FILE,
                f"last successful cloud sync {format_span(lag)} ago (limit {format_span(limit)})",
            )
        )
    elif success_at is None:
        findings.append(
            Finding("backup", Severity.WARNING, STATUS_FILE, "no cloud sync has succeeded yet")
        )
    backup = CloudBackup(
        bucket=status.get("bucket") or settings.bucket,
        last_attempt=status.get("last_attempt"),
        last_success=last_success if isinstance(last_success, str) else None,
        ok=ok,
        error=error_text,
        lag_s=lag,
    )
    return backup, findings
