"""Disk usage: tree size by top directory, filesystem free space, growth and time-to-full."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from core.report import DiskSummary
from tui.formatting import fmt_bytes, fmt_duration, severity_badge, worst
from tui.widgets.base import Panel, PanelContext

BAR_WIDTH = 16


def _bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def disk_text(disk: DiskSummary, findings_text: Text | None) -> Text:
    text = Text()
    if findings_text is not None:
        text.append_text(findings_text)
        text.append("\n")
    used = disk.fs_total - disk.fs_free
    fraction = used / disk.fs_total if disk.fs_total else 0.0
    free_pct = 100.0 * disk.fs_free / disk.fs_total if disk.fs_total else 0.0
    style = "red" if free_pct < 5 else "yellow" if free_pct < 15 else "green"
    text.append("filesystem ", style="dim")
    text.append(_bar(fraction), style=style)
    text.append(f" {fmt_bytes(disk.fs_free)} free ({free_pct:.0f} %)\n")
    text.append("tree       ", style="dim")
    text.append(f"{fmt_bytes(disk.tree_bytes)}", style="bold")
    text.append("   growth ", style="dim")
    if disk.growth_bytes_per_s is None:
        text.append("measuring…", style="dim")
    else:
        text.append(f"{fmt_bytes(disk.growth_bytes_per_s * 3600)}/h")
    text.append("   full in ", style="dim")
    text.append(fmt_duration(disk.time_to_full_s) if disk.time_to_full_s is not None else "—")
    total = max(disk.tree_bytes, 1)
    for name, size in sorted(disk.by_top_dir.items(), key=lambda kv: -kv[1])[:8]:
        label = "(top)" if name in {".", ""} else name
        text.append(f"\n{label[:10]:<10} ", style="dim")
        text.append(_bar(size / total, 12), style="cyan")
        text.append(f" {fmt_bytes(size):>10}")
    return text


class DiskPanel(Panel):
    PANEL_ID = "disk"
    TITLE = "Disk usage"
    NUMBER = 5

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        yield Static("", id="disk-body", classes="body")

    def on_mount(self) -> None:
        self.can_focus = True

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        return (
            report.disk,
            tuple(f for f in report.findings if f.code == "disk"),
            ctx.root_problem,
        )

    def render_context(self, ctx: PanelContext) -> None:
        report = ctx.report
        if report is None:
            self.set_empty("Scanning…")
            return
        if ctx.root_problem:
            self.set_empty(ctx.root_problem)
            return
        if report.disk is None:
            self.set_empty("No disk figures in this scan.")
            return
        self.set_empty(None)
        findings = [f for f in report.findings if f.code == "disk"]
        severity = worst(findings)
        lead = None
        if severity is not None:
            lead = severity_badge(severity)
            lead.append("  " + findings[0].message, style="italic")
        self.query_one("#disk-body", Static).update(disk_text(report.disk, lead))
        self.border_subtitle = fmt_bytes(report.disk.tree_bytes)
