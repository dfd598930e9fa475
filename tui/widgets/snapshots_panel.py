"""Snapshots: count, oldest/newest, frequency vs configuration, retention, value sparkline."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Sparkline, Static

from core.health.report import SnapshotSummary
from core.standard.findings import Finding
from core.standard.frequencies import frequency_seconds
from core.standard.times import parse_timestamp, parse_ts
from core.text.textsafe import escape_controls
from tui.formatting import fmt_age, fmt_duration, severity_badge, worst
from tui.widgets.base import Panel, PanelContext


def summary_text(summary: SnapshotSummary, now: float, findings: list[Finding]) -> Text:
    text = Text()
    severity = worst(findings)
    if severity is not None:
        text.append_text(severity_badge(severity))
        text.append("  ")
        text.append(escape_controls("; ".join(f.message for f in findings[:2])), style="italic")
        text.append("\n")
    oldest, newest = parse_timestamp(summary.oldest), parse_timestamp(summary.newest)
    text.append("count     ", style="dim")
    text.append(f"{summary.count}", style="bold")
    text.append("   gaps ", style="dim")
    text.append(f"{summary.gaps}", style="bold yellow" if summary.gaps else "")
    text.append("\nnewest    ", style="dim")
    text.append(
        f"{escape_controls((summary.newest or '—')[:16])}  "
        f"({fmt_age(None if newest is None else now - newest)} ago)"
    )
    text.append("\noldest    ", style="dim")
    text.append(
        f"{escape_controls((summary.oldest or '—')[:16])}  "
        f"({fmt_age(None if oldest is None else now - oldest)} ago)"
    )
    text.append("\nfrequency ", style="dim")
    configured = summary.frequency or "—"
    median = summary.median_interval_s
    text.append(escape_controls(f"{configured}"))
    if median is not None:
        text.append(f" · median interval {fmt_duration(median)}")
        expected = frequency_seconds(configured)
        if expected and median > expected * 1.5:
            text.append("  (slower than configured)", style="yellow")
    text.append("\nretention ", style="dim")
    text.append(f"{summary.retention_days} d")
    if oldest is not None:
        horizon = oldest + summary.retention_days * 86400.0 - now
        text.append(
            f" · oldest expires in {fmt_duration(horizon)}"
            if horizon > 0
            else " · oldest is past the retention horizon"
        )
    return text


def _axis_label(stamp: str) -> str:
    """``2026-01-15 12:00Z`` from an ISO timestamp (naive = UTC, as the standard says)."""
    moment = parse_ts(stamp)
    if moment is None:
        return escape_controls(stamp[:16])  # not a timestamp: the file's text, shown literally
    return moment.strftime("%m-%d %H:%MZ")


def time_axis(first: str, last: str, width: int) -> Text:
    """The sparkline's time axis: first timestamp left, last right, ticks between."""
    left, right = _axis_label(first), _axis_label(last)
    rule = max(1, width - len(left) - len(right) - 3)
    return Text.assemble(("└", "dim"), left, (" " + "─" * rule + " ", "dim"), right)


class TimeAxis(Widget):
    """The sparkline's time axis, drawn at whatever width layout gave it."""

    DEFAULT_CSS = "TimeAxis { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.span: tuple[str, str] | None = None

    def render(self) -> Text:
        if self.span is None:
            return Text("")
        return time_axis(self.span[0], self.span[1], self.content_size.width)


class SnapshotsPanel(Panel):
    PANEL_ID = "snapshots"
    TITLE = "Snapshots"
    NUMBER = 3

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        with Vertical(classes="body"):
            yield Static("", id="snapshot-summary")
            yield Static("portfolio value", id="spark-label")
            yield Sparkline([], id="snapshot-spark")
            yield TimeAxis(id="spark-axis")

    def on_mount(self) -> None:
        self.can_focus = True

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        findings = tuple(f for f in report.findings if f.path.startswith("data/performance/"))
        return (report.snapshots, findings, ctx.root_problem, int(ctx.now // 30))

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
            return
        summary = report.snapshots
        if summary is None or summary.count == 0:
            self.set_empty(
                "No performance snapshots yet "
                "(data/performance/portfolio_snapshots.json is absent or empty)."
            )
            return
        self.set_empty(None)
        findings = [
            f
            for f in report.findings
            if f.path.startswith("data/performance/") and f.code in {"retention", "gap", "stale"}
        ]
        self.query_one("#snapshot-summary", Static).update(summary_text(summary, ctx.now, findings))
        values = [v for _, v in summary.values]
        spark = self.query_one(Sparkline)
        spark.data = values
        if values:
            self.query_one("#spark-label", Static).update(
                Text.assemble(
                    ("portfolio value EUR  ", "dim"),
                    ("min ", "dim"),
                    f"{min(values):,.0f}",
                    ("  max ", "dim"),
                    f"{max(values):,.0f}",
                    ("  now ", "dim"),
                    (f"{values[-1]:,.2f}", "bold"),
                )
            )
            axis = self.query_one(TimeAxis)
            axis.span = (summary.values[0][0], summary.values[-1][0])
            axis.refresh()
        self.border_subtitle = f"{summary.count} snapshots"
