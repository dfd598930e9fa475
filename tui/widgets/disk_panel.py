"""Disk & backups: tree size by top directory, filesystem headroom, growth, the last cloud sync."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from core.report import CloudBackup, DiskSummary
from core.sanitize import sanitize_text
from core.textsafe import escape_controls
from tui.formatting import (
    CloudView,
    cloud_view,
    fmt_bytes,
    fmt_duration,
    fmt_utc,
    severity_badge,
    worst,
)
from tui.widgets.base import Panel, PanelContext

BAR_WIDTH = 16
MAX_DIRS = 8
ERROR_MAX = 240  # characters of the last sync error shown (the status file keeps it whole)
#: Shown, dim, when the tree has no ``[cloud]`` table.
CLOUD_HINT = 'off — set [cloud] bucket = "…" in botstore.toml, run botstore sync'


def _bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def disk_text(disk: DiskSummary, findings_text: Text | None, max_dirs: int = MAX_DIRS) -> Text:
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
    for name, size in sorted(disk.by_top_dir.items(), key=lambda kv: -kv[1])[:max_dirs]:
        label = "(top)" if name in {".", ""} else escape_controls(name)  # a name from the tree
        text.append(f"\n{label[:10]:<10} ", style="dim")
        text.append(_bar(size / total, 12), style="cyan")
        text.append(f" {fmt_bytes(size):>10}")
    return text


def cloud_text(cloud: CloudBackup | None, view: CloudView | None) -> Text:
    """The backups block: bucket, last success with lag, last attempt and result, the error."""
    text = Text()
    if cloud is None or view is None:
        text.append("cloud      ", style="dim")
        text.append(CLOUD_HINT, style="dim italic")
        return text
    text.append("cloud      ", style="dim")
    text.append(escape_controls(sanitize_text(cloud.bucket or "(no bucket)")), style="bold")
    text.append("\nlast ok    ", style="dim")
    text.append(fmt_utc(cloud.last_success))
    if view.age is not None:
        text.append(" · lag ", style="dim")
        text.append(view.age, style="bold yellow" if view.late else "")
        if view.late:
            text.append(" ! late", style="bold yellow")
    text.append("\nattempt    ", style="dim")
    text.append(fmt_utc(cloud.last_attempt))
    text.append("  ")
    if cloud.ok is True:
        text.append("✔ ok", style="green")
    elif cloud.ok is False:
        text.append("✖ failed", style="bold red")
    elif cloud.last_attempt is None:
        text.append("— not run yet (botstore sync)", style="yellow")
    else:
        text.append("? unknown", style="yellow")
    if cloud.ok is False:
        text.append("\nerror      ", style="dim")
        # already sanitized by the scan (sanitize_text is not idempotent: no second pass)
        error = escape_controls(" ".join((cloud.error or "unknown error").split()))
        if len(error) > ERROR_MAX:
            error = error[: ERROR_MAX - 1] + "…"
        text.append(error, style="red")
    return text


class DiskPanel(Panel):
    PANEL_ID = "disk"
    TITLE = "Disk & backups"
    NUMBER = 5
    _last: PanelContext | None = None  # redrawn on resize: the directory rows follow the height

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        yield Static("", id="disk-body", classes="body")

    def on_mount(self) -> None:
        self.can_focus = True

    def on_resize(self, event: events.Resize) -> None:
        del event
        if self._last is not None:
            self.refresh_from(self._last)

    def _dir_rows(self, disk: Text, cloud: Text) -> int:
        """Directory rows that fit between the figures and the backups block."""
        size = self.content_size
        width: int = size.width
        height: int = size.height
        if width <= 0 or height <= 0:
            return MAX_DIRS
        console = self.app.console  # word wrap, as the Static will draw it
        rows = len(disk.wrap(console, width)) + len(cloud.wrap(console, width))
        return max(0, min(MAX_DIRS, height - rows - 1))  # 1: the blank line between them

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        view = cloud_view(report, ctx.now)
        return (
            report.disk,
            tuple(f for f in report.findings if f.code == "disk"),
            report.cloud,
            view,
            ctx.root_problem,
            self.content_size,
        )

    def refresh_from(self, ctx: PanelContext, *, force: bool = False) -> None:
        self._last = ctx
        super().refresh_from(ctx, force=force)

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
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
        cloud = cloud_text(report.cloud, cloud_view(report, ctx.now))
        figures = disk_text(report.disk, lead, max_dirs=0)
        body = disk_text(report.disk, lead, self._dir_rows(figures, cloud))
        body.append("\n\n")
        body.append_text(cloud)
        self.query_one("#disk-body", Static).update(body)
        self.border_subtitle = fmt_bytes(report.disk.tree_bytes)
