"""Logs: a followed, level-coloured, filterable tail of one log, and the newest daily report.

``f`` pauses/resumes following, ``l`` picks another log under ``logs/`` (rotated
ones and the audit log included), ``/`` (the app's filter) narrows the lines,
``Enter`` opens the file in ``$PAGER`` at its end. Lines arrive sanitized and are
shown as literal :class:`rich.text.Text`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections import deque
from pathlib import Path
from typing import ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import OptionList, RichLog, Static
from textual.widgets.option_list import Option

from core.standard import layout
from tui.literal import literal
from tui.logtail import LogChunk
from tui.widgets.base import Panel, PanelContext, PanelHost, host_of, matches

MAX_LINES: Final = 1000
#: Level word -> style; the first match in a line wins (most severe first).
LEVEL_STYLES: Final = (
    (re.compile(r"\b(CRITICAL|FATAL)\b"), "bold reverse red"),
    (re.compile(r"\bERROR\b"), "bold red"),
    (re.compile(r"\bWARN(ING)?\b"), "yellow"),
    (re.compile(r"\bDEBUG\b"), "dim"),
)


def level_style(line: str) -> str:
    """The style of a log line by its level word (``""`` for INFO and unknown)."""
    for pattern, style in LEVEL_STYLES:
        if pattern.search(line):
            return style
    return ""


def styled_line(line: str) -> Text:
    return Text(line, style=level_style(line), no_wrap=True, overflow="ellipsis")


def pager_command(path: Path, pager: str | None = None) -> list[str]:
    """``$PAGER`` (default ``less``) on ``path``, opened at its end (``+G`` for less)."""
    words = shlex.split(pager if pager is not None else os.environ.get("PAGER") or "less")
    if not words:
        words = ["less"]
    if Path(words[0]).name == "less":
        words += ["-R", "+G"] if "-R" not in words else ["+G"]
    return [*words, str(path)]


class LogView(RichLog):
    """The tail; Enter opens the file in the pager."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "toggle_follow", "Follow"),
        Binding("l", "pick_log", "Pick log"),
        Binding("enter", "pager", "Pager"),
    ]

    def action_toggle_follow(self) -> None:
        self.query_ancestor(LogsPanel).toggle_follow()

    def action_pick_log(self) -> None:
        self.query_ancestor(LogsPanel).pick_log()

    def action_pager(self) -> None:
        self.query_ancestor(LogsPanel).open_pager()


class LogPicker(ModalScreen[str | None]):
    """Every log under ``logs/``; Enter follows the chosen one."""

    DEFAULT_CSS = """
    LogPicker { align: center middle; }
    LogPicker > Vertical { width: 60; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1; }
    LogPicker OptionList { height: auto; max-height: 20; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, logs: list[str], current: str) -> None:
        super().__init__()
        self.logs = logs
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Follow which log?", style="bold"))
            options = [Option(literal(rel), id=rel) for rel in self.logs]
            yield OptionList(*options, id="log-choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.logs:
            options.highlighted = self.logs.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LogsPanel(Panel):
    PANEL_ID = "logs"
    TITLE = "Logs"
    NUMBER = 7

    def __init__(self) -> None:
        super().__init__()
        self.lines_seen = 0
        self.log_missing = False
        self.log_path = layout.SUPERVISOR_LOG
        self.follow = True
        self.filter = ""
        self.lines: deque[str] = deque(maxlen=MAX_LINES)
        self._root_problem: str | None = None

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        yield Static("", id="log-title", classes="log-title")
        yield LogView(id="supervisor-log", max_lines=MAX_LINES, auto_scroll=True, wrap=False)
        yield Static("daily report", id="report-title", classes="log-title")
        yield Static("", id="daily-report")

    def on_mount(self) -> None:
        self._title()

    @property
    def host(self) -> PanelHost:
        return host_of(self.app)

    def focus_target(self) -> Widget:
        return self.query_one(LogView)

    def shown_lines(self) -> list[str]:
        """The buffered lines the filter lets through (what the view shows)."""
        return [line for line in self.lines if matches(self.filter, line)]

    def _title(self) -> None:
        text = literal(self.log_path, style="bold")
        text.append(
            "  follow " + ("on" if self.follow else "PAUSED"),
            style="green" if self.follow else "bold yellow",
        )
        if self.filter:
            text.append(f"  /{self.filter}", style="bold")
            text.append(f" {len(self.shown_lines())}/{len(self.lines)} lines", style="dim")
        text.append("  f follow · l pick · ⏎ pager", style="dim")
        self.query_one("#log-title", Static).update(text)

    def _redraw(self) -> None:
        view = self.query_one(LogView)
        view.clear()
        for line in self.shown_lines():
            view.write(styled_line(line), scroll_end=self.follow)
        self._title()

    def render_context(self, ctx: PanelContext) -> None:
        self._root_problem = ctx.root_problem
        self._update_empty()
        if ctx.filter != self.filter:
            self.filter = ctx.filter
            self._redraw()

    def signature(self, ctx: PanelContext) -> object:
        return (ctx.root_problem, ctx.filter)

    def _update_empty(self) -> None:
        if self._root_problem:
            self.set_empty(self._root_problem)
        elif self.log_missing:
            self.set_empty(
                f"{self.log_path} is absent: nothing to follow yet "
                "(it is watched and will show up here as soon as the bot writes it; "
                "l picks another log)."
            )
        else:
            self.set_empty(None)

    def toggle_follow(self) -> None:
        self.follow = not self.follow
        view = self.query_one(LogView)
        view.auto_scroll = self.follow
        if self.follow:
            view.scroll_end(animate=False)
        self._title()

    def select_log(self, rel: str) -> None:
        """Follow ``rel`` (root-relative) instead of the current log."""
        if rel == self.log_path:
            return
        self.log_path = rel
        self.lines.clear()
        self.query_one(LogView).clear()
        self._title()
        self.host.follow_log(rel)

    def pick_log(self) -> None:
        from tui.logtail import list_logs

        logs = list_logs(self.host.root)
        if self.log_path not in logs:
            logs.insert(0, self.log_path)

        def chosen(rel: str | None) -> None:
            if rel:
                self.select_log(rel)

        self.app.push_screen(LogPicker(logs, self.log_path), chosen)

    def open_pager(self) -> None:
        """The log in ``$PAGER`` at its end; the TUI is suspended meanwhile."""
        import subprocess

        from textual.app import SuspendNotSupported

        command = pager_command(self.host.root / self.log_path)
        try:
            with self.app.suspend():
                subprocess.run(command, check=False)
        except SuspendNotSupported:
            self.notify(
                f"cannot suspend here; run: {shlex.join(command)}", severity="warning", markup=False
            )
        except OSError as exc:
            self.notify(
                f"cannot run {command[0]}: {exc.strerror or exc}", severity="error", markup=False
            )

    def append_logs(self, supervisor: LogChunk, report: LogChunk) -> None:
        if supervisor.path != self.log_path:
            return  # a chunk of the log followed before the last pick
        view = self.query_one(LogView)
        if supervisor.reset:
            view.clear()
            self.lines.clear()
        self.log_missing = supervisor.missing
        self._update_empty()
        for line in supervisor.lines:
            self.lines.append(line)
            if matches(self.filter, line):
                view.write(styled_line(line), scroll_end=self.follow)
        self.lines_seen += len(supervisor.lines)
        self._title()
        if report.reset:
            title = self.query_one("#report-title", Static)
            body = self.query_one("#daily-report", Static)
            if report.missing:
                title.update(Text("daily report", style="dim"))
                body.update(Text("No logs/daily_report_*.txt yet.", style="dim"))
            else:
                title.update(literal(report.path, style="bold"))
                body.update(Text("\n".join(report.lines)))
