# str paths on purpose: the scan is hot, and Path objects cost.
# ruff: noqa: PTH100, PTH112
"""Watch a bot root with watchdog and hand coalesced batches of changed paths to a callback.

``TreeWatcher(root, on_change, on_rescan)``:

* schedules one recursive watch with an event filter (created / modified /
  moved / deleted, plus attribute changes so a ``chmod`` is seen — the
  permission policy is one of the checks);
* drops events about our own temp and lock files (``core.storage.names.is_temp_name`` /
  ``is_lock_name``), except that a temp file *moved onto* a target reports the
  target (``dest_path``): that is how every atomic save lands;
* coalesces bursts: paths collected for ``debounce`` seconds (default 20 ms,
  never holding a batch longer than ``max_delay``) are delivered as one
  ``set[str]`` of root-relative POSIX paths;
* falls back to a ``PollingObserver`` when inotify cannot start (watch or
  instance limit: ``ENOSPC``/``EMFILE``/``ENFILE``/``ENOMEM``), and calls
  ``on_rescan("watch-limit")`` so the consumer rescans once;
* on inotify queue overflow (``IN_Q_OVERFLOW``; watchdog 7 handles it inside
  the emitter and only logs ``"Inotify queue overflowed"`` on the
  ``watchdog.observers.inotify_c`` logger, it emits no event) drops the pending
  batch and calls ``on_rescan("overflow")``: events were lost, only a full
  rescan is trustworthy.

Both callbacks run on the watcher's dispatch thread (never the caller's); a UI
must marshal to its own thread. A callback that raises is logged and the
watcher keeps going.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Final

from watchdog.events import (
    DirAttribEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
    FileSystemMovedEvent,
)
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from core.storage.names import is_lock_name, is_temp_name

logger = logging.getLogger(__name__)

EVENT_FILTER: Final[list[type[FileSystemEvent]]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    FileAttribEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
    DirAttribEvent,
]
LIMIT_ERRNOS: Final = frozenset({errno.ENOSPC, errno.EMFILE, errno.ENFILE, errno.ENOMEM})
OVERFLOW_LOGGER: Final = "watchdog.observers.inotify_c"
OVERFLOW_TEXT: Final = "queue overflow"


def _own_file(rel: str) -> bool:
    name = rel.rpartition("/")[2]
    return is_temp_name(name) or is_lock_name(name)


class _OverflowHandler(logging.Handler):
    """Turns watchdog's "Inotify queue overflowed" log record into a rescan request."""

    def __init__(self, callback: Callable[[], None]) -> None:
        super().__init__(level=logging.WARNING)
        self._callback = callback

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not an overflow
            return
        if OVERFLOW_TEXT in message.lower().replace("overflowed", "overflow"):
            self._callback()


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: TreeWatcher) -> None:
        self._watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self._watcher._on_event(event)


class TreeWatcher:
    """Recursive watch of ``root`` delivering coalesced sets of changed relative paths."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        on_change: Callable[[set[str]], None],
        on_rescan: Callable[[str], None],
        *,
        ignore: Callable[[str], bool] | None = None,
        debounce: float = 0.02,
        max_delay: float = 0.25,
        force_polling: bool = False,
        polling_interval: float = 1.0,
    ) -> None:
        self.root = os.path.abspath(os.fspath(root))
        self.on_change = on_change
        self.on_rescan = on_rescan
        self._ignore = ignore
        self._debounce = debounce
        self._max_delay = max_delay
        self._force_polling = force_polling
        self._polling_interval = polling_interval
        self.mode: str = "stopped"
        self.rescans: int = 0
        self.events: int = 0
        self.last_event_at: float | None = None  # time.time() of the last accepted event
        self._pending: set[str] = set()
        self._rescan_reasons: list[str] = []
        self._cond = threading.Condition()
        self._stopping = False
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None
        self._overflow = _OverflowHandler(lambda: self.request_rescan("overflow"))
        self._prefix = self.root.rstrip("/") + "/"

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start observing (inotify, else polling) and the dispatch thread."""
        if self._thread is not None:
            raise RuntimeError("TreeWatcher already started")
        if not os.path.isdir(self.root):
            raise FileNotFoundError(f"{self.root}: not a directory")
        self._stopping = False
        fallback_reason: str | None = None
        observer: BaseObserver | None = None
        if not self._force_polling:
            try:
                observer = self._start_inotify()
                self.mode = "inotify"
            except OSError as exc:
                if exc.errno not in LIMIT_ERRNOS:
                    raise
                logger.warning("inotify unavailable (%s); falling back to polling", exc)
                fallback_reason = "watch-limit"
            except ImportError:
                fallback_reason = None
        if observer is None:
            observer = PollingObserver(timeout=self._polling_interval)
            observer.schedule(_Handler(self), self.root, recursive=True, event_filter=EVENT_FILTER)
            observer.start()
            self.mode = "polling"
        self._observer = observer
        watch_logger = logging.getLogger(OVERFLOW_LOGGER)
        watch_logger.addHandler(self._overflow)
        if not watch_logger.isEnabledFor(logging.WARNING):
            watch_logger.setLevel(logging.WARNING)
        self._thread = threading.Thread(target=self._dispatch, name="botstore-watch", daemon=True)
        self._thread.start()
        if fallback_reason is not None:
            self.request_rescan(fallback_reason)

    def _start_inotify(self) -> BaseObserver:
        from watchdog.observers.inotify import InotifyObserver

        observer = InotifyObserver()
        try:
            observer.schedule(_Handler(self), self.root, recursive=True, event_filter=EVENT_FILTER)
            observer.start()
        except BaseException:
            try:
                observer.stop()
            except Exception:
                logger.debug("cleanup of a failed inotify observer failed", exc_info=True)
            raise
        return observer

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the observer and the dispatch thread (pending changes are dropped)."""
        logging.getLogger(OVERFLOW_LOGGER).removeHandler(self._overflow)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)
            self._observer = None
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.mode = "stopped"

    def __enter__(self) -> TreeWatcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ events

    def request_rescan(self, reason: str) -> None:
        """Ask the dispatch thread to call ``on_rescan(reason)`` (thread-safe)."""
        with self._cond:
            self._rescan_reasons.append(reason)
            self._pending.clear()
            self._cond.notify_all()

    def _relative(self, path: str | bytes) -> str | None:
        text = os.fsdecode(path) if isinstance(path, bytes) else path
        if not text.startswith(self._prefix):
            return None
        rel = text[len(self._prefix) :]
        if not rel:
            return None
        if self._ignore is not None and self._ignore(rel):
            return None
        return rel

    def _on_event(self, event: FileSystemEvent) -> None:
        paths: list[str] = []
        if isinstance(event, FileSystemMovedEvent):
            src = self._relative(event.src_path)
            dest = self._relative(event.dest_path) if event.dest_path else None
            if src is not None and not _own_file(src):
                paths.append(src)
            if dest is not None and not _own_file(dest):
                paths.append(dest)  # a temp file moved onto its target: the target changed
        else:
            rel = self._relative(event.src_path)
            if rel is not None and not _own_file(rel):
                paths.append(rel)
        if not paths:
            return
        with self._cond:
            self._pending.update(paths)
            self.events += 1
            self.last_event_at = time.time()
            self._cond.notify_all()

    def _dispatch(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._pending and not self._rescan_reasons:
                    self._cond.wait(0.5)
                if self._stopping:
                    return
                if self._rescan_reasons:
                    reason = self._rescan_reasons[0]
                    self._rescan_reasons.clear()
                    self._pending.clear()
                    self.rescans += 1
                    batch: set[str] | None = None
                else:
                    # coalesce: wait until the burst pauses for `debounce` (at most max_delay)
                    first = time.monotonic()
                    seen = self.events
                    while not self._stopping and not self._rescan_reasons:
                        self._cond.wait(self._debounce)
                        if self.events == seen or time.monotonic() - first >= self._max_delay:
                            break
                        seen = self.events
                    if self._stopping:
                        return
                    if self._rescan_reasons:
                        continue
                    batch, self._pending = self._pending, set()
            try:
                if batch is None:
                    self.on_rescan(reason)
                elif batch:
                    self.on_change(batch)
            except Exception:
                logger.exception("watch callback failed")


__all__ = ["EVENT_FILTER", "TreeWatcher"]
