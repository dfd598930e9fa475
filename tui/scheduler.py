"""When the app scans: watcher bursts coalesced to one incremental scan per frame.

A plain state machine (no Textual, no threads) so the coalescing rules are
tested with a fake clock and a fake timer. The app gives it two callbacks:
``start(reason, changed)`` launches the scan worker (``changed`` None means a
full scan) and returns False when it cannot (shutting down); ``later(delay, fn)``
runs ``fn`` after ``delay`` seconds on the UI thread. Rules:

* one scan at a time; paths that change meanwhile wait for it to finish;
* at most one incremental scan per ``frame`` seconds, covering every path
  changed since the last one (a burst of saves of one file costs one update);
* a full rescan asked for while a scan runs is started when it finishes and
  replaces any pending incremental work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Final

FRAME: Final = 1 / 30

StartScan = Callable[[str, frozenset[str] | None], bool]
Later = Callable[[float, Callable[[], None]], object]


class ScanScheduler:
    """Decides when the app starts a scan and with which paths."""

    def __init__(
        self,
        start: StartScan,
        later: Later,
        *,
        frame: float = FRAME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self._later = later
        self._frame = frame
        self._clock = clock
        self.busy = False
        self.pending: set[str] = set()
        self._flush_scheduled = False
        self._last_flush = float("-inf")
        self._rescan_wanted: str | None = None

    @property
    def idle(self) -> bool:
        """No scan running and nothing waiting."""
        return not self.busy and not self.pending and self._rescan_wanted is None

    def changed(self, paths: Iterable[str]) -> None:
        """Paths the watcher saw change: scan them at the next frame boundary."""
        self.pending.update(paths)
        self._schedule_flush()

    def full(self, reason: str) -> None:
        """A full rescan now, or as soon as the running scan finishes."""
        if self.busy:
            self._rescan_wanted = reason
            return
        self.pending.clear()
        self._launch(reason, None)

    def tick(self, reason: str) -> None:
        """A cheap re-evaluation (ages move with time) unless something is already due."""
        if not self.busy and not self.pending:
            self._launch(reason, frozenset())

    def finished(self) -> None:
        """The running scan ended (report or error): start what waited for it."""
        self.busy = False
        if self._rescan_wanted is not None:
            reason, self._rescan_wanted = self._rescan_wanted, None
            self.pending.clear()
            self._launch(reason, None)
        elif self.pending:
            self._schedule_flush()

    def _launch(self, reason: str, changed: frozenset[str] | None) -> None:
        self.busy = self._start(reason, changed)

    def _schedule_flush(self) -> None:
        if self._flush_scheduled or self.busy:
            return
        self._flush_scheduled = True
        self._later(max(0.0, self._frame - (self._clock() - self._last_flush)), self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self.busy or not self.pending:
            return
        batch, self.pending = frozenset(self.pending), set()
        self._last_flush = self._clock()
        self._launch("update", batch)


__all__ = ["FRAME", "ScanScheduler"]
