"""Logs: a followed tail of ``logs/supervisor.log`` and the newest daily report, sanitized."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Log, Static

from tui.literal import literal
from tui.messages import LogChunk
from tui.widgets.base import Panel, PanelContext


class LogsPanel(Panel):
    PANEL_ID = "logs"
    TITLE = "Logs"
    NUMBER = 7

    def __init__(self) -> None:
        super().__init__()
        self.lines_seen = 0
        self.log_missing = False
        self._root_problem: str | None = None

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        yield Static("supervisor.log", id="log-title", classes="log-title")
        yield Log(id="supervisor-log", max_lines=1000, auto_scroll=True, highlight=False)
        yield Static("daily report", id="report-title", classes="log-title")
        yield Static("", id="daily-report")

    def focus_target(self) -> Widget:
        return self.query_one("#supervisor-log", Log)

    def render_context(self, ctx: PanelContext) -> None:
        self._root_problem = ctx.root_problem
        self._update_empty()

    def _update_empty(self) -> None:
        if self._root_problem:
            self.set_empty(self._root_problem)
        elif self.log_missing:
            self.set_empty(
                "logs/supervisor.log is absent: nothing to follow yet "
                "(it is watched and will show up here as soon as the bot writes it)."
            )
        else:
            self.set_empty(None)

    def append_logs(self, supervisor: LogChunk, report: LogChunk) -> None:
        log = self.query_one("#supervisor-log", Log)
        if supervisor.reset:
            log.clear()
        self.log_missing = supervisor.missing
        self._update_empty()
        if supervisor.lines:
            log.write_lines(supervisor.lines)
        self.lines_seen += len(supervisor.lines)
        if report.reset:
            title = self.query_one("#report-title", Static)
            body = self.query_one("#daily-report", Static)
            if report.missing:
                title.update(Text("daily report", style="dim"))
                body.update(Text("No logs/daily_report_*.txt yet.", style="dim"))
            else:
                title.update(literal(report.path, style="bold"))
                body.update(Text("\n".join(report.lines)))
