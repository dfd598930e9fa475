"""``core.health.watch.TreeWatcher`` with a real watchdog observer (in-process)."""

from __future__ import annotations

import errno
import logging
import os
import queue
import threading
from pathlib import Path

import pytest

from core.health.watch import OVERFLOW_LOGGER, TreeWatcher
from core.storage.write import write_json

WAIT = 30.0


class Sink:
    def __init__(self) -> None:
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self.rescans: queue.Queue[str] = queue.Queue()
        self.threads: set[str] = set()

    def on_change(self, paths: set[str]) -> None:
        self.threads.add(threading.current_thread().name)
        self.changes.put(paths)

    def on_rescan(self, reason: str) -> None:
        self.rescans.put(reason)

    def collect_until(self, wanted: str) -> set[str]:
        seen: set[str] = set()
        while wanted not in seen:
            seen |= self.changes.get(timeout=WAIT)
        return seen


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir(mode=0o750)
    return tmp_path


def test_atomic_save_reports_the_target_not_the_temp(tree: Path) -> None:
    sink = Sink()
    watcher = TreeWatcher(tree, sink.on_change, sink.on_rescan)
    watcher.start()
    try:
        assert watcher.mode == "inotify"
        write_json(tree / "data" / "portfolio.json", {"a": 1})
        write_json(tree / "data" / "portfolio.json", {"a": 2})  # second save also moves .bak
        seen = sink.collect_until("data/portfolio.json.bak")
        assert "data/portfolio.json" in seen
        assert not [p for p in seen if p.endswith((".tmp", ".lock"))], seen
        assert watcher.last_event_at is not None
        assert threading.current_thread().name not in sink.threads
    finally:
        watcher.stop()
    assert watcher.mode == "stopped"


def test_new_directory_and_deletion(tree: Path) -> None:
    sink = Sink()
    with TreeWatcher(tree, sink.on_change, sink.on_rescan) as _watcher:
        (tree / "data" / "sub").mkdir()
        sink.collect_until("data/sub")
        (tree / "data" / "sub" / "x.json").write_text("{}")
        sink.collect_until("data/sub/x.json")
        (tree / "data" / "sub" / "x.json").unlink()
        sink.collect_until("data/sub/x.json")


def test_burst_is_coalesced(tree: Path) -> None:
    sink = Sink()
    with TreeWatcher(tree, sink.on_change, sink.on_rescan, debounce=0.2, max_delay=2.0):
        for i in range(200):
            (tree / "data" / f"f{i}.json").write_text("{}")
        seen = sink.collect_until("data/f199.json")
    assert len(seen) == 200


def test_ignore_callback(tree: Path) -> None:
    sink = Sink()
    with TreeWatcher(
        tree, sink.on_change, sink.on_rescan, ignore=lambda rel: rel.startswith("data/skip")
    ):
        (tree / "data" / "skip.json").write_text("{}")
        (tree / "data" / "keep.json").write_text("{}")
        seen = sink.collect_until("data/keep.json")
    assert "data/skip.json" not in seen


def test_watch_limit_falls_back_to_polling(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from watchdog.observers import inotify

    def no_watches(self: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(inotify.InotifyObserver, "start", no_watches)
    sink = Sink()
    watcher = TreeWatcher(tree, sink.on_change, sink.on_rescan, polling_interval=0.1)
    watcher.start()
    try:
        assert watcher.mode == "polling"
        assert sink.rescans.get(timeout=WAIT) == "watch-limit"
        (tree / "data" / "late.json").write_text("{}")
        assert "data/late.json" in sink.collect_until("data/late.json")
    finally:
        watcher.stop()
    assert watcher.rescans == 1


def test_queue_overflow_triggers_rescan(tree: Path) -> None:
    sink = Sink()
    with TreeWatcher(tree, sink.on_change, sink.on_rescan) as watcher:
        # what watchdog 7 does on IN_Q_OVERFLOW: it logs, it emits no event
        logging.getLogger(OVERFLOW_LOGGER).warning(
            "Inotify queue overflowed; filesystem events were lost"
        )
        assert sink.rescans.get(timeout=WAIT) == "overflow"
        assert watcher.rescans == 1


def test_callback_errors_do_not_kill_the_watcher(tree: Path) -> None:
    calls: queue.Queue[set[str]] = queue.Queue()

    def flaky(paths: set[str]) -> None:
        calls.put(paths)
        if calls.qsize() == 1:
            raise RuntimeError("consumer bug")

    with TreeWatcher(tree, flaky, lambda _reason: None, debounce=0.05):
        (tree / "data" / "one.json").write_text("{}")
        calls.get(timeout=WAIT)
        (tree / "data" / "two.json").write_text("{}")
        seen: set[str] = set()
        while "data/two.json" not in seen:
            seen |= calls.get(timeout=WAIT)


def test_missing_root(tmp_path: Path) -> None:
    watcher = TreeWatcher(tmp_path / "nope", lambda _p: None, lambda _r: None)
    with pytest.raises(FileNotFoundError):
        watcher.start()
    os.fspath(tmp_path)
