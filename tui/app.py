"""The botstore live monitor: ``botstore`` / ``botstore tui --root DIR`` / ``botstore demo --live``.

:class:`BotstoreApp` is three layers, each a module: the state, its workers and
the drawing (:mod:`tui.app_state`); what the threads' messages do
(:mod:`tui.app_threads`); and here, what the user and the screens ask for: the
key bindings and their actions, and the :class:`tui.driver.Driver` the screens
and the command palette use (they never import this module). Layout lives in
:mod:`tui.screens.dashboard`, drawing in the panels (:mod:`tui.widgets`).
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from core.actions.catalog import Fix
from core.text.sanitize import sanitize_text
from tui.app_threads import ThreadMessages
from tui.commands import BotstoreCommands
from tui.driver import Driver
from tui.messages import OpenDetail
from tui.screens.action_flow import offer_actions, recovery_actions, run_fix
from tui.screens.confirm_action import ConfirmActionScreen
from tui.screens.dashboard import PANEL_CLASSES, DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.filter import FilterScreen
from tui.screens.help import GroupRows, HelpScreen, binding_help
from tui.widgets.base import Panel, PanelAction
from tui.widgets.logs_panel import LogsPanel

#: ``j``/``k``/``g``/``G`` -> the focused widget's own actions, first one it has.
_VIM_ACTIONS: Final = {
    "down": ("cursor_down", "scroll_down"),
    "up": ("cursor_up", "scroll_up"),
    "home": ("scroll_top", "scroll_home"),
    "end": ("scroll_bottom", "scroll_end"),
}
TICK: Final = 1.0  # header ages
CSS_FILES: Final = [
    "app.tcss",
    "widgets/panels.tcss",
    "widgets/header.tcss",
    "widgets/health_panel.tcss",
    "widgets/snapshots_panel.tcss",
    "widgets/logs_panel.tcss",
    "screens/screens.tcss",
]


class BotstoreApp(ThreadMessages):
    """The dashboard: keys, actions, and the :class:`Driver` of its screens and commands."""

    TITLE = "botstore"
    CSS_PATH: ClassVar[list[str | PurePath]] = [*CSS_FILES]
    COMMANDS: ClassVar = App.COMMANDS | {BotstoreCommands}
    COMMAND_PALETTE_BINDING = "ctrl+p"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
        Binding("question_mark", "help", "Help"),
        Binding("slash", "filter", "Filter"),
        Binding("colon", "command_palette", "Cmds", key_display=":"),
        Binding("ctrl+p", "command_palette", "Cmds", show=False, priority=True),
        Binding("r", "rescan", "Rescan"),
        Binding("a", "fix", "Fix"),  # tui.screens.confirm_action
        Binding("A", "recover", "Actions", key_display="A"),
        Binding("c", "copy_path", "Copy path", show=False),
        Binding("j", "vim('down')", "Down", show=False),
        Binding("k", "vim('up')", "Up", show=False),
        Binding("g", "vim('home')", "Top", show=False),
        Binding("G", "vim('end')", "Bottom", key_display="G", show=False),
        Binding("tab", "next_panel", "Next panel", priority=True, show=False),
        Binding("shift+tab", "prev_panel", "Previous panel", priority=True, show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        *[
            Binding(
                str(cls.NUMBER), f"show_panel('{cls.PANEL_ID}')", f"Panel: {cls.TITLE}", show=False
            )
            for cls in PANEL_CLASSES
        ],
    ]
    _DASHBOARD_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"next_panel", "prev_panel", "clear_filter", "show_panel", "filter", "help"}
    )

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(self.root_label, self.host, show_timings=self.show_timings)

    def on_ready(self) -> None:
        """The dashboard is composed: draw the empty state, then start the threads."""
        self.dashboard.show_panel("health")
        self.call_after_refresh(self._ensure_focus)
        self._render_all()
        self.scans.full("initial")
        self.tail_logs()
        if self.watch_enabled:
            self.start_watcher()
        self.set_interval(TICK, self._tick)
        if self.refresh_interval:
            self.set_interval(self.refresh_interval, self._periodic)

    def on_unmount(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    # ------------------------------------------------------------------ timers, UI messages

    def on_open_detail(self, message: OpenDetail) -> None:
        self.open_detail(message.path)

    def on_filter_screen_changed(self, message: FilterScreen.Changed) -> None:
        self.set_filter(message.text)

    def _tick(self) -> None:
        self._render_header()

    def _periodic(self) -> None:
        """Time-based checks (ages) move without events; without a watcher this is the refresh."""
        if self.watch_state.mode in {"unavailable", "off"}:
            self.scans.full("periodic")
        else:
            self.scans.tick("periodic")
        self.tail_logs()

    # ------------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        return not (action in self._DASHBOARD_ONLY and self.screen is not self.dashboard)

    def action_vim(self, where: str) -> None:
        """``j``/``k``/``g``/``G``: the focused list's cursor (or view) down/up/top/bottom."""
        widget = self.focused
        if widget is None:
            return
        names = _VIM_ACTIONS[where]
        for name in names:
            method = getattr(widget, f"action_{name}", None)
            if method is not None:
                method()
                return

    def action_interrupt(self) -> None:
        """Ctrl+C quits; while an action is applying, only after a second Ctrl+C."""
        if self.action_running() and not self._quit_armed:
            self._quit_armed = True
            self.notify(
                "an action is being applied: Ctrl+C again to quit anyway",
                severity="warning",
                timeout=5,
            )
            return
        self.exit(0)

    def action_running(self) -> bool:
        return any(isinstance(s, ConfirmActionScreen) and s.busy for s in self.screen_stack)

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_help(), self.read_only))

    def action_filter(self) -> None:
        def done(result: str | None) -> None:
            self.set_filter(result or "")

        self.push_screen(FilterScreen(self.filter_text), done)

    def action_clear_filter(self) -> None:
        self.set_filter("")

    def action_next_panel(self) -> None:
        self.dashboard.step_panel(1)

    def action_prev_panel(self) -> None:
        self.dashboard.step_panel(-1)

    def action_show_panel(self, panel_id: str) -> None:
        if self.screen is not self.dashboard:
            self.pop_screen()
        self.dashboard.show_panel(panel_id)

    def open_detail(self, path: str) -> None:
        if path in {".", ""}:
            return
        self.push_screen(DetailScreen(path))

    # ------------------------------------------------ the Driver: what screens ask for

    def actions_for(self, path: str) -> list[PanelAction]:
        """Actions offered on ``path`` by the panels; destructive ones vanish when read-only."""
        actions = [a for panel in self.dashboard.query(Panel) for a in panel.actions_for(path)]
        actions += recovery_actions(self, path)
        return [a for a in actions if not (self.read_only and a.destructive)]

    def run_fix(self, fix: Fix) -> None:
        """Preview ``fix`` (the palette's fix commands), or show the log it points at."""
        run_fix(self, fix)

    def action_recover(self) -> None:
        """``A``: every action for the selection (fitting ones first), previewed, confirmed."""
        offer_actions(self)

    def action_fix(self) -> None:
        """``a``: the preview of the selected finding's best fix (``o`` there: the others)."""
        offer_actions(self, best=True)

    def action_copy_path(self) -> None:
        """``c``: the selected file's root-relative path to the clipboard (OSC 52)."""
        screen = self.screen
        path = (
            screen.path
            if isinstance(screen, DetailScreen)
            else (
                self.dashboard.active_panel().selected_path() if screen is self.dashboard else None
            )
        )
        if not path:
            return
        self.copy_to_clipboard(path)
        self.notify(sanitize_text(f"copied {path}"), timeout=3, markup=False)

    def show_log(self, path: str) -> None:
        """Switch to the Logs panel showing ``path`` (a log under ``logs/``)."""
        if self.screen is not self.dashboard:
            self.pop_screen()
        self.dashboard.show_panel("logs")
        self.dashboard.query_one(LogsPanel).select_log(path)

    def follow_log(self, rel: str) -> None:
        """Tail ``rel`` from now on (the Logs panel's pick) and read it now."""
        self.tailer.follow(rel)
        self.tail_logs()

    def panel_titles(self) -> list[tuple[str, str]]:
        return [(cls.PANEL_ID, cls.TITLE) for cls in PANEL_CLASSES]

    def binding_help(self) -> list[GroupRows]:
        """The keys by context, for the help screen (:func:`tui.screens.help.binding_help`)."""
        return binding_help(self, self.dashboard, self._DASHBOARD_ONLY)


if TYPE_CHECKING:  # mypy: the app is the Driver its screens and commands are written against
    _IS_A_DRIVER: type[Driver] = BotstoreApp


def run(root: Path | str, config: str | None = None, read_only: bool = False, **kwargs: Any) -> int:
    """Run the monitor until the user quits; returns the process exit code."""
    kwargs.setdefault("tune_gc", True)
    app = BotstoreApp(root, config, read_only=read_only, **kwargs)
    result = app.run()
    return int(result or 0)


__all__ = ["BotstoreApp", "run"]
