"""Small pure helpers shared by the panels: ages, sizes, modes and severity badges.

Severity is always shown by colour *and* by a symbol and a word, so the screen
stays readable on a monochrome SSH terminal and for colour-blind operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from rich.text import Text

from core.cloud.sync import STATUS_FILE as CLOUD_STATUS_FILE
from core.health.report import CloudBackup, HealthReport
from core.standard.findings import Finding, Severity, Status
from core.standard.times import parse_timestamp
from core.standard.units import format_age, format_duration, format_size
from core.text.sanitize import sanitize_text

SEVERITY_STYLE: Final[dict[Severity, str]] = {
    Severity.INFO: "bold cyan",
    Severity.WARNING: "bold yellow",
    Severity.CRITICAL: "bold red",
}
SEVERITY_WORD: Final[dict[Severity, str]] = {
    Severity.INFO: "INFO",
    Severity.WARNING: "WARN",
    Severity.CRITICAL: "CRIT",
}
STATUS_STYLE: Final[dict[Status, str]] = {
    Status.OK: "bold black on green",
    Status.WARNING: "bold black on yellow",
    Status.CRITICAL: "bold white on red",
    Status.UNKNOWN: "bold white on grey37",
}
STATUS_SYMBOL: Final[dict[Status, str]] = {
    Status.OK: "✔",
    Status.WARNING: "!",
    Status.CRITICAL: "✖",
    Status.UNKNOWN: "?",
}
OK_BADGE: Final = ("✔ ok", "green")


def severity_badge(severity: Severity) -> Text:
    """``✖ CRIT`` in red, ``! WARN`` in yellow, ``i INFO`` in cyan."""
    return Text(f"{severity.symbol} {SEVERITY_WORD[severity]}", style=SEVERITY_STYLE[severity])


def ok_badge() -> Text:
    return Text(OK_BADGE[0], style=OK_BADGE[1])


def status_badge(status: Status) -> Text:
    """The header's overall status, e.g. `` ✖ CRITICAL ``."""
    return Text(f" {STATUS_SYMBOL[status]} {status.value.upper()} ", style=STATUS_STYLE[status])


def worst(findings: list[Finding]) -> Severity | None:
    """The most severe finding's severity, or None for no findings."""
    if not findings:
        return None
    return max((f.severity for f in findings), key=lambda s: s.rank)


def fmt_age(seconds: float | None) -> str:
    """A compact age (``12s``, ``5m``, ``3.0h``, ``2d``: ``format_age``), ``—`` when unknown."""
    return "—" if seconds is None else format_age(seconds)


def fmt_bytes(size: float | None) -> str:
    """``512 B``, ``4.0 KiB``, ``12.3 MiB``... (``format_size``), ``—`` when unknown."""
    return "—" if size is None else format_size(size)


def fmt_delta(delta: int | None) -> Text:
    """A signed size change; shrinking files stand out (truncation is the classic corruption)."""
    if delta is None:
        return Text("—", style="dim")
    if delta == 0:
        return Text("±0", style="dim")
    if delta < 0:
        return Text(f"-{fmt_bytes(-delta)}", style="bold")  # not a severity colour
    return Text(f"+{fmt_bytes(delta)}")


def fmt_mode(mode: int | None) -> str:
    return "—" if mode is None else f"{mode & 0o7777:03o}"


def fmt_value(value: object) -> str:
    """A health figure as text (bools as yes/no, floats trimmed)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def fmt_duration(seconds: float | None) -> str:
    """``3d 4h``-style durations (``format_duration``) for time-to-full and retention horizons."""
    return "—" if seconds is None else format_duration(seconds)


# --------------------------------------------------------------------------- cloud backup


@dataclass(frozen=True, slots=True)
class CloudView:
    """The last cloud sync as the header and the disk panel show it (symbol + word + colour)."""

    symbol: str  # ✔ ok, ! late, ✖ failed, — never, ? unknown
    word: str
    style: str
    age: str | None  # since the last successful sync, e.g. "12m"; None: never succeeded
    late: bool  # the scan's ``stale`` finding: older than the configured limit

    def segment(self) -> str:
        """``cloud ✔ 12m ago``, ``cloud ! late 2d``, ``cloud ✖ failed 3.0h``, ``cloud — never``."""
        if self.word == "ok":
            return f"cloud {self.symbol} {self.age} ago"
        if self.age is None or self.word == "never":
            return f"cloud {self.symbol} {self.word}"
        return f"cloud {self.symbol} {self.word} {self.age}"


def fmt_utc(value: str | None) -> str:
    """``2026-01-15 11:48 UTC`` (``never`` when absent; garbled values shown sanitized as-is)."""
    epoch = parse_timestamp(value)
    if epoch is None:
        return "never" if not value else sanitize_text(value)[:32]
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def cloud_lag(cloud: CloudBackup, now: float) -> float | None:
    """Seconds since the last successful sync, at ``now`` (ticks between scans)."""
    success = parse_timestamp(cloud.last_success)
    if success is None:
        return cloud.lag_s
    return max(0.0, now - success)


def cloud_view(report: HealthReport, now: float) -> CloudView | None:
    """How to show ``report.cloud``; None when cloud backup is not configured."""
    cloud = report.cloud
    if cloud is None:
        return None
    lag = cloud_lag(cloud, now)
    age = None if lag is None else fmt_age(lag)
    late = any(f.code == "stale" and f.path == CLOUD_STATUS_FILE for f in report.findings)
    if cloud.ok is False:
        return CloudView("✖", "failed", "bold red", age, late)
    if lag is None:
        return CloudView("—", "never", "yellow", None, late)
    if cloud.ok is None:
        return CloudView("?", "unknown", "yellow", age, late)
    if late:
        return CloudView("!", "late", "bold yellow", age, late)
    return CloudView("✔", "ok", "green", age, late)
