"""Performance tracking: snapshots, due logic, retention, metrics and resets.

Files (under ``data/performance/``): ``performance_config.json`` (the standard's
Configuration Schema), ``portfolio_snapshots.json`` (a bare JSON list of
snapshots, the bot's own format; the ``{"version", "snapshots": [...]}`` object
older botstore releases wrote is read, never written), ``performance_metrics.json``
and ``performance_periods.json``. Timestamps are stored in the standard's form:
naive ISO 8601 UTC with microseconds (``2024-01-01T00:00:00.000000``).

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
appended, never rewritten.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as _dt
import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from core.errors import FileMissing, SchemaViolation
from core.standard import layout
from core.storage.codec import non_finite_float
from core.storage.lock import file_lock
from core.storage.read import read_json
from core.storage.write import write_json

PathLike = str | os.PathLike[str]
UTC: Final = _dt.UTC

CURRENT_VERSION: Final = "1.0"
SNAPSHOT_TYPES: Final = ("scheduled", "initial_setup", "performance_reset", "manual")
#: Frequency -> UTC bucket length in seconds; ``None``: never due on a schedule.
FREQUENCIES: Final[dict[str, int | None]] = {
    "hourly": 3_600,
    "daily": 86_400,
    "on_restart": None,
    "manual": None,
}
DEFAULT_RETENTION_DAYS: Final = 365
#: Portfolio keys that are not holdings.
_NON_ASSET_KEYS: Final = frozenset({"portfolio_value_eur", "initial_value_eur"})
_EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=UTC)
#: Rolling windows written to ``performance_periods.json``.
PERIOD_WINDOWS: Final[dict[str, int | None]] = {
    "24h": 1,
    "7d": 7,
    "30d": 30,
    "90d": 90,
    "365d": 365,
    "all": None,
}


class TrackingMissing(FileMissing, FileNotFoundError):
    """Tracking is not initialized (no config): both a FileMissing and a FileNotFoundError."""

    code = "missing"


# --------------------------------------------------------------------------- time


def iso(moment: _dt.datetime) -> str:
    """The standard's timestamp form: naive ISO 8601 UTC with microseconds."""
    return to_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds")


def to_utc(moment: _dt.datetime) -> _dt.datetime:
    """Aware UTC; naive values are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_ts(value: Any) -> _dt.datetime | None:
    """Parse a stored timestamp to aware UTC; ``None`` when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return to_utc(_dt.datetime.fromisoformat(value))
    except ValueError:
        return None


def _now(now: _dt.datetime | None) -> _dt.datetime:
    return to_utc(now) if now is not None else _dt.datetime.now(UTC)


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
        "timestamp": iso(_now(now)),
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
    if best is None or raw is None:
        return None
    return to_utc(_dt.datetime.fromisoformat(best)), raw


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
        newest = (parse_ts(pending["timestamp"]) or _EPOCH, str(pending["timestamp"]))
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
    moment = _now(now)
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
            keys = [parse_ts(s.get("timestamp")) or _EPOCH for s in snapshots]
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
            (dict(s) for s in snapshots), key=lambda s: parse_ts(s.get("timestamp")) or _EPOCH
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
    moment = _now(now)
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


# --------------------------------------------------------------------------- due logic


def snapshot_due(config: Mapping[str, Any], now: _dt.datetime, *, on_start: bool = False) -> bool:
    """Whether a snapshot should be taken at ``now``.

    * ``hourly`` / ``daily``: due once ``now`` is in a later UTC hour / UTC day
      than ``last_snapshot_date`` (clock-aligned, no drift); a missing or
      unreadable ``last_snapshot_date`` means due; a clock behind it means not due.
    * ``on_restart``: due only when called at bot start (``on_start=True``).
    * ``manual``: never due (snapshots are taken explicitly).
    * ``tracking_enabled`` false: never due. Unknown frequency: ValueError.
    """
    frequency = config.get("snapshot_frequency")
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        raise ValueError(f"unknown snapshot_frequency {frequency!r}")
    if config.get("tracking_enabled", True) is False:
        return False
    if frequency == "on_restart":
        return on_start
    bucket = FREQUENCIES[frequency]
    if bucket is None:
        return False
    last = parse_ts(config.get("last_snapshot_date"))
    if last is None:
        return True
    moment = to_utc(now)
    return _bucket(moment, bucket) > _bucket(last, bucket)


def _bucket(moment: _dt.datetime, seconds: int) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) // seconds


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
        kept, removed = apply_retention(tracking.snapshots, _now(now), period)
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


# --------------------------------------------------------------------------- metrics


def _series(snapshots: Sequence[Mapping[str, Any]]) -> list[tuple[_dt.datetime, float]]:
    points: list[tuple[_dt.datetime, float]] = []
    for snap in snapshots:
        moment = parse_ts(snap.get("timestamp"))
        value = snap.get("total_value_eur")
        if (
            moment is not None
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
            and math.isfinite(value)
        ):
            points.append((moment, float(value)))
    points.sort(key=lambda p: p[0])
    return points


def _pct(new: float, old: float) -> float | None:
    return (new / old - 1.0) * 100.0 if old > 0 else None


def compute_metrics(
    snapshots: Sequence[Mapping[str, Any]], now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Total return, max drawdown and daily returns (last value of each UTC day vs the previous).

    Percentages are in percent; drawdown is <= 0. Snapshots without a usable
    timestamp or value are ignored.
    """
    points = _series(snapshots)
    out: dict[str, Any] = {
        "version": CURRENT_VERSION,
        "calculated_at": iso(_now(now)),
        "snapshot_count": len(points),
        "first_snapshot": iso(points[0][0]) if points else None,
        "last_snapshot": iso(points[-1][0]) if points else None,
        "start_value_eur": points[0][1] if points else None,
        "current_value_eur": points[-1][1] if points else None,
        "total_return_eur": points[-1][1] - points[0][1] if points else None,
        "total_return_pct": _pct(points[-1][1], points[0][1]) if points else None,
        "max_drawdown_pct": None,
        "max_drawdown_peak": None,
        "max_drawdown_trough": None,
        "daily_returns": [],
        "best_day_pct": None,
        "worst_day_pct": None,
        "daily_volatility_pct": None,
    }
    if not points:
        return out
    peak_at, peak = points[0]
    worst = 0.0
    worst_span: tuple[_dt.datetime, _dt.datetime] | None = None
    for moment, value in points:
        if value > peak:
            peak_at, peak = moment, value
        if peak > 0:
            drawdown = (value / peak - 1.0) * 100.0
            if drawdown < worst:
                worst, worst_span = drawdown, (peak_at, moment)
    out["max_drawdown_pct"] = worst
    if worst_span is not None:
        out["max_drawdown_peak"] = iso(worst_span[0])
        out["max_drawdown_trough"] = iso(worst_span[1])
    closes: dict[_dt.date, float] = {}
    for moment, value in points:
        closes[moment.date()] = value
    days = sorted(closes)
    daily: list[dict[str, Any]] = []
    for previous, day in itertools.pairwise(days):
        change = _pct(closes[day], closes[previous])
        if change is not None:
            daily.append({"date": day.isoformat(), "return_pct": change})
    out["daily_returns"] = daily
    if daily:
        values = [d["return_pct"] for d in daily]
        mean = sum(values) / len(values)
        out["best_day_pct"], out["worst_day_pct"] = max(values), min(values)
        out["daily_volatility_pct"] = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    return out


def compute_periods(
    snapshots: Sequence[Mapping[str, Any]], now: _dt.datetime | None = None
) -> dict[str, Any]:
    """Returns over rolling windows ending at the newest snapshot (24h, 7d, 30d, 90d, 365d, all).

    A window's start value is the first snapshot at or after its start; a window
    the data does not fully cover is marked ``"complete": false``.
    """
    points = _series(snapshots)
    periods: dict[str, Any] = {}
    for name, days in PERIOD_WINDOWS.items():
        if not points:
            periods[name] = None
            continue
        end_at, end_value = points[-1]
        start_at = points[0][0] if days is None else end_at - _dt.timedelta(days=days)
        index = bisect.bisect_left([p[0] for p in points], start_at)
        first_at, first_value = points[index]
        periods[name] = {
            "start": iso(first_at),
            "end": iso(end_at),
            "start_value_eur": first_value,
            "end_value_eur": end_value,
            "return_pct": _pct(end_value, first_value),
            "complete": days is None or points[0][0] <= start_at,
        }
    return {"version": CURRENT_VERSION, "calculated_at": iso(_now(now)), "periods": periods}


def update_metrics(root: PathLike, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Recompute metrics and periods from snapshots since ``tracking_start_date``; write both."""
    tracking = load_tracking(root)
    start = parse_ts(tracking.config.get("tracking_start_date"))
    current = [
        s
        for s in tracking.snapshots
        if start is None or (parse_ts(s.get("timestamp")) or _EPOCH) >= start
    ]
    metrics = compute_metrics(current, now)
    files = paths(root)
    write_json(files["metrics"], metrics, backup=False)
    write_json(files["periods"], compute_periods(current, now), backup=False)
    return metrics


__all__ = [
    "CURRENT_VERSION",
    "DEFAULT_RETENTION_DAYS",
    "FREQUENCIES",
    "SNAPSHOT_TYPES",
    "CleanupResult",
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
    "parse_ts",
    "reset_tracking",
    "snapshot_due",
    "update_metrics",
    "write_snapshots",
]
