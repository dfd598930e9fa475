"""The health report: one scan's result, shared by the CLI, ``watch``, metrics and the TUI.

This is a contract between ``core.health`` (which fills it) and every face
(which only reads it). Add fields freely; never rename or remove one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.health.grouping import FindingGroup, group_findings, groups_only
from core.standard.findings import HEALTH_KEYS, Finding, Status
from core.tracking.history import ParquetSummary


@dataclass(frozen=True, slots=True)
class FileStat:
    """One regular file seen by the scan (paths relative to the root, POSIX form)."""

    path: str
    size: int
    mtime: float
    mode: int
    uid: int
    gid: int
    expected_mode: int | None  # None: the policy says nothing about this file
    sensitive: bool
    role: str | None  # "critical", "expected" or None
    size_delta: int | None  # change since the previous scan; None on the first scan
    kind: str  # "json", "parquet", "log", "backup", "other"


@dataclass(frozen=True, slots=True)
class SnapshotSummary:
    """The performance snapshots file, summarized."""

    count: int
    oldest: str | None  # ISO timestamps as stored
    newest: str | None
    frequency: str | None  # configured snapshot_frequency
    median_interval_s: float | None
    gaps: int  # intervals more than twice the configured frequency
    retention_days: int
    #: (timestamp, total_value_eur), at most 240 points, for the sparkline
    values: list[tuple[str, float]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DiskSummary:
    """Tree size and filesystem headroom."""

    tree_bytes: int
    by_top_dir: dict[str, int]
    fs_total: int
    fs_free: int
    growth_bytes_per_s: float | None
    time_to_full_s: float | None


@dataclass(frozen=True, slots=True)
class CloudBackup:
    """The last GCS sync as recorded by ``botstore sync`` (for the header and the disk panel)."""

    bucket: str | None
    last_attempt: str | None  # ISO 8601 UTC
    last_success: str | None
    ok: bool | None  # None: configured but never run
    error: str | None  # sanitized
    lag_s: float | None  # now - last_success


@dataclass(frozen=True, slots=True)
class BackupCounts:
    """The ``.bak`` files the bot should keep (``expected``) against those present."""

    expected: int
    found: int
    missing: list[str]  # root-relative ``.bak`` paths
    critical_missing: list[str]  # the subset whose primary is a critical file

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "found": self.found,
            "missing": list(self.missing),
            "critical_missing": list(self.critical_missing),
        }


@dataclass(frozen=True, slots=True)
class QuarantineSummary:
    """What ``data/.quarantine/`` holds: bytes kept there are not freed until purged."""

    bytes: int
    entries: int
    oldest: str | None  # ISO 8601 UTC of the oldest entry (from its name)

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "entries": self.entries, "oldest": self.oldest}


@dataclass(slots=True)
class HealthReport:
    """Everything one scan of a root produced."""

    root: str
    checked_at: str  # ISO 8601 UTC
    status: Status
    health: dict[str, Any]
    findings: list[Finding]
    files: list[FileStat] = field(default_factory=list)
    snapshots: SnapshotSummary | None = None
    parquet: list[ParquetSummary] = field(default_factory=list)
    disk: DiskSummary | None = None
    scan_seconds: float = 0.0
    cloud: CloudBackup | None = None  # None: cloud backup not configured
    backups: BackupCounts | None = None
    quarantine: QuarantineSummary | None = None

    def counts(self) -> dict[str, int]:
        """Findings per severity value."""
        out = {"info": 0, "warning": 0, "critical": 0}
        for finding in self.findings:
            out[finding.severity.value] += 1
        return out

    def grouped(self) -> list[Finding | FindingGroup]:
        """The findings for people: repetitive ones folded (``core.health.grouping``)."""
        return group_findings(self.findings)

    def to_json(self) -> dict[str, Any]:
        """The ``botstore check --json`` object (CLI contract).

        ``findings`` lists every finding; ``groups`` the folded ones, each with
        every path it stands for.
        """
        return {
            "status": self.status.value,
            "root": self.root,
            "checked_at": self.checked_at,
            "health": {key: self.health.get(key) for key in HEALTH_KEYS},
            "findings": [f.to_dict() for f in self.findings],
            "backups": None if self.backups is None else self.backups.to_dict(),
            "quarantine": None if self.quarantine is None else self.quarantine.to_dict(),
            "groups": [g.to_dict() for g in groups_only(self.grouped())],
        }
