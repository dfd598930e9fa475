"""The botstore live monitor: ``botstore`` / ``botstore tui --root DIR`` / ``botstore demo --live``.

The app owns the state (latest report, watcher state, filter) and the
workers; layout lives in :mod:`tui.screens.dashboard`, drawing in the panels
(:mod:`tui.widgets`), thread-side work in :mod:`tui.engine`, :mod:`tui.logtail`
and :mod:`tui.detail_model`. Threads talk to the UI only through the typed
messages of :mod:`tui.messages`.
"""

from __future__ import annotations

import gc
import importlib
import socket
import time
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Final

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from core.actions.catalog import Fix
from core.health.report import HealthReport
from core.standard import layout
from core.text.sanitize import sanitize_text
from core.text.textsafe import escape_controls
from tui.commands import BotstoreCommands
from tui.detail_model import load_detail
from tui.driver import Driver
from tui.engine import Engine, is_own_noise
from tui.logtail import LogTailer
from tui.messages import (
    DetailLoaded,
    FilesChanged,
    LogsTailed,
    OpenDetail,
    ReportReady,
    WatcherRescan,
    WatcherStarted,
    WatcherUnavailable,
)
from tui.palette import THEME_16, terminal_colors, theme_for
from tui.scheduler import ScanScheduler
from tui.screens.action_flow import offer_actions, recovery_actions, run_fix
from tui.screens.dashboard import PANEL_CLASSES, DashboardScreen
from tui.screens.detail import DetailScreen
from tui.screens.filter import FilterScreen
from tui.screens.help import GroupRows, HelpScreen, collect_bindings, group_rows
from tui.widgets.base import Panel, PanelAction, PanelContext
from tui.widgets.header import StatusHeader, WatchState
from tui.widgets.logs_panel import LogsPanel

_HIDDEN_ACTIONS: Final = frozenset(
    {"help_quit", "focus_next", "focus_previous", "copy_text", "select_cursor"}
)
#: ``j``/``k``/``g``/``G`` -> the focused widget's own actions, first one it has.
_VIM_ACTIONS: Final = {
    "down": ("cursor_down", "scroll_down"),
    "up": ("cursor_up", "scroll_up"),
    "home": ("scroll_top", "scroll_home"),
    "end": ("scroll_bottom", "scroll_end"),
}
TICK: Final = 1.0  # header ages
GC_THRESHOLDS: Final = (5_000, 5, 100)  # measured with bench/tui_latency.py
WATCH_DEBOUNCE: Final = 0.005  # the watcher's own burst window; the app coalesces per frame too
CSS_FILES: Final = [
    "app.tcss",
    "widgets/panels.tcss",
    "widgets/header.tcss",
    "widgets/health_panel.tcss",
    "widgets/snapshots_panel.tcss",
    "widgets/logs_panel.tcss",
    "screens/screens.tcss",
]


def freeze_gc() -> None:
    """Move start-up objects (caches, first scan, first frame) out of the collector's way.

    A full collection over Textual's strip caches plus the scanner's state costs
    100+ ms; frozen, they are no longer traversed, and a higher gen-0 threshold
    makes the collections that remain rarer (see bench/tui_latency.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def display_root(root: Path) -> str:
    """``~/bot`` rather than ``/home/me/bot``."""
    try:
        return "~/" + str(root.resolve().relative_to(Path.home()))
    except (ValueError, RuntimeError, OSError):
        return str(root)


class BotstoreApp(App[int]):
    """The dashboard. ``clock``, ``host`` and ``root_label`` are injectable for stable snapshots."""

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

    def __init__(
        self,
        root: Path | str,
        config: str | None = None,
        *,
        read_only: bool = False,
        clock: Callable[[], float] = time.time,
        host: str | None = None,
        root_label: str | None = None,
        watch: bool = True,
        refresh_interval: float | None = 30.0,
        show_timings: bool = True,
        report_hook: Callable[[HealthReport], HealthReport] | None = None,
        tune_gc: bool = False,
        animate: bool = True,
        colors: int | None = None,
    ) -> None:
        super().__init__()
        # <= 16 colours (TERM=linux...): the palette whose colours map 1:1 (tui.palette)
        detected = terminal_colors(self.console.color_system)
        self.terminal_colors = detected if colors is None else colors
        theme = theme_for(self.terminal_colors)
        if theme is not None:
            self.register_theme(THEME_16)
            self.theme = theme
        if not animate:  # snapshots: no tab-underline animation caught mid-flight
            self.animation_level = "none"
        self.root = Path(root)
        self.config_path = config
        self.read_only = read_only
        self.clock = clock
        self.host = host or socket.gethostname()
        self.root_label = root_label or display_root(self.root)
        self.watch_enabled = watch
        self.refresh_interval = refresh_interval
        self.show_timings = show_timings
        self.report_hook = report_hook  # tests/screenshots pin machine-dependent figures (disk)
        self.tune_gc = tune_gc
        self.engine = Engine(self.root, config, clock)
        self.tailer = LogTailer(self.root)
        self.report: HealthReport | None = None
        self.previous: HealthReport | None = None
        self.root_problem: str | None = None
        self.scanned_at: float | None = None
        self.scan_seconds: float | None = None
        self.scan_error: str | None = None
        self.filter_text = ""
        self.watch_state = WatchState(mode="starting" if watch else "off")
        self.watcher: Any = None
        self.updates = 0  # reports applied (tests/bench)
        self.scans = ScanScheduler(self._launch_scan, self._later)
        self._quit_armed = False

    # ------------------------------------------------------------------ lifecycle

    def get_default_screen(self) -> Screen[Any]:
        return DashboardScreen(self.root_label, self.host, show_timings=self.show_timings)

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.screen_stack[0]
        if not isinstance(screen, DashboardScreen):  # pragma: no cover - composed in __init__
            raise TypeError("the bottom screen is not the dashboard")
        return screen

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

    # ------------------------------------------------------------------ workers (threads)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def run_scan(self, reason: str, changed: frozenset[str] | None) -> None:
        started = time.perf_counter()
        report = self.engine.full_scan() if changed is None else self.engine.update(set(changed))
        if self.report_hook is not None:
            report = self.report_hook(report)
        self.post_message(
            ReportReady(
                report,
                reason=reason,
                changed=len(changed or ()),
                elapsed=time.perf_counter() - started,
            )
        )

    @work(thread=True, exclusive=True, group="watch", exit_on_error=False)
    def start_watcher(self) -> None:
        try:
            watch_module = importlib.import_module("core.health.watch")
        except ImportError as exc:
            self.post_message(WatcherUnavailable(f"core.health.watch unavailable: {exc}"))
            return
        watcher = watch_module.TreeWatcher(
            self.root,
            on_change=lambda paths: self.post_message(FilesChanged(frozenset(paths))),
            on_rescan=lambda reason: self.post_message(WatcherRescan(str(reason))),
            ignore=is_own_noise,
            debounce=WATCH_DEBOUNCE,
            max_delay=0.1,
        )
        watcher.start()
        self.watcher = watcher
        self.post_message(WatcherStarted(str(getattr(watcher, "mode", "inotify"))))

    @work(thread=True, exclusive=True, group="logs", exit_on_error=False)
    def tail_logs(self) -> None:
        self.post_message(LogsTailed(self.tailer.tail_supervisor(), self.tailer.newest_report()))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def load_detail(self, path: str, target: MessagePump) -> None:
        target.post_message(DetailLoaded(load_detail(self.root, path, self.clock)))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast is literal text (its message often quotes a path or an error from the
        tree): controls escaped, never markup, whatever the caller passes."""
        del markup
        super().notify(
            escape_controls(message),
            title=escape_controls(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are handled: shown, never fatal, never blocking."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        text = sanitize_text(f"{type(error).__name__}: {error}")
        group = event.worker.group
        if group == "scan":
            self.scan_error = text
            self.notify(f"scan failed: {text}", severity="error", timeout=8)
            self.scans.finished()
        elif group == "watch":
            self.watch_state.mode = "unavailable"
            self.watch_state.detail = text
            self.notify(
                f"watcher failed, rescanning every {self.refresh_interval or 30:.0f} s: {text}",
                severity="warning",
                timeout=8,
            )
        elif group == "detail":
            self.notify(f"cannot open file: {text}", severity="error")
        else:
            self.notify(f"{group} failed: {text}", severity="warning")
        self._render_header()

    # ------------------------------------------------------------------ messages from threads

    def on_report_ready(self, message: ReportReady) -> None:
        if not self._can_draw():
            return
        self.scan_error = None
        self.previous, self.report = self.report, message.report
        finding_root = [f for f in message.report.findings if f.path == "." and f.code == "missing"]
        self.root_problem = (
            finding_root[0].message if finding_root and not message.report.files else None
        )
        self.scanned_at = self.clock()
        self.scan_seconds = message.elapsed
        self.updates += 1
        self._render_all()
        self._ensure_focus()
        if self.updates == 1 and self.tune_gc:
            self.call_after_refresh(freeze_gc)
        self.scans.finished()

    def on_files_changed(self, message: FilesChanged) -> None:
        paths = {p for p in message.paths if not is_own_noise(p)}
        if not paths:
            return
        self.watch_state.last_event_at = self.clock()
        self.scans.changed(paths)
        if any(p.startswith(layout.LOGS_DIR + "/") for p in paths):
            self.tail_logs()

    def on_watcher_rescan(self, message: WatcherRescan) -> None:
        self.watch_state.rescans += 1
        self.watch_state.detail = message.reason
        mode = getattr(self.watcher, "mode", None)
        if mode:
            self.watch_state.mode = str(mode)
        self.notify(f"watcher lost events ({message.reason}): full rescan", severity="warning")
        self.action_rescan(reason="overflow")

    def on_watcher_started(self, message: WatcherStarted) -> None:
        self.watch_state.mode = message.mode
        self._render_header()

    def on_watcher_unavailable(self, message: WatcherUnavailable) -> None:
        self.watch_state.mode = "unavailable"
        self.watch_state.detail = message.reason
        self._render_header()

    def on_logs_tailed(self, message: LogsTailed) -> None:
        if self._can_draw():
            self.dashboard.query_one(LogsPanel).append_logs(message.supervisor, message.report)

    def on_open_detail(self, message: OpenDetail) -> None:
        self.open_detail(message.path)

    def on_filter_screen_changed(self, message: FilterScreen.Changed) -> None:
        self.set_filter(message.text)

    # ------------------------------------------------------------------ scheduling

    def _launch_scan(self, reason: str, changed: frozenset[str] | None) -> bool:
        """The scheduler's way to start the scan worker; nothing starts once shutdown began."""
        if not self._can_draw():
            return False
        self.run_scan(reason, changed)
        return True

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        if delay <= 0:
            self.call_next(callback)
        else:
            self.set_timer(delay, callback)

    def _ensure_focus(self) -> None:
        """Keys go to the active panel's list unless the user put focus elsewhere."""
        if not (self._can_draw() and self.screen is self.dashboard):
            return
        active = self.dashboard.active_panel()
        focused = self.focused
        if focused is None or (focused is not active and active not in focused.ancestors):
            active.focus_target().focus(scroll_visible=False)

    def _tick(self) -> None:
        self._render_header()

    def _periodic(self) -> None:
        """Time-based checks (ages) move without events; without a watcher this is the refresh."""
        if self.watch_state.mode in {"unavailable", "off"}:
            self.action_rescan(reason="periodic")
        else:
            self.scans.tick("periodic")
        self.tail_logs()

    # ------------------------------------------------------------------ rendering

    def context(self) -> PanelContext:
        return PanelContext(
            report=self.report,
            now=self.clock(),
            filter=self.filter_text,
            root_problem=self.root_problem,
            previous=self.previous,
        )

    def _can_draw(self) -> bool:
        """False once shutdown began: Textual prunes the screens' widgets while the app's
        timers and the workers' messages can still arrive (a tick then found no header).
        Everything driven by a timer or a thread message checks this first."""
        return self.is_running

    def _render_header(self) -> None:
        if not self._can_draw():
            return
        header = self.dashboard.query_one(StatusHeader)
        header.show(
            self.report,
            now=self.clock(),
            scanned_at=self.scanned_at,
            scan_seconds=self.scan_seconds,
            watch=self.watch_state,
            filter_text=self.filter_text,
            read_only=self.read_only,
            error=self.scan_error,
        )

    def _render_all(self) -> None:
        if not self._can_draw():
            return
        ctx = self.context()
        for panel in self.dashboard.query(Panel):
            panel.refresh_from(ctx)
        self._render_header()

    def set_filter(self, text: str) -> None:
        if text != self.filter_text:
            self.filter_text = text
            self._render_all()

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
        from tui.screens.confirm_action import ConfirmActionScreen

        return any(isinstance(s, ConfirmActionScreen) and s.busy for s in self.screen_stack)

    def action_rescan(self, reason: str = "rescan") -> None:
        self.scans.full(reason)
        self.tail_logs()

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

    # ------------------------------------------------------------------ hooks

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
        from tui.screens.detail import DetailScreen

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
        """The keys by context: global and panel from the dashboard's active bindings (the
        focused widget's chain), detail and modal from those screens."""
        from tui.screens.confirm_action import ChooseActionScreen, ConfirmActionScreen
        from tui.widgets.logs_panel import LogPicker

        active = self.dashboard.active_bindings.values()
        outer = {id(self), id(self.dashboard)}
        global_bindings = [a.binding for a in active if id(a.node) in outer]
        panel_bindings = [a.binding for a in active if id(a.node) not in outer]
        panel = self.dashboard.active_panel()
        app_in_detail = [
            b for b in global_bindings if b.action.split("(")[0] not in self._DASHBOARD_ONLY
        ]
        hidden, show = _HIDDEN_ACTIONS, self.get_key_display
        detail_rows = collect_bindings([list(DetailScreen.BINDINGS)], hidden, show)
        detail_keys = {k for keys, _ in detail_rows for k in keys.split()}
        global_rows = group_rows(global_bindings, hidden, show)
        panel_rows = [
            row for row in group_rows(panel_bindings, hidden, show) if row not in global_rows
        ]
        if not any({"enter", "⏎"} & set(keys.split()) for keys, _ in panel_rows):
            panel_rows.append(("⏎", "open the detail view of the selected file"))
        return [
            ("Global", global_rows),
            (f"Panel: {panel.TITLE}", panel_rows),
            (
                "Detail view",
                detail_rows + group_rows(app_in_detail, hidden, show, skip_keys=detail_keys),
            ),
            (
                "Action / picker modals",
                collect_bindings(
                    [
                        list(ConfirmActionScreen.BINDINGS),
                        list(ChooseActionScreen.BINDINGS),
                        list(LogPicker.BINDINGS),
                    ],
                    hidden,
                    show,
                ),
            ),
        ]


if TYPE_CHECKING:  # mypy: the app is the Driver its screens and commands are written against
    _IS_A_DRIVER: type[Driver] = BotstoreApp


def run(root: Path | str, config: str | None = None, read_only: bool = False, **kwargs: Any) -> int:
    """Run the monitor until the user quits; returns the process exit code."""
    kwargs.setdefault("tune_gc", True)
    app = BotstoreApp(root, config, read_only=read_only, **kwargs)
    result = app.run()
    return int(result or 0)


__all__ = ["BotstoreApp", "run"]
