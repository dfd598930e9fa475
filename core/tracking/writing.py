"""The tracking writers: start, append, bulk rewrite and reset, each under the tracking lock.

Each commits the snapshots file first and the config second (the invariant in
:mod:`core.tracking.tracking_files`), so a crash never leaves ``last_snapshot_date``
newer than the newest snapshot.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any

from core.standard.times import EPOCH, now_utc, parse_ts
from core.storage.codec import non_finite_float
from core.tracking.tracking_files import (
    PathLike,
    _load_tracking,
    _newest,
    _reconcile,
    _save_config,
    _save_snapshots,
    load_config,
    make_snapshot,
    new_config,
    tracking_lock,
)

# --------------------------------------------------------------------------- writing


def init_tracking(
    root: PathLike,
    portfolio: Mapping[str, Any],
    frequency: str = "hourly",
    now: _dt.datetime | None = None,
    *,
    session_id: str = "botstore",
) -> dict[str, Any]:
    """Start tracking: one ``initial_setup`` snapshot, then a fresh config. Returns the config."""
    moment = now_utc(now)
    config = new_config(portfolio, frequency, moment)
    snap = make_snapshot(portfolio, "initial_setup", session_id, moment)
    with tracking_lock(root):
        _save_snapshots(root, [snap])
        _save_config(root, config)
    return config


def append_snapshot(
    root: PathLike, snapshot: Mapping[str, Any], *, now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Append ``snapshot`` (kept in timestamp order), then advance ``last_snapshot_date``.

    Snapshots file first, config second (see the module invariant). ``now`` is
    accepted for symmetry and unused: the snapshot carries its own time.
    Returns the saved config.
    """
    del now
    moment = parse_ts(snapshot.get("timestamp"))
    if moment is None:
        raise ValueError(f"snapshot timestamp {snapshot.get('timestamp')!r} is not ISO 8601")
    where = non_finite_float(snapshot)
    if where is not None:  # the history is too big for write_json's own check
        raise ValueError(f"snapshot value at {where} is NaN or infinite")
    with tracking_lock(root):
        tracking = _load_tracking(root, repair=False)
        snapshots = tracking.snapshots
        # Reconciled: with snapshots stored, last_snapshot_date is the newest one's time.
        newest = parse_ts(tracking.config.get("last_snapshot_date"))
        if snapshots and newest is not None and moment < newest:  # late arrival: keep order
            keys = [parse_ts(s.get("timestamp")) or EPOCH for s in snapshots]
            snapshots.insert(bisect.bisect_right(keys, moment), dict(snapshot))
        else:
            snapshots.append(dict(snapshot))
            tracking.config["last_snapshot_date"] = snapshot["timestamp"]
        _save_snapshots(root, snapshots)
        config = tracking.config
        _save_config(root, config)
    return config


def write_snapshots(
    root: PathLike, snapshots: Sequence[Mapping[str, Any]], *, now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Replace all snapshots (bulk import/rewrite), then reconcile the config. Returns it."""
    del now
    with tracking_lock(root):
        config = load_config(root)
        ordered = sorted(
            (dict(s) for s in snapshots), key=lambda s: parse_ts(s.get("timestamp")) or EPOCH
        )
        _save_snapshots(root, ordered)
        _reconcile(config, ordered)
        _save_config(root, config)
    return config


def reset_tracking(
    root: PathLike,
    portfolio: Mapping[str, Any],
    *,
    reason: str,
    now: _dt.datetime | None = None,
    session_id: str = "botstore",
) -> dict[str, Any]:
    """Restart performance measurement from ``portfolio``; returns the new config.

    Appends one entry to ``performance_reset_history`` (earlier entries are kept
    as they are), moves ``tracking_start_date``/``initial_portfolio_*`` to now and
    adds a ``performance_reset`` snapshot. Old snapshots are kept (retention
    removes them); metrics count from ``tracking_start_date``. A clock that
    stepped back behind the newest snapshot stamps the reset at that snapshot's
    time instead, so the series stays ordered and the reset is never dropped.
    """
    moment = now_utc(now)
    with tracking_lock(root):
        tracking = _load_tracking(root, repair=True)  # settle any interrupted change first
        newest = _newest(tracking.snapshots)
        if newest is not None and moment < newest[0]:
            moment = newest[0]
        snap = make_snapshot(portfolio, "performance_reset", session_id, moment)
        config = tracking.config
        history = config.get("performance_reset_history")
        entries = list(history) if isinstance(history, list) else []
        entries.append(
            {
                "reset_date": snap["timestamp"],
                "reason": reason,
                "previous_tracking_start_date": config.get("tracking_start_date"),
                "previous_initial_portfolio_value": config.get("initial_portfolio_value"),
                "new_initial_portfolio_value": snap["total_value_eur"],
                "snapshot": snap,
            }
        )
        config["performance_reset_history"] = entries
        config["tracking_start_date"] = snap["timestamp"]
        config["initial_portfolio_value"] = snap["total_value_eur"]
        config["initial_portfolio_composition"] = snap["portfolio_composition"]
        _save_config(root, config)  # phase 1: the reset is recorded (embeds its snapshot)
        snapshots = tracking.snapshots
        _reconcile(config, snapshots)  # appends the embedded snapshot
        _save_snapshots(root, snapshots)  # phase 2
        _save_config(root, config)  # phase 3: last_snapshot_date
    return config
