"""The health report as Prometheus metrics (``prometheus-client``, optional extra ``metrics``).

Base units and timestamps only (ages are computed in PromQL as ``time() - …``, so a
textfile never goes stale between two cron runs). Metric families, prefix ``botstore_``:

* about the scan: ``build_info{version}`` (always 1), ``status`` (0 ok .. 3 unknown),
  ``status_state{status}`` (1 for the current one, a state set), ``scan_error{reason}``
  (1 for the reason the last attempt failed: ``root``, ``config`` or ``scan``),
  ``scan_errors_total`` (failed attempts), ``scan_duration_seconds``,
  ``last_scan_timestamp_seconds`` (when the last attempt ended), ``scan_interval_seconds``
  (how often a scan is expected: alerts use it to detect a stuck exporter);
* about the tree (absent when the attempt failed): ``findings{code,severity}`` (every code x
  severity, zeros included), ``portfolio_file_exists``,
  ``portfolio_last_modified_timestamp_seconds``, ``snapshots``, ``disk_usage_bytes``
  (``data/``), ``oldest_snapshot_timestamp_seconds``, ``backup_status{status}`` (a state
  set), ``file_mtime_seconds{path,role}`` / ``file_size_bytes{path,role}`` for the critical
  and expected files, ``tree_bytes``, ``fs_free_bytes``, ``fs_size_bytes``,
  ``time_to_full_seconds`` (only when predicted), ``cloud_sync_ok`` and
  ``cloud_last_success_timestamp_seconds`` (only once ``botstore sync`` has run).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from core.errors import BotstoreError
from core.health.report import HealthReport
from core.standard import layout
from core.standard.findings import CODES, Severity, Status
from core.standard.times import parse_timestamp
from core.standard.version import __version__

BACKUP_STATUSES: Final = ("ok", "missing", "invalid", "mismatch")
STATUSES: Final = tuple(status.value for status in Status)
#: Why a scan attempt produced no report: no root directory, a bad botstore.toml, a crash.
ERROR_REASONS: Final = ("root", "config", "scan")
INSTALL_HINT: Final = (
    "prometheus-client is not installed; install the optional extra: "
    "pip install 'botstore[metrics]'  (or: pip install prometheus-client)"
)
_ERRORS_LINE: Final = re.compile(rb"^botstore_scan_errors_total(?:\{\})? ([0-9.eE+]+)$", re.M)
_MAX_PREVIOUS: Final = 1 << 20


class MetricsUnavailable(BotstoreError, RuntimeError):
    """prometheus-client is missing."""

    code = "metrics_unavailable"


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """One scan attempt: its report, or the reason there is none (``ERROR_REASONS``)."""

    finished_at: float  # Unix seconds
    report: HealthReport | None
    error: str | None = None
    errors_total: int = 0  # failed attempts so far, this one included
    interval_s: float | None = None  # how often scans are expected (None: unknown)

    @property
    def status(self) -> Status:
        return self.report.status if self.report is not None else Status.UNKNOWN


def _client() -> Any:
    try:
        import prometheus_client
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    except ImportError as exc:
        raise MetricsUnavailable(INSTALL_HINT) from exc
    return prometheus_client, GaugeMetricFamily, CounterMetricFamily


def require_client() -> None:
    """Raise ``MetricsUnavailable`` now rather than at the first scrape."""
    _client()


def _state_set(gauge: Any, name: str, doc: str, *, label: str, states: Any, current: str) -> Any:
    """A state set: one sample per state, 1 for ``current``."""
    family = gauge(f"botstore_{name}", doc, labels=[label])
    for state in sorted({*states, current} - {""}):
        family.add_metric([state], 1 if state == current else 0)
    return family


def families(outcome: ScanOutcome) -> Iterator[Any]:
    """Prometheus metric families for one scan attempt."""
    _, gauge, counter = _client()

    def single(name: str, doc: str, value: float) -> Any:
        family = gauge(f"botstore_{name}", doc)
        family.add_metric([], value)
        return family

    info = gauge("botstore_build_info", "botstore version (always 1)", labels=["version"])
    info.add_metric([__version__], 1)
    yield info
    status = outcome.status
    yield single(
        "status", "Overall status: 0 ok, 1 warning, 2 critical, 3 unknown", status.exit_code
    )
    yield _state_set(
        gauge,
        "status_state",
        "Overall status (1 = current)",
        label="status",
        states=STATUSES,
        current=status.value,
    )
    yield _state_set(
        gauge,
        "scan_error",
        "Why the last scan attempt failed (1 = the reason)",
        label="reason",
        states=ERROR_REASONS,
        current=outcome.error or "",
    )
    errors = counter("botstore_scan_errors", "Scan attempts that produced no report")
    errors.add_metric([], outcome.errors_total)
    yield errors
    yield single(
        "last_scan_timestamp_seconds",
        "When the last scan attempt ended (Unix seconds)",
        outcome.finished_at,
    )
    if outcome.interval_s is not None:
        yield single("scan_interval_seconds", "How often a scan is expected", outcome.interval_s)
    if outcome.report is not None:
        yield from _report_families(outcome.report, gauge, single)


def _report_families(report: HealthReport, gauge: Any, single: Any) -> Iterator[Any]:
    yield single("scan_duration_seconds", "Duration of the last scan", report.scan_seconds)
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
    portfolio = next((f for f in report.files if f.path == layout.PORTFOLIO), None)
    if portfolio is not None:
        yield single(
            "portfolio_last_modified_timestamp_seconds",
            "Modification time of data/portfolio.json (Unix seconds)",
            portfolio.mtime,
        )
    yield single(
        "snapshots",
        "Number of performance snapshots",
        float(health.get("performance_snapshots_count") or 0),
    )
    if report.disk is not None:
        data_bytes = float(report.disk.by_top_dir.get(layout.DATA_DIR, 0))
    else:
        data_bytes = float(health.get("disk_usage_mb") or 0) * 1024 * 1024
    yield single("disk_usage_bytes", "Bytes in regular files below data/", data_bytes)
    oldest = parse_timestamp(report.snapshots.oldest) if report.snapshots is not None else None
    if oldest is not None:
        yield single(
            "oldest_snapshot_timestamp_seconds",
            "Timestamp of the oldest performance snapshot (Unix seconds)",
            oldest,
        )
    yield _state_set(
        gauge,
        "backup_status",
        "portfolio.json.bak status (1 = current)",
        label="status",
        states=BACKUP_STATUSES,
        current=str(health.get("backup_status")),
    )
    mtimes = gauge(
        "botstore_file_mtime_seconds",
        "Modification time of a standard file (Unix seconds)",
        labels=["path", "role"],
    )
    sizes = gauge("botstore_file_size_bytes", "Size of a standard file", labels=["path", "role"])
    for file_stat in report.files:
        if file_stat.role is not None:
            mtimes.add_metric([file_stat.path, file_stat.role], file_stat.mtime)
            sizes.add_metric([file_stat.path, file_stat.role], file_stat.size)
    yield mtimes
    yield sizes
    cloud = report.cloud
    if cloud is not None and cloud.ok is not None:
        yield single(
            "cloud_sync_ok", "The last cloud sync succeeded (1) or failed (0)", 1 if cloud.ok else 0
        )
    success = parse_timestamp(cloud.last_success) if cloud is not None else None
    if success is not None:
        yield single(
            "cloud_last_success_timestamp_seconds",
            "When the last successful cloud sync ended (Unix seconds)",
            success,
        )
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


class _OneOutcome:
    """A collector that yields the families of a fixed outcome."""

    def __init__(self, outcome: ScanOutcome) -> None:
        self._outcome = outcome

    def collect(self) -> Iterator[Any]:
        yield from families(self._outcome)


def render(outcome: ScanOutcome) -> bytes:
    """The text exposition format of ``outcome`` (what ``--textfile`` writes and
    ``--listen`` serves)."""
    client, _, _ = _client()
    registry = client.CollectorRegistry(auto_describe=False)
    registry.register(_OneOutcome(outcome))
    data: bytes = client.generate_latest(registry)
    return data


def previous_errors_total(path: str | os.PathLike[str]) -> int:
    """``botstore_scan_errors_total`` from an earlier textfile at ``path`` (0 when absent or
    unreadable), so the counter stays monotonic across cron runs."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return 0
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return 0
        data = os.read(fd, _MAX_PREVIOUS)
    except OSError:
        return 0
    finally:
        os.close(fd)
    match = _ERRORS_LINE.search(data)
    if match is None:
        return 0
    try:
        return max(0, int(float(match.group(1))))
    except (ValueError, OverflowError):
        return 0


__all__ = [
    "BACKUP_STATUSES",
    "ERROR_REASONS",
    "INSTALL_HINT",
    "STATUSES",
    "MetricsUnavailable",
    "ScanOutcome",
    "families",
    "previous_errors_total",
    "render",
    "require_client",
]
