"""The bot's own files the standard does not list, and how they grow.

The real bot writes one ``data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json`` per
decision (about 360 per asset a month) and never deletes them; it appends to
``data/performance/decision_records.json`` forever; supervisord writes
``logs/supervisor.log`` without rotating it. None of that is corruption, so
the findings here are about growth: ``retention`` with the growth per day and
the cleanup glob (``info`` while everything is younger than the retention
window, ``warning`` once older files pile up), and ``size`` for an unrotated
supervisor log over :data:`SUPERVISOR_MAX_MB`.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Final

from core.health.state import Entry, entry_size
from core.standard.findings import Finding, Severity

DECISION_GLOB: Final = "data/*_*_[0-9]*_[0-9]*.json"
DECISION_RE: Final = re.compile(r"[A-Z0-9]{2,10}_[A-Z0-9]{2,10}_(\d{8}_\d{6})\.json")
DECISION_RECORDS: Final = "data/performance/decision_records.json"
SUPERVISOR_LOG: Final = "logs/supervisor.log"
#: An unrotated supervisor log above this size is a ``size`` warning.
SUPERVISOR_MAX_MB: Final = 5.0
#: Decision files older than this many days (``[retention] decisions``) make it a warning.
DEFAULT_DECISION_DAYS: Final = 90.0
MB: Final = 1024 * 1024
DAY: Final = 86400.0


def _stamp(name: str) -> float | None:
    match = DECISION_RE.fullmatch(name)
    if match is None:
        return None
    try:
        moment = _dt.datetime.strptime(match.group(1), "%Y%m%d_%H%M%S")
    except ValueError:
        return None
    return moment.replace(tzinfo=_dt.UTC).timestamp()


def _kb(value: float) -> str:
    return f"{value / 1024:.0f} KB" if value < MB else f"{value / MB:.1f} MB"


def growth_findings(
    data_dir: Mapping[str, Entry] | None,
    performance_dir: Mapping[str, Entry] | None,
    logs_dir: Mapping[str, Entry] | None,
    now: float,
    retention_days: float = DEFAULT_DECISION_DAYS,
) -> list[Finding]:
    """Findings for the bot's ever-growing files (entries of data/, data/performance/, logs/)."""
    out: list[Finding] = []
    stamps: list[float] = []
    total = 0
    for name, entry in (data_dir or {}).items():
        stamp = _stamp(name)
        if stamp is not None:
            stamps.append(stamp)
            total += entry_size(entry)
    span_days = max(1.0, (max(stamps) - min(stamps)) / DAY) if stamps else 0.0
    if stamps:
        old = sum(1 for s in stamps if retention_days > 0 and now - s > retention_days * DAY)
        severity = Severity.WARNING if old else Severity.INFO
        extra = f"; {old:,} older than {retention_days:g} d" if old else ""
        out.append(
            Finding(
                "retention",
                severity,
                "data",
                f"{len(stamps):,} decision files ({_kb(total)}), "
                f"~{len(stamps) / span_days:.0f}/day "
                f"({_kb(total / span_days)}/day), never deleted by the bot{extra}; "
                f"glob {DECISION_GLOB} (*_latest.json kept); botstore cleanup moves those older "
                f"than [retention] decisions = {retention_days:g} d to the quarantine",
            )
        )
    records = (performance_dir or {}).get(DECISION_RECORDS.rpartition("/")[2])
    if records is not None and stamps:
        size = entry_size(records)
        out.append(
            Finding(
                "retention",
                Severity.INFO,
                DECISION_RECORDS,
                f"{_kb(size)}, grows ~{_kb(size / span_days)}/day and is never trimmed by the bot",
            )
        )
    logs = logs_dir or {}
    supervisor = logs.get("supervisor.log")
    if supervisor is not None and not any(n.startswith("supervisor.log.") for n in logs):
        size = entry_size(supervisor)
        if size > SUPERVISOR_MAX_MB * MB:
            out.append(
                Finding(
                    "size",
                    Severity.WARNING,
                    SUPERVISOR_LOG,
                    f"{size / MB:.1f} MB and not rotated (limit {SUPERVISOR_MAX_MB:g} MB): set "
                    "supervisord's stdout_logfile_maxbytes/backups or logrotate copytruncate",
                )
            )
    return out


__all__ = [
    "DECISION_GLOB",
    "DECISION_RE",
    "DEFAULT_DECISION_DAYS",
    "SUPERVISOR_MAX_MB",
    "growth_findings",
]
