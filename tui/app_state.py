"""The monitor's state and how it is drawn: the base of :class:`tui.app.BotstoreApp`.

:class:`MonitorState` holds what the app knows (latest report, watcher state,
filter), starts the thread-side work (:mod:`tui.engine`, :mod:`tui.logtail`,
:mod:`tui.detail_model`) in workers that post the typed messages of
:mod:`tui.messages`, and redraws the dashboard's header and panels from the
state. What the threads' messages do to the state is :mod:`tui.app_threads`;
keys, actions and what screens ask for are :mod:`tui.app`.
"""

from __future__ import annotations

import importlib
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from textual import work
from textual.app import App
from textual.message_pump import MessagePump
from textual.notifications import SeverityLevel

from core.health.report import HealthReport
from core.text.textsafe import escape_controls
from tui.detail_model import load_detail
from tui.engine import Engine, is_own_noise
from tui.logtail import LogTailer
from tui.messages import (
    DetailLoaded,
    FilesChanged,
    LogsTailed,
    ReportReady,
    WatcherRescan,
    WatcherStarted,
    WatcherUnavailable,
)
from tui.palette import THEME_16, terminal_colors, theme_for
from tui.scheduler import ScanScheduler
from tui.screens.dashboard import DashboardScreen
from tui.widgets.base import Panel, PanelContext
from tui.widgets.header import StatusHeader, WatchState

WATCH_DEBOUNCE: Final = 0.005  # the watcher's own burst window; the app coalesces per frame too


def display_root(root: Path) -> str:
    """``~/bot`` rather than ``/home/me/bot``."""
    try:
        return "~/" + str(root.resolve().relative_to(Path.home()))
    except (ValueError, RuntimeError, OSError):
        return str(root)


class MonitorState(App[int]):
    """The state, the workers that feed it, and the drawing from it. ``clock``, ``host``
    and ``root_label`` are injectable for stable snapshots."""

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

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.screen_stack[0]
        if not isinstance(screen, DashboardScreen):  # pragma: no cover - composed in __init__
            raise TypeError("the bottom screen is not the dashboard")
        return screen

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

    def action_rescan(self, reason: str = "rescan") -> None:
        self.scans.full(reason)
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

    def _ensure_focus(self) -> None:
        """Keys go to the active panel's list unless the user put focus elsewhere."""
        if not (self._can_draw() and self.screen is self.dashboard):
            return
        active = self.dashboard.active_panel()
        focused = self.focused
        if focused is None or (focused is not active and active not in focused.ancestors):
            active.focus_target().focus(scroll_visible=False)
