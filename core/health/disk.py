"""Disk: tree size, filesystem headroom, and time-to-full from the growth between scans."""

from __future__ import annotations

import os

from core.config import Config
from core.health.report import DiskSummary
from core.standard.findings import Finding, Severity

MB = 1024 * 1024


def disk_summary(
    root: str, tree_bytes: int, by_top: dict[str, int], growth: float | None
) -> DiskSummary:
    try:
        fs = os.statvfs(root)
        total, free = fs.f_blocks * fs.f_frsize, fs.f_bavail * fs.f_frsize
    except OSError:
        total, free = 0, 0
    time_to_full = free / growth if growth is not None and growth > 0 and total else None
    return DiskSummary(
        tree_bytes=tree_bytes,
        by_top_dir=dict(sorted(by_top.items())),
        fs_total=total,
        fs_free=free,
        growth_bytes_per_s=growth,
        time_to_full_s=time_to_full,
    )


def disk_findings(disk: DiskSummary, config: Config) -> list[Finding]:
    out: list[Finding] = []
    if disk.fs_total <= 0:
        return out
    percent = disk.fs_free * 100.0 / disk.fs_total
    levels = [
        config.threshold("disk_free_percent", ".").level_below(percent),
        config.threshold("disk_free_mb", ".").level_below(disk.fs_free / MB),
    ]
    worst = "critical" if "critical" in levels else ("warning" if "warning" in levels else None)
    if worst is not None:
        out.append(
            Finding(
                "disk",
                Severity(worst),
                ".",
                f"only {disk.fs_free / MB:.0f} MB ({percent:.1f}%) free on the filesystem",
            )
        )
    if disk.time_to_full_s is not None:
        hours = disk.time_to_full_s / 3600
        level = config.threshold("time_to_full_hours", ".").level_below(hours)
        if level is not None:
            rate = (disk.growth_bytes_per_s or 0) * 3600 / MB
            out.append(
                Finding(
                    "disk",
                    Severity(level),
                    ".",
                    f"filesystem full in about {hours:.1f} h at the current growth "
                    f"({rate:.1f} MB/h)",
                )
            )
    return out
