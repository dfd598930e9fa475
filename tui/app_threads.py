"""What the threads report, applied on the UI thread: the message handlers of the app.

Workers and the watcher never touch a widget: they post the typed messages of
:mod:`tui.messages`, and :class:`ThreadMessages` applies each to the state
(:mod:`tui.app_state`) and redraws. A failed worker lands in
:meth:`ThreadMessages.on_worker_state_changed`: shown, never fatal.
"""

from __future__ import annotations

import gc
from typing import Final

from textual.worker import Worker, WorkerState

from core.standard import layout
from core.text.sanitize import sanitize_text
from tui.app_state import MonitorState
from tui.engine import is_own_noise
from tui.messages import (
    FilesChanged,
    LogsTailed,
    ReportReady,
    WatcherRescan,
    WatcherStarted,
    WatcherUnavailable,
)
from tui.widgets.logs_panel import LogsPanel

GC_THRESHOLDS: Final = (5_000, 5, 100)  # measured with bench/tui_latency.py


def freeze_gc() -> None:
    """Move start-up objects (caches, first scan, first frame) out of the collector's way.

    A full collection over Textual's strip caches plus the scanner's state costs
    100+ ms; frozen, they are no longer traversed, and a higher gen-0 threshold
    makes the collections that remain rarer (see bench/tui_latency.py).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class ThreadMessages(MonitorState):
    """The handlers of the workers' and the watcher's messages."""

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
