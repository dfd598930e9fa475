"""Report assembly of the health scan: per-entry findings plus the aggregate checks.

:class:`ReportAssembly` turns what a scan kept into a
:class:`~core.health.report.HealthReport`: walk errors, per-path and size
findings, existence of critical/expected files, ``portfolio.json.bak``, the
snapshot series (summary cached by content key), disk and growth, the real bot's
ever-growing files, the cloud backup, backups and quarantine; findings sorted by
severity, the health keys in contract order.
"""

from __future__ import annotations

import os
import stat
import time
from typing import Any

from core.health import aggregates
from core.health.botfiles import DEFAULT_DECISION_DAYS, growth_findings
from core.health.cloud_status import cloud_backup
from core.health.disk import disk_findings, disk_summary
from core.health.keep import count_backups
from core.health.report import HealthReport, SnapshotSummary
from core.health.scan_base import MB, ScanBase
from core.standard import layout
from core.standard.findings import HEALTH_KEYS, Finding, Status
from core.standard.times import utc_stamp as _iso

_S_ISREG = stat.S_ISREG


class ReportAssembly(ScanBase):
    """The report of a scan (see the module docstring)."""

    def _report(self, now: float, started: float) -> HealthReport:
        entries = self._entries
        findings: list[Finding] = []
        for items in self._walk_errors.values():
            findings.extend(items)
        for items in self._findings.values():
            findings.extend(items)
        findings.extend(self._size_findings.values())
        findings.extend(
            f for f in aggregates.existence_findings(entries) if not self._ignored_path(f.path)
        )
        findings.extend(self._ignore.warnings())

        primary_entry = entries.get(layout.PORTFOLIO)
        primary = primary_entry if isinstance(primary_entry, os.stat_result) else None
        status, backup_finding = aggregates.backup_status(
            primary,
            entries.get(aggregates.BACKUP_REL),
            self._content.get(layout.PORTFOLIO),
            self._content.get(aggregates.BACKUP_REL),
        )
        if backup_finding is not None:
            findings.append(backup_finding)

        snapshots, oldest_days = self._snapshots(now, findings)

        by_top = {top: size for top, size in self._bytes.items() if size}
        tree_bytes = sum(by_top.values())
        self._growth.add(now, tree_bytes, self.config.growth_window_seconds)
        disk = disk_summary(
            self.root, tree_bytes, by_top, self._growth.rate(self.config.growth_window_seconds)
        )
        findings.extend(disk_findings(disk, self.config))
        dirs = entries.dirs
        findings.extend(
            growth_findings(
                dirs.get(layout.DATA_DIR),
                dirs.get(layout.PERFORMANCE_DIR),
                dirs.get(layout.LOGS_DIR),
                now,
                self.config.retention.get("decisions", DEFAULT_DECISION_DAYS),
            )
        )
        cloud, cloud_findings = cloud_backup(self.root, now)
        findings.extend(cloud_findings)

        findings.sort(key=lambda f: (-f.severity.rank, f.path, f.code, f.message))
        portfolio_ok = primary is not None and _S_ISREG(primary.st_mode)
        health: dict[str, Any] = {
            "portfolio_file_exists": portfolio_ok,
            "portfolio_file_size": primary.st_size if portfolio_ok and primary else 0,
            "portfolio_last_modified": _iso(primary.st_mtime) if portfolio_ok and primary else None,
            "performance_snapshots_count": snapshots.count if snapshots else 0,
            "disk_usage_mb": round(by_top.get(layout.DATA_DIR, 0) / MB, 3),
            "oldest_snapshot_age_days": oldest_days,
            "backup_status": status,
        }
        assert tuple(health) == HEALTH_KEYS  # noqa: S101 - the contract, kept honest
        parquet = [c.parquet for rel, c in self._content.items() if c.parquet is not None]
        return HealthReport(
            root=self.root,
            checked_at=_iso(now),
            status=Status.from_findings(findings),
            health=health,
            findings=findings,
            files=list(self._filestats.values()),
            snapshots=snapshots,
            parquet=parquet,
            disk=disk,
            scan_seconds=time.perf_counter() - started,
            cloud=cloud,
            backups=count_backups(lambda rel: rel in entries, lambda rel: rel in entries),
            quarantine=self._quarantine.measure(self.root),
        )

    def _snapshots(
        self, now: float, findings: list[Finding]
    ) -> tuple[SnapshotSummary | None, float | None]:
        snap = self._content.get(layout.SNAPSHOTS)
        if snap is None or snap.data is None or layout.SNAPSHOTS not in self._entries:
            return None, None
        perf = self._content.get(layout.PERFORMANCE_CONFIG)
        perf_data = (
            perf.data if perf is not None and layout.PERFORMANCE_CONFIG in self._entries else None
        )
        cache_key = (snap.key, perf.key if perf is not None else None)
        if self._snap_cache is None or self._snap_cache[0] != cache_key:
            self._snap_cache = (
                cache_key,
                aggregates.summarize_snapshots(snap.data, perf_data, self.config),
            )
        summary, times, disorder = self._snap_cache[1]
        tracking = not (isinstance(perf_data, dict) and perf_data.get("tracking_enabled") is False)
        findings.extend(
            aggregates.snapshot_findings(
                summary, times, disorder, now, self.config, tracking_enabled=tracking
            )
        )
        oldest = round((now - times[0]) / 86400, 3) if times else None
        return summary, oldest


__all__ = ["ReportAssembly"]
