"""The tracking files: their paths and lock, snapshot making and reading, the config.

Files (under ``data/performance/``): ``performance_config.json`` (the standard's
Configuration Schema), ``portfolio_snapshots.json`` (a bare JSON list of
snapshots, the bot's own format; the ``{"version", "snapshots": [...]}`` object
older botstore releases wrote is read, never written), ``performance_metrics.json``
and ``performance_periods.json``. Timestamps are stored in the standard's form
(:func:`core.standard.times.iso`).

Consistency invariant (config vs snapshots)
-------------------------------------------
The snapshots file is the source of truth; ``last_snapshot_date`` is derived
from it. Every writer holds the tracking lock and commits the **snapshots file
first and the config second**, each with an atomic replace. So after a crash at
any instant, the on-disk ``last_snapshot_date`` is never *newer* than the newest
snapshot: it equals it, or lags by the one in-flight write. :func:`load_tracking`
reconciles — ``last_snapshot_date := newest snapshot timestamp`` — and persists
the fix with ``repair=True``. Resets are the one two-phase change: the reset
entry (which embeds its ``performance_reset`` snapshot) is committed to the
config first, then the snapshot is appended; a crash in between leaves a reset
entry whose snapshot is newer than every stored one, and :func:`load_tracking`
re-appends exactly that embedded snapshot. Reset history entries are only ever
appended, never rewritten. The writers are in :mod:`core.tracking.writing`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from core.errors import FileMissing, SchemaViolation
from core.standard import layout
from core.standard.formats import CURRENT_VERSION
from core.standard.frequencies import FREQUENCIES
from core.standard.times import EPOCH, iso, now_utc, parse_ts
from core.storage.lock import file_lock
from core.storage.read import read_json
from core.storage.write import write_json

PathLike = str | os.PathLike[str]

SNAPSHOT_TYPES: Final = ("scheduled", "initial_setup", "performance_reset", "manual")
#: Portfolio keys that are not holdings.
_NON_ASSET_KEYS: Final = frozenset({"portfolio_value_eur", "initial_value_eur"})


class TrackingMissing(FileMissing, FileNotFoundError):
    """Tracking is not initialized (no config): both a FileMissing and a FileNotFoundError."""

    code = "missing"


# --------------------------------------------------------------------------- paths


def paths(root: PathLike) -> dict[str, Path]:
    """Absolute paths of the four performance files under ``root``."""
    base = Path(root)
    return {
        "config": base / layout.PERFORMANCE_CONFIG,
        "snapshots": base / layout.SNAPSHOTS,
        "metrics": base / layout.PERFORMANCE_METRICS,
        "periods": base / layout.PERFORMANCE_PERIODS,
    }


@contextlib.contextmanager
def tracking_lock(root: PathLike) -> Iterator[None]:
    """The lock every writer of the config/snapshots pair holds (``.performance.lock``)."""
    with file_lock(Path(root) / layout.PERFORMANCE_DIR / "performance"):
        yield


# --------------------------------------------------------------------------- snapshots


def _holdings(portfolio: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {
        key: value
        for key, value in portfolio.items()
        if key not in _NON_ASSET_KEYS and isinstance(value, Mapping) and "amount" in value
    }


def _num(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return float(value) if math.isfinite(value) else default


def make_snapshot(
    portfolio: Mapping[str, Any],
    snapshot_type: str,
    session_id: str,
    now: _dt.datetime | None = None,
) -> dict[str, Any]:
    """A Performance Snapshot (the standard's schema) of ``portfolio`` at ``now``.

    ``total_value_eur`` is ``portfolio_value_eur.amount`` when present, else the
    sum of holdings x ``last_price_eur`` (EUR at 1.0; a holding without a price
    counts 0). ValueError for an unknown ``snapshot_type``.
    """
    if snapshot_type not in SNAPSHOT_TYPES:
        raise ValueError(
            f"unknown snapshot_type {snapshot_type!r} (expected one of {', '.join(SNAPSHOT_TYPES)})"
        )
    prices: dict[str, float] = {}
    composition: dict[str, dict[str, float]] = {}
    for asset, holding in _holdings(portfolio).items():
        amount = _num(holding.get("amount"))
        price = 1.0 if asset == "EUR" else _num(holding.get("last_price_eur"), math.nan)
        if not math.isnan(price):
            prices[asset] = price
        composition[asset] = {
            "amount": amount,
            "value_eur": amount * price if not math.isnan(price) else 0.0,
        }
    summed = sum(c["value_eur"] for c in composition.values())
    declared = portfolio.get("portfolio_value_eur")
    total = _num(declared.get("amount"), summed) if isinstance(declared, Mapping) else summed
    return {
        "timestamp": iso(now_utc(now)),
        "total_value_eur": total,
        "portfolio_composition": composition,
        "asset_prices": prices,
        "snapshot_type": snapshot_type,
        "trading_session_id": session_id,
    }


def _snapshot_list(data: Any, path: PathLike) -> list[dict[str, Any]]:
    if isinstance(data, list):  # the bot's format (1.0)
        items = data
    elif isinstance(data, Mapping) and isinstance(data.get("snapshots"), list):
        items = data["snapshots"]
    else:
        raise SchemaViolation(path, ["(root): expected a list of snapshots"])
    bad = [f"snapshots[{i}]: not an object" for i, s in enumerate(items) if not isinstance(s, dict)]
    if bad:
        raise SchemaViolation(path, bad[:10])
    return list(items)


def load_snapshots(root: PathLike) -> list[dict[str, Any]]:
    """The stored snapshots (``[]`` when the file does not exist)."""
    path = paths(root)["snapshots"]
    try:
        data = read_json(path)
    except FileMissing:
        return []
    return _snapshot_list(data, path)


def _save_snapshots(root: PathLike, snapshots: Sequence[Mapping[str, Any]]) -> None:
    """Write the bare list the bot's own tracker reads (never the wrapped object)."""
    write_json(paths(root)["snapshots"], list(snapshots))


def _key(value: Any) -> str | None:
    """A chronological sort key: the canonical naive-UTC ISO string (None if unparseable).

    Stored timestamps are nearly always already canonical, which this checks
    with string operations only (87,600 ``fromisoformat`` calls are not free).
    """
    if (
        isinstance(value, str)
        and len(value) == 26
        and value[10] == "T"
        and value[19] == "."
        and value[:4].isdigit()
        and value[20:].isdigit()
    ):
        return value
    moment = parse_ts(value)
    return None if moment is None else iso(moment)


def _newest(snapshots: Sequence[Mapping[str, Any]]) -> tuple[_dt.datetime, str] | None:
    best: str | None = None
    raw: str | None = None
    for snap in snapshots:
        stamp = snap.get("timestamp")
        key = _key(stamp)
        if key is not None and (best is None or key > best):
            best, raw = key, str(stamp)
    moment = parse_ts(best)
    if moment is None or raw is None:
        return None
    return moment, raw


# --------------------------------------------------------------------------- config


def new_config(portfolio: Mapping[str, Any], frequency: str, now: _dt.datetime) -> dict[str, Any]:
    """A fresh Configuration Schema document (last_snapshot_date = the initial snapshot)."""
    if frequency not in FREQUENCIES:
        raise ValueError(
            f"unknown snapshot_frequency {frequency!r} (expected one of {', '.join(FREQUENCIES)})"
        )
    snap = make_snapshot(portfolio, "initial_setup", "botstore", now)
    stamp = iso(now)
    return {
        "tracking_start_date": stamp,
        "initial_portfolio_value": snap["total_value_eur"],
        "initial_portfolio_composition": snap["portfolio_composition"],
        "performance_reset_history": [],
        "snapshot_frequency": frequency,
        "last_snapshot_date": stamp,
        "tracking_enabled": True,
        "created_date": stamp,
        "version": CURRENT_VERSION,
    }


def load_config(root: PathLike) -> dict[str, Any]:
    """The raw config as stored; :class:`TrackingMissing` when tracking is not set up."""
    path = paths(root)["config"]
    try:
        data = read_json(path)
    except FileMissing as exc:
        raise TrackingMissing(path, "performance tracking is not initialized") from exc
    if not isinstance(data, dict):
        raise SchemaViolation(path, ["(root): expected an object"])
    return data


def _save_config(root: PathLike, config: Mapping[str, Any]) -> None:
    write_json(paths(root)["config"], dict(config))


@dataclass(slots=True)
class Tracking:
    """Config and snapshots as reconciled by :func:`load_tracking`."""

    config: dict[str, Any]
    snapshots: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)  # what reconciliation fixed

    @property
    def consistent(self) -> bool:
        """True when the files on disk needed no reconciliation."""
        return not self.problems


def _pending_reset(
    config: Mapping[str, Any], newest: tuple[_dt.datetime, str] | None
) -> dict[str, Any] | None:
    """The last reset entry's snapshot when it is newer than every stored snapshot."""
    history = config.get("performance_reset_history")
    if not isinstance(history, list) or not history or not isinstance(history[-1], Mapping):
        return None
    snap = history[-1].get("snapshot")
    if not isinstance(snap, dict):
        return None
    moment = parse_ts(snap.get("timestamp"))
    if moment is None or (newest is not None and moment < newest[0]):
        return None
    return snap


def _stored(snapshots: Sequence[Mapping[str, Any]], snap: Mapping[str, Any]) -> bool:
    """True when ``snap`` (same timestamp and type) is among the newest stored snapshots."""
    stamp, kind = snap.get("timestamp"), snap.get("snapshot_type")
    for stored in reversed(snapshots):
        if stored.get("timestamp") == stamp and stored.get("snapshot_type") == kind:
            return True
        if stored.get("timestamp") != stamp:
            return False
    return False


def _reconcile(config: dict[str, Any], snapshots: list[dict[str, Any]]) -> list[str]:
    """Apply the module invariant in memory; returns what had to change."""
    problems: list[str] = []
    newest = _newest(snapshots)
    pending = _pending_reset(config, newest)
    if pending is not None and _stored(snapshots, pending):
        pending = None
    if pending is not None:
        snapshots.append(dict(pending))
        newest = (parse_ts(pending["timestamp"]) or EPOCH, str(pending["timestamp"]))
        problems.append(f"reset at {pending['timestamp']} had no snapshot; re-appended it")
    if newest is not None and config.get("last_snapshot_date") != newest[1]:
        problems.append(f"last_snapshot_date {config.get('last_snapshot_date')!r} -> {newest[1]!r}")
        config["last_snapshot_date"] = newest[1]
    return problems


def load_tracking(root: PathLike, *, repair: bool = False) -> Tracking:
    """Load config and snapshots and reconcile them per the module invariant.

    With ``repair`` the reconciled files are written back (snapshots first).
    Raises :class:`TrackingMissing` without a config.
    """
    if repair:
        with tracking_lock(root):
            return _load_tracking(root, repair=True)
    return _load_tracking(root, repair=False)


def _load_tracking(root: PathLike, *, repair: bool) -> Tracking:
    config = load_config(root)
    snapshots = load_snapshots(root)
    count = len(snapshots)
    problems = _reconcile(config, snapshots)
    if repair and problems:
        if len(snapshots) != count:
            _save_snapshots(root, snapshots)
        _save_config(root, config)
    return Tracking(config, snapshots, problems)
