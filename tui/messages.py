"""Typed messages: everything that crosses from a worker or watcher thread to the UI.

Threads never touch widgets; they post one of these (``post_message`` is
thread-safe) and the UI thread applies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from core.health.report import HealthReport


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


@dataclass(slots=True)
class LogChunk:
    """New (sanitized) lines of one log file; ``reset`` when the file was replaced/truncated."""

    path: str
    lines: list[str]
    reset: bool = False
    missing: bool = False


class LogsTailed(Message):
    """New lines for the logs panel."""

    def __init__(self, supervisor: LogChunk, report: LogChunk) -> None:
        super().__init__()
        self.supervisor = supervisor
        self.report = report


@dataclass(slots=True)
class FileDetail:
    """Everything the detail view shows about one file (all text already sanitized)."""

    path: str
    exists: bool
    metadata: list[tuple[str, str]] = field(default_factory=list)
    kind: str | None = None  # schema kind, when the path has one
    error: str | None = None  # read/parse error (missing, invalid JSON at line L...)
    error_line: int | None = None
    violations: list[tuple[str, str]] = field(default_factory=list)  # (field path, message)
    violation_lines: list[int | None] = field(default_factory=list)  # line of each violation
    pretty: str | None = None  # sanitized pretty JSON (or sanitized raw text)
    pretty_is_json: bool = True
    highlight_lines: set[int] = field(default_factory=set)  # 1-based lines of failing fields
    backup_pretty: str | None = None  # portfolio.json: sanitized pretty .bak
    backup_error: str | None = None
    diff: list[tuple[str, str, str]] | None = None  # (tag, left, right) side-by-side rows


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
