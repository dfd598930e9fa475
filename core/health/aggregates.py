"""Checks over several files: existence, the portfolio backup, the snapshot series.

``backup_status`` values (the standard's health figure):

* ``"ok"``       — ``portfolio.json.bak`` exists, parses, matches the schema and is not
  newer than the primary;
* ``"missing"``  — no backup file (or no portfolio at all);
* ``"invalid"``  — the backup is not a regular file, or is unreadable/invalid/off-schema;
* ``"mismatch"`` — the backup is newer than the primary (mtime, or its ``last_updated``),
  so it is not the previous version the standard asks for.
"""

from __future__ import annotations

import itertools
import stat
import statistics
from collections.abc import Container, Mapping
from typing import Any, Final

from core.config import Config
from core.health.report import SnapshotSummary
from core.health.state import ContentResult
from core.standard import layout
from core.standard.findings import Finding, Severity
from core.standard.frequencies import frequency_seconds
from core.standard.times import parse_timestamp
from core.standard.units import format_span

BACKUP_REL: Final = layout.PORTFOLIO + layout.BACKUP_SUFFIX
MTIME_TOLERANCE_S: Final = 1.0
MAX_VALUE_POINTS: Final = 240


def backup_status(
    primary: Any,
    backup: Any,
    primary_content: ContentResult | None,
    backup_content: ContentResult | None,
) -> tuple[str, Finding | None]:
    """``(status, finding)`` for ``portfolio.json.bak`` (stat results + content results)."""
    if backup is None:
        if primary is None:
            return "missing", None
        return "missing", Finding(
            "backup",
            Severity.WARNING,
            BACKUP_REL,
            "no portfolio.json.bak: a corrupted portfolio could not be restored",
        )
    if not stat.S_ISREG(backup.st_mode):
        return "invalid", None  # the filesystem check reports what it is
    if backup_content is None or not backup_content.ok:
        return "invalid", None  # the content check reported why
    if primary is not None and stat.S_ISREG(primary.st_mode):
        if backup.st_mtime > primary.st_mtime + MTIME_TOLERANCE_S:
            return "mismatch", Finding(
                "backup",
                Severity.WARNING,
                BACKUP_REL,
                "backup is newer than portfolio.json (modified later)",
            )
        p_data = primary_content.data if primary_content is not None else None
        b_data = backup_content.data
        if isinstance(p_data, Mapping) and isinstance(b_data, Mapping):
            p_at = parse_timestamp(p_data.get("last_updated"))
            b_at = parse_timestamp(b_data.get("last_updated"))
            if p_at is not None and b_at is not None and b_at > p_at:
                return "mismatch", Finding(
                    "backup",
                    Severity.WARNING,
                    BACKUP_REL,
                    f"backup last_updated {b_data.get('last_updated')} is newer than the "
                    f"primary's {p_data.get('last_updated')}",
                )
    return "ok", None


def snapshot_items(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping) and isinstance(data.get("snapshots"), list):
        items: list[Any] = data["snapshots"]
        return items
    return None


def summarize_snapshots(
    data: Any, perf_config: Any, config: Config
) -> tuple[SnapshotSummary, list[float], int]:
    """The summary, the sorted timestamps and the number of out-of-order steps."""
    items = snapshot_items(data) or []
    frequency = None
    retention = config.retention_days
    if isinstance(perf_config, Mapping):
        value = perf_config.get("snapshot_frequency")
        frequency = value if isinstance(value, str) else None
        days = perf_config.get("retention_days")
        if isinstance(days, (int, float)) and not isinstance(days, bool) and days > 0:
            retention = float(days)
    stamps: list[tuple[float, str, float | None]] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        at = parse_timestamp(item.get("timestamp"))
        if at is None:
            continue
        value = item.get("total_value_eur")
        number = (
            float(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else None
        )
        stamps.append((at, str(item.get("timestamp")), number))
    disorder = sum(1 for a, b in itertools.pairwise(stamps) if b[0] < a[0])
    stamps.sort(key=lambda s: s[0])
    times = [s[0] for s in stamps]
    intervals = [b - a for a, b in itertools.pairwise(times)]
    freq_s = frequency_seconds(frequency)
    gaps = sum(1 for i in intervals if i > config.gap_factor * freq_s) if freq_s else 0
    step = max(1, len(stamps) // MAX_VALUE_POINTS + (1 if len(stamps) % MAX_VALUE_POINTS else 0))
    values = [(s[1], s[2]) for s in stamps[::step] if s[2] is not None]
    summary = SnapshotSummary(
        count=len(items),
        oldest=stamps[0][1] if stamps else None,
        newest=stamps[-1][1] if stamps else None,
        frequency=frequency,
        median_interval_s=statistics.median(intervals) if intervals else None,
        gaps=gaps,
        retention_days=round(retention),
        values=[(t, v) for t, v in values if v is not None],
    )
    return summary, times, disorder


def snapshot_findings(
    summary: SnapshotSummary,
    times: list[float],
    disorder: int,
    now: float,
    config: Config,
    *,
    tracking_enabled: bool,
) -> list[Finding]:
    path = layout.SNAPSHOTS
    out: list[Finding] = []
    freq_s = frequency_seconds(summary.frequency)
    if disorder:
        out.append(
            Finding(
                "gap", Severity.WARNING, path, f"{disorder} snapshot(s) out of chronological order"
            )
        )
    if freq_s and summary.gaps:
        largest = max(b - a for a, b in itertools.pairwise(times))
        out.append(
            Finding(
                "gap",
                Severity.WARNING,
                path,
                f"{summary.gaps} gap(s) in the {summary.frequency} snapshot series "
                f"(largest {format_span(largest)})",
            )
        )
    if freq_s and summary.median_interval_s is not None and len(times) >= 4:
        median = summary.median_interval_s
        if median > freq_s * 2 or median < freq_s / 2:
            out.append(
                Finding(
                    "gap",
                    Severity.WARNING,
                    path,
                    f"snapshots every {format_span(median)} (median) but snapshot_frequency "
                    f"is {summary.frequency}",
                )
            )
    if freq_s and times and tracking_enabled:
        late = config.threshold("snapshot_late_factor", path)
        age = now - times[-1]
        level = late.level_above(age / freq_s)
        if level is not None:
            out.append(
                Finding(
                    "stale",
                    Severity(level),
                    path,
                    f"newest snapshot is {format_span(age)} old, frequency is {summary.frequency}",
                )
            )
    if times and summary.retention_days > 0:  # 0 keeps forever, as for botstore cleanup
        oldest_days = (now - times[0]) / 86400
        if oldest_days > summary.retention_days + config.retention_grace_days:
            out.append(
                Finding(
                    "retention",
                    Severity.WARNING,
                    path,
                    f"oldest snapshot is {oldest_days:.0f} days old, retention is "
                    f"{summary.retention_days} days (cleanup not running?)",
                )
            )
    return out


def existence_findings(entries: Container[str]) -> list[Finding]:
    out: list[Finding] = []
    for rel in layout.CRITICAL_FILES:
        if rel not in entries:
            out.append(Finding("missing", Severity.CRITICAL, rel, "critical file is missing"))
    for rel in layout.EXPECTED_FILES:
        if rel not in entries:
            out.append(Finding("missing", Severity.WARNING, rel, "expected file is missing"))
    return out
