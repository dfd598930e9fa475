"""The scan scheduler's coalescing rules, with a frozen clock and a hand-run timer queue."""

from __future__ import annotations

from collections.abc import Callable

from tui.scheduler import ScanScheduler

FRAME = 0.1


class Harness:
    """Records the scans the scheduler starts; timers run only when the test says so."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.now = 100.0
        self.started: list[tuple[str, frozenset[str] | None]] = []
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.refuse = refuse
        self.scheduler = ScanScheduler(self.start, self.later, frame=FRAME, clock=lambda: self.now)

    def start(self, reason: str, changed: frozenset[str] | None) -> bool:
        if self.refuse:
            return False
        self.started.append((reason, changed))
        return True

    def later(self, delay: float, callback: Callable[[], None]) -> None:
        self.timers.append((delay, callback))

    def run_timers(self, advance: float = FRAME) -> None:
        self.now += advance
        due, self.timers = self.timers, []
        for _, callback in due:
            callback()


def test_a_burst_of_saves_of_one_file_costs_one_update() -> None:
    h = Harness()
    for _ in range(50):
        h.scheduler.changed({"data/portfolio.json"})
    assert len(h.timers) == 1  # one flush scheduled, not fifty
    h.run_timers()
    assert h.started == [("update", frozenset({"data/portfolio.json"}))]


def test_paths_changed_during_a_scan_wait_and_are_batched_together() -> None:
    h = Harness()
    h.scheduler.changed({"a"})
    h.run_timers()
    assert h.scheduler.busy
    h.scheduler.changed({"b"})
    h.scheduler.changed({"c", "b"})
    assert h.timers == []  # nothing scheduled while the scan runs
    h.scheduler.finished()
    h.run_timers()
    assert h.started[-1] == ("update", frozenset({"b", "c"}))
    h.scheduler.finished()
    assert h.scheduler.idle


def test_flushes_are_at_most_one_per_frame() -> None:
    h = Harness()
    h.scheduler.changed({"a"})
    assert h.timers[0][0] == 0.0  # first change: no wait
    h.run_timers(advance=0.0)
    h.scheduler.finished()
    h.now += FRAME / 4
    h.scheduler.changed({"b"})
    delay = h.timers[0][0]
    assert abs(delay - FRAME * 3 / 4) < 1e-9  # waits for the rest of the frame


def test_full_rescan_during_a_scan_runs_after_it_and_drops_pending_updates() -> None:
    h = Harness()
    h.scheduler.full("initial")
    h.scheduler.changed({"a"})
    h.scheduler.full("overflow")
    assert h.started == [("initial", None)]
    h.scheduler.finished()
    assert h.started == [("initial", None), ("overflow", None)]
    h.scheduler.finished()
    h.run_timers()
    assert len(h.started) == 2  # "a" was covered by the full rescan
    assert h.scheduler.idle


def test_tick_only_when_nothing_else_is_due() -> None:
    h = Harness()
    h.scheduler.tick("periodic")
    assert h.started == [("periodic", frozenset())]
    h.scheduler.tick("periodic")
    assert len(h.started) == 1  # busy
    h.scheduler.finished()
    h.scheduler.changed({"x"})
    h.scheduler.tick("periodic")
    assert len(h.started) == 1  # the pending update comes first


def test_a_refused_start_leaves_the_scheduler_not_busy() -> None:
    h = Harness(refuse=True)
    h.scheduler.full("late")
    assert not h.scheduler.busy
    h.scheduler.changed({"a"})
    h.run_timers()
    assert not h.scheduler.busy and h.started == []
