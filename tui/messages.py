"""Typed messages: everything that crosses from a worker or watcher thread to the UI.

Threads never touch widgets; they post one of these (``post_message`` is
thread-safe) and the UI thread applies it.
"""

from __future__ import annotations

from textual.message import Message

from core.health.report import HealthReport
from tui.detail_model import FileDetail
from tui.logtail import LogChunk


class ReportReady(Message):
    """A full or incremental scan finished."""

    def __init__(self, report: HealthReport, *, reason: str, changed: int, elapsed: float) -> None:
        super().__init__()
        self.report = report
        self.reason = reason  # "initial", "rescan", "update", "overflow"
        self.changed = changed  # paths in the incremental batch (0 for full scans)
        self.elapsed = elapsed


class FilesChanged(Message):
    """The watcher saw paths change (relative, POSIX); posted from the watcher thread."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths


class WatcherRescan(Message):
    """The watcher lost events (queue overflow, watch limit): the UI must rescan."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class WatcherStarted(Message):
    """The watcher is running, in ``mode`` ("inotify", "polling"...)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode


class WatcherUnavailable(Message):
    """The watcher could not start; the UI falls back to manual/periodic rescans."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class LogsTailed(Message):
    """New lines for the logs panel."""

    def __init__(self, supervisor: LogChunk, report: LogChunk) -> None:
        super().__init__()
        self.supervisor = supervisor
        self.report = report


class DetailLoaded(Message):
    """The detail worker finished loading a file."""

    def __init__(self, detail: FileDetail) -> None:
        super().__init__()
        self.detail = detail


class OpenDetail(Message):
    """A panel asks for the detail view of ``path`` (Enter on a row)."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
