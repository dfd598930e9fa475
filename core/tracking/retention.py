"""Snapshot retention: which snapshots are past the retention period, and removing them."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from core.standard.times import now_utc, parse_ts, to_utc
from core.tracking.tracking_files import (
    PathLike,
    _load_tracking,
    _reconcile,
    _save_config,
    _save_snapshots,
    tracking_lock,
)

DEFAULT_RETENTION_DAYS: Final = 365


# --------------------------------------------------------------------------- retention


def apply_retention(
    snapshots: Sequence[Mapping[str, Any]], now: _dt.datetime, days: int = DEFAULT_RETENTION_DAYS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split into (kept, removed): a snapshot exactly ``days`` old is kept, older is removed.

    Snapshots whose timestamp cannot be parsed are kept (never delete what
    cannot be dated). Order is preserved.
    """
    cutoff = to_utc(now) - _dt.timedelta(days=days)
    kept: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    for snap in snapshots:
        moment = parse_ts(snap.get("timestamp"))
        (removed if moment is not None and moment < cutoff else kept).append(dict(snap))
    return kept, removed


@dataclass(frozen=True, slots=True)
class CleanupResult:
    """What :func:`cleanup_snapshots` removed (or would remove, on a dry run)."""

    kept: int
    removed: int
    oldest_removed: str | None
    newest_removed: str | None
    dry_run: bool


def retention_days(config: Mapping[str, Any]) -> int:
    """``retention_days`` from the config when set (an optional key), else 365."""
    value = config.get("retention_days")
    return (
        value
        if isinstance(value, int) and not isinstance(value, bool) and value > 0
        else DEFAULT_RETENTION_DAYS
    )


def cleanup_snapshots(
    root: PathLike, days: int | None = None, now: _dt.datetime | None = None, dry_run: bool = True
) -> CleanupResult:
    """Remove snapshots older than the retention period (default: config's, else 365 days)."""
    with tracking_lock(root):
        tracking = _load_tracking(root, repair=False)
        period = days if days is not None else retention_days(tracking.config)
        kept, removed = apply_retention(tracking.snapshots, now_utc(now), period)
        if removed and not dry_run:
            _save_snapshots(root, kept)
            _reconcile(tracking.config, kept)
            _save_config(root, tracking.config)
    stamps = sorted(str(s["timestamp"]) for s in removed)
    return CleanupResult(
        len(kept),
        len(removed),
        stamps[0] if stamps else None,
        stamps[-1] if stamps else None,
        dry_run,
    )
