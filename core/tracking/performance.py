"""Performance tracking, the public face: snapshots, due logic, retention, metrics, resets.

The documented API (README) of the four files under ``data/performance/``; the
code lives in modules named for what they hold:

* :mod:`core.tracking.tracking_files` — paths, the tracking lock, making and reading
  snapshots, the config, and the consistency invariant (:func:`load_tracking`);
* :mod:`core.tracking.writing` — :func:`init_tracking`, :func:`append_snapshot`,
  :func:`write_snapshots`, :func:`reset_tracking`;
* :mod:`core.tracking.due` — :func:`snapshot_due`;
* :mod:`core.tracking.retention` — :func:`apply_retention`, :func:`cleanup_snapshots`;
* :mod:`core.tracking.metrics` — :func:`compute_metrics`, :func:`compute_periods`,
  :func:`update_metrics`.

Timestamps, frequencies and the format version are the standard's vocabulary
(:mod:`core.standard.times`, :mod:`core.standard.frequencies`,
:mod:`core.standard.formats`).
"""

from __future__ import annotations

from core.standard.formats import CURRENT_VERSION
from core.standard.frequencies import FREQUENCIES
from core.standard.times import UTC, iso, parse_ts, to_utc
from core.tracking.due import snapshot_due
from core.tracking.metrics import PERIOD_WINDOWS, compute_metrics, compute_periods, update_metrics
from core.tracking.retention import (
    DEFAULT_RETENTION_DAYS,
    CleanupResult,
    apply_retention,
    cleanup_snapshots,
    retention_days,
)
from core.tracking.tracking_files import (
    SNAPSHOT_TYPES,
    PathLike,
    Tracking,
    TrackingMissing,
    load_config,
    load_snapshots,
    load_tracking,
    make_snapshot,
    new_config,
    paths,
    tracking_lock,
)
from core.tracking.writing import append_snapshot, init_tracking, reset_tracking, write_snapshots

__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_RETENTION_DAYS",
    "FREQUENCIES",
    "PERIOD_WINDOWS",
    "SNAPSHOT_TYPES",
    "UTC",
    "CleanupResult",
    "PathLike",
    "Tracking",
    "TrackingMissing",
    "append_snapshot",
    "apply_retention",
    "cleanup_snapshots",
    "compute_metrics",
    "compute_periods",
    "init_tracking",
    "iso",
    "load_config",
    "load_snapshots",
    "load_tracking",
    "make_snapshot",
    "new_config",
    "parse_ts",
    "paths",
    "reset_tracking",
    "retention_days",
    "snapshot_due",
    "to_utc",
    "tracking_lock",
    "update_metrics",
    "write_snapshots",
]
