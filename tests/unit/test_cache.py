"""core.documents.cache.DataManager: TTL (injected clock), file-change invalidation, threads."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from core.documents.cache import DEFAULT_TTL, DataManager, file_stamp
from core.errors import FileMissing
from core.storage.write import write_json


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counter:
    def __init__(self, value: Any = "v") -> None:
        self.calls = 0
        self.value = value

    def __call__(self) -> Any:
        self.calls += 1
        return (self.value, self.calls)


def test_default_ttl_is_the_standards() -> None:
    assert DEFAULT_TTL == 300.0
    assert DataManager().cache_ttl == 300.0
    with pytest.raises(ValueError, match="ttl"):
        DataManager(-1)


def test_get_data_caches_until_ttl() -> None:
    clock, load = Clock(), Counter()
    cache = DataManager(clock=clock)
    assert cache.get_data("k", load) == ("v", 1)
    clock.now += 299.9
    assert cache.get_data("k", load) == ("v", 1)
    clock.now += 0.1
    assert cache.get_data("k", load) == ("v", 2)
    assert load.calls == 2
    assert len(cache) == 1


def test_keys_are_independent_and_invalidate() -> None:
    cache = DataManager(clock=Clock())
    a, b = Counter("a"), Counter("b")
    cache.get_data("a", a)
    cache.get_data("b", b)
    cache.invalidate("a")
    cache.get_data("a", a)
    cache.get_data("b", b)
    assert (a.calls, b.calls) == (2, 1)
    cache.invalidate()
    assert len(cache) == 0
    cache.get_data("b", b)
    assert b.calls == 2


def test_loader_error_is_not_cached() -> None:
    cache = DataManager(clock=Clock())

    def boom() -> Any:
        raise RuntimeError("nope")

    with pytest.raises(RuntimeError):
        cache.get_data("k", boom)
    assert cache.get_data("k", lambda: 5) == 5


def test_get_json_sees_every_atomic_write(tmp_path: Path) -> None:
    clock = Clock()
    cache = DataManager(clock=clock)
    path = tmp_path / "portfolio.json"
    for i in range(20):  # same size every time; the new inode/mtime gives it away
        write_json(path, {"n": i % 10})
        assert cache.get_json(path) == {"n": i % 10}


def _age(path: Path, seconds: float = 60) -> None:
    """Backdate mtime: a file written just now is "racy" and never served from cache."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def test_recently_modified_file_is_not_trusted(tmp_path: Path) -> None:
    cache = DataManager(clock=Clock())
    path = tmp_path / "x.json"
    write_json(path, [1])
    load = Counter()
    cache.get_json(path, load)
    cache.get_json(path, load)
    assert load.calls == 2  # mtime within the racy window: a same-tick rewrite is possible
    _age(path)
    cache.get_json(path, load)
    cache.get_json(path, load)
    assert load.calls == 3


def test_get_json_hits_while_file_unchanged(tmp_path: Path) -> None:
    cache = DataManager(clock=Clock())
    path = tmp_path / "x.json"
    write_json(path, [1])
    _age(path)
    load = Counter()
    assert cache.get_json(path, load) == ("v", 1)
    assert cache.get_json(str(path), load) == ("v", 1)
    os.utime(path, ns=(1, 1))  # touched: reload
    assert cache.get_json(path, load) == ("v", 2)
    with path.open("ab") as handle:  # in-place append changes the size
        handle.write(b" ")
    _age(path)
    assert cache.get_json(path, load) == ("v", 3)
    cache.invalidate(path)
    assert cache.get_json(path, load) == ("v", 4)


def test_get_json_ttl_applies_too(tmp_path: Path) -> None:
    clock = Clock()
    cache = DataManager(ttl=10, clock=clock)
    path = tmp_path / "x.json"
    write_json(path, {})
    _age(path)
    load = Counter()
    cache.get_json(path, load)
    cache.get_json(path, load)
    assert load.calls == 1
    clock.now += 10
    cache.get_json(path, load)
    assert load.calls == 2


def test_get_json_missing_file(tmp_path: Path) -> None:
    cache = DataManager(clock=Clock())
    path = tmp_path / "missing.json"
    with pytest.raises(FileMissing):
        cache.get_json(path)
    assert file_stamp(path) is None
    write_json(path, {"now": "here"})
    assert cache.get_json(path) == {"now": "here"}


def test_invalidate_during_load_keeps_result_out() -> None:
    cache = DataManager(clock=Clock())
    calls = []

    def loader() -> int:
        calls.append(1)
        if len(calls) == 1:
            cache.invalidate("k")  # a writer invalidates while we are loading
        return len(calls)

    assert cache.get_data("k", loader) == 1
    assert cache.get_data("k", loader) == 2
    assert cache.get_data("k", loader) == 2


def test_concurrent_readers_load_once() -> None:
    cache = DataManager(clock=Clock())
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow() -> str:
        calls.append(1)
        started.set()
        release.wait(timeout=30)
        return "value"

    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_data("k", slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    assert started.wait(timeout=30)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["value"] * 8
    assert len(calls) == 1


def test_other_keys_not_blocked_by_a_slow_load() -> None:
    cache = DataManager(clock=Clock())
    started = threading.Event()
    release = threading.Event()

    def slow() -> str:
        started.set()
        release.wait(timeout=30)
        return "slow"

    worker = threading.Thread(target=lambda: cache.get_data("slow", slow))
    worker.start()
    assert started.wait(timeout=30)
    try:
        assert cache.get_data("fast", lambda: "fast") == "fast"
    finally:
        release.set()
        worker.join(timeout=30)
