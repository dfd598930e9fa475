"""The health report as Prometheus metrics (``prometheus-client``, optional extra ``metrics``).

Metric families (all gauges, prefix ``botstore_``): ``status`` (0 ok .. 3 unknown),
``findings{code,severity}`` (every code x severity, zeros included),
``portfolio_file_exists``, ``portfolio_file_size_bytes``,
``portfolio_last_modified_timestamp_seconds``, ``performance_snapshots_count``,
``disk_usage_mb``, ``oldest_snapshot_age_days``, ``backup_status{status}`` (1 for the
current one), ``file_age_seconds{path,role}`` / ``file_size_bytes{path,role}`` for the
critical and expected files, ``tree_bytes``, ``fs_free_bytes``, ``fs_size_bytes``,
``time_to_full_seconds`` (only when predicted), ``scan_duration_seconds``,
``last_scan_timestamp_seconds``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Final

from core import layout
from core.findings import CODES, Severity
from core.report import HealthReport

BACKUP_STATUSES: Final = ("ok", "missing", "invalid", "mismatch")
INSTALL_HINT: Final = (
    "prometheus-client is not installed; install the optional extra: "
    "pip install 'botstore[metrics]'  (or: pip install prometheus-client)"
)


class MetricsUnavailable(RuntimeError):
    """prometheus-client is missing."""


def _client() -> Any:
    try:
        import prometheus_client
        from prometheus_client.core import GaugeMetricFamily
    except ImportError as exc:
        raise MetricsUnavailable(INSTALL_HINT) from exc
    return prometheus_client, GaugeMetricFamily


def families(report: HealthReport) -> Iterator[Any]:
    """Prometheus metric families for ``report``."""
    _, gauge = _client()

    def single(name: str, doc: str, value: float) -> Any:
        family = gauge(f"botstore_{name}", doc)
        family.add_metric([], value)
        return family

    yield single(
        "status", "Overall status: 0 ok, 1 warning, 2 critical, 3 unknown", report.status.exit_code
    )
    counts: dict[tuple[str, str], int] = {}
    for finding in report.findings:
        key = (finding.code, finding.severity.value)
        counts[key] = counts.get(key, 0) + 1
    findings = gauge(
        "botstore_findings", "Findings per code and severity", labels=["code", "severity"]
    )
    codes = list(CODES) + sorted({c for c, _ in counts} - set(CODES))
    for code in codes:
        for severity in Severity:
            findings.add_metric([code, severity.value], counts.get((code, severity.value), 0))
    yield findings
    health = report.health
    yield single(
        "portfolio_file_exists",
        "data/portfolio.json exists (1) or not (0)",
        1 if health.get("portfolio_file_exists") else 0,
    )
    yield single(
        "portfolio_file_size_bytes",
        "Size of data/portfolio.json",
        float(health.get("portfolio_file_size") or 0),
    )
    portfolio = next((f for f in report.files if f.path == layout.PORTFOLIO), None)
    if portfolio is not None:
        yield single(
            "portfolio_last_modified_timestamp_seconds",
            "Modification time of data/portfolio.json (Unix seconds)",
            portfolio.mtime,
        )
    yield single(
        "performance_snapshots_count",
        "Number of performance snapshots",
        float(health.get("performance_snapshots_count") or 0),
    )
    yield single("disk_usage_mb", "Size of data/ in MiB", float(health.get("disk_usage_mb") or 0))
    oldest = health.get("oldest_snapshot_age_days")
    if oldest is not None:
        yield single(
            "oldest_snapshot_age_days", "Age of the oldest snapshot in days", float(oldest)
        )
    backup = gauge(
        "botstore_backup_status", "portfolio.json.bak status (1 = current)", labels=["status"]
    )
    current = str(health.get("backup_status"))
    for status in sorted({*BACKUP_STATUSES, current}):
        backup.add_metric([status], 1 if status == current else 0)
    yield backup
    now = time.time()
    ages = gauge(
        "botstore_file_age_seconds",
        "Seconds since a standard file was modified",
        labels=["path", "role"],
    )
    sizes = gauge("botstore_file_size_bytes", "Size of a standard file", labels=["path", "role"])
    for stat in report.files:
        if stat.role is not None:
            ages.add_metric([stat.path, stat.role], max(0.0, now - stat.mtime))
            sizes.add_metric([stat.path, stat.role], stat.size)
    yield ages
    yield sizes
    if report.disk is not None:
        yield single("tree_bytes", "Bytes in regular files below the root", report.disk.tree_bytes)
        yield single("fs_free_bytes", "Free bytes on the root's filesystem", report.disk.fs_free)
        yield single("fs_size_bytes", "Size of the root's filesystem", report.disk.fs_total)
        if report.disk.time_to_full_s is not None:
            yield single(
                "time_to_full_seconds",
                "Predicted seconds until the filesystem is full",
                report.disk.time_to_full_s,
            )
    yield single("scan_duration_seconds", "Duration of the last scan", report.scan_seconds)
    yield single("last_scan_timestamp_seconds", "When the last scan finished (Unix seconds)", now)


class ReportCollector:
    """A prometheus-client collector that produces a fresh report on each scrape."""

    def __init__(self, produce: Callable[[], HealthReport], min_interval: float = 5.0) -> None:
        self._produce = produce
        self._min_interval = min_interval
        self._last: tuple[float, HealthReport] | None = None

    def collect(self) -> Iterator[Any]:
        now = time.monotonic()
        if self._last is None or now - self._last[0] >= self._min_interval:
            self._last = (now, self._produce())
        yield from families(self._last[1])


def render(report: HealthReport) -> bytes:
    """The text exposition format of ``report`` (what ``--textfile`` writes)."""
    client, _ = _client()
    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(lambda: report, min_interval=0))
    data: bytes = client.generate_latest(registry)
    return data


def serve(port: int, produce: Callable[[], HealthReport], addr: str = "0.0.0.0") -> Any:  # noqa: S104
    """Serve ``/metrics`` on ``port``; each scrape (at most every 5 s) scans again."""
    client, _ = _client()
    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(produce))
    return client.start_http_server(port, addr=addr, registry=registry)


__all__ = ["INSTALL_HINT", "MetricsUnavailable", "ReportCollector", "families", "render", "serve"]
