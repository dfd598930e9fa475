"""Performance metrics and rolling periods computed from the snapshots.

Written to ``performance_metrics.json`` and ``performance_periods.json`` (derived
files: rewritten whole, without a ``.bak``).
"""

from __future__ import annotations

import bisect
import datetime as _dt
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from core.standard.formats import CURRENT_VERSION
from core.standard.times import EPOCH, iso, now_utc, parse_ts
from core.storage.write import write_json
from core.tracking.tracking_files import PathLike, load_tracking, paths

#: Rolling windows written to ``performance_periods.json``.
PERIOD_WINDOWS: Final[dict[str, int | None]] = {
    "24h": 1,
    "7d": 7,
    "30d": 30,
    "90d": 90,
    "365d": 365,
    "all": None,
}


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
        "calculated_at": iso(now_utc(now)),
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
    return {"version": CURRENT_VERSION, "calculated_at": iso(now_utc(now)), "periods": periods}


def update_metrics(root: PathLike, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Recompute metrics and periods from snapshots since ``tracking_start_date``; write both."""
    tracking = load_tracking(root)
    start = parse_ts(tracking.config.get("tracking_start_date"))
    current = [
        s
        for s in tracking.snapshots
        if start is None or (parse_ts(s.get("timestamp")) or EPOCH) >= start
    ]
    metrics = compute_metrics(current, now)
    files = paths(root)
    write_json(files["metrics"], metrics, backup=False)
    write_json(files["periods"], compute_periods(current, now), backup=False)
    return metrics
