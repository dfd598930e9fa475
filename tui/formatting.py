"""Small pure helpers shared by the panels: ages, sizes, modes and severity badges.

Severity is always shown by colour *and* by a symbol and a word, so the screen
stays readable on a monochrome SSH terminal and for colour-blind operators.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text

from core.findings import Finding, Severity, Status

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
    """A compact age: ``12s``, ``5m``, ``3h``, ``2d``, ``—`` when unknown."""
    if seconds is None:
        return "—"
    if seconds < 0:
        return "future"
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        hours = seconds / 3600
        return f"{hours:.0f}h" if hours >= 10 else f"{hours:.1f}h"
    return f"{seconds / 86400:.0f}d"


def fmt_bytes(size: float | None) -> str:
    """``512 B``, ``4.0 KiB``, ``12.3 MiB``..."""
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"  # pragma: no cover - unreachable


def fmt_delta(delta: int | None) -> Text:
    """A signed size change; shrinking files stand out (truncation is the classic corruption)."""
    if delta is None:
        return Text("—", style="dim")
    if delta == 0:
        return Text("±0", style="dim")
    if delta < 0:
        return Text(f"-{fmt_bytes(-delta)}", style="bold magenta")
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
    """``3d 4h``-style durations for time-to-full and retention horizons."""
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
