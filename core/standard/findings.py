"""Findings: the unit of everything botstore reports (CLI, watch, metrics, TUI).

Codes are a public contract (scripts match on them): never rename one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Final

CODES: Final = (
    "missing",
    "unreadable",
    "invalid_json",
    "schema",
    "version",
    "stale",
    "size",
    "permissions",
    "backup",
    "temp_leftover",
    "naming",
    "parquet",
    "gap",
    "symlink",
    "special_file",
    "disk",
    "retention",
    "ignored",
    "deviation",
)
#: The standard's ``get_storage_health()`` keys, exactly, in this order (the health figures
#: every report carries next to its findings).
HEALTH_KEYS: Final = (
    "portfolio_file_exists",
    "portfolio_file_size",
    "portfolio_last_modified",
    "performance_snapshots_count",
    "disk_usage_mb",
    "oldest_snapshot_age_days",
    "backup_status",
)


class Severity(StrEnum):
    """How bad a finding is; ordered info < warning < critical."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def symbol(self) -> str:
        """A glyph carrying the severity without colour (monochrome terminals, colour blindness)."""
        return _SYMBOL[self]


_RANK: Final = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}
_SYMBOL: Final = {Severity.INFO: "i", Severity.WARNING: "!", Severity.CRITICAL: "✖"}


class Status(StrEnum):
    """Overall result, with Nagios plugin exit codes."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}[self.value]

    @classmethod
    def from_findings(cls, findings: list[Finding]) -> Status:
        worst = max((f.severity.rank for f in findings), default=0)
        return {0: cls.OK, 1: cls.WARNING, 2: cls.CRITICAL}[worst]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem (or notable fact) about one path, relative to the scanned root."""

    code: str
    severity: Severity
    path: str
    message: str

    @property
    def key(self) -> tuple[str, str]:
        """Identity across scans: the same code on the same path is the same finding."""
        return (self.code, self.path)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data
