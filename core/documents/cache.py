"""The standard's ``DataManager``: a thread-safe TTL cache that never serves a file's stale data.

``get_data(key, loader)`` is the standard's TTL cache (default 300 s).
``get_json(path)`` adds a file check: each call ``stat``s the file and reloads
when its ``(mtime_ns, size, inode, device, ctime_ns)`` changed, so a write
through ``core.storage.write`` (a new inode) is seen at once.

Like git's "racily clean" rule, a file modified less than ``racy_window``
seconds before it was stat'ed is not trusted from cache: file timestamps tick
coarsely (jiffies, 2 s on FAT), so a same-size rewrite within one tick onto a
recycled inode would otherwise look unchanged. Clocks are injectable so tests
never sleep.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from core.storage.read import read_json

T = TypeVar("T")
DEFAULT_TTL: Final = 300.0

#: What identifies one version of a file; None when the file does not exist.
FileStamp = tuple[int, int, int, int, int] | None
_Key = tuple[str, str]


DEFAULT_RACY_WINDOW: Final = 2.0


@dataclass(frozen=True)
class _Entry:
    value: Any
    loaded_at: float
    stamp: FileStamp
    trusted: bool


def file_stamp(path: str | os.PathLike[str]) -> FileStamp:
    """``(mtime_ns, size, inode, device, ctime_ns)`` of ``path`` (following symlinks), or None."""
    try:
        st = Path(path).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev, st.st_ctime_ns)


class DataManager:
    """TTL cache of loaded data, safe to share between threads.

    Loads of one key are serialized (a burst of readers triggers one load);
    loads of different keys run in parallel. A loader's exception propagates
    and nothing is cached. An :meth:`invalidate` during a load keeps that
    load's result out of the cache.
    """

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock_ns: Callable[[], int] = time.time_ns,
        racy_window: float = DEFAULT_RACY_WINDOW,
    ) -> None:
        if ttl < 0:
            raise ValueError("ttl must be >= 0")
        self.cache_ttl = ttl
        self._clock = clock
        self._wall_ns = wall_clock_ns
        self._racy_ns = int(racy_window * 1e9)
        self._lock = threading.Lock()
        self._entries: dict[_Key, _Entry] = {}
        self._key_locks: dict[_Key, threading.Lock] = {}
        self._generation: dict[_Key, int] = {}

    # ------------------------------------------------------------------ public

    def get_data(self, key: str, loader: Callable[[], T]) -> T:
        """The cached value for ``key`` if younger than the TTL, else ``loader()`` (cached)."""
        value: T = self._get(("data", key), loader, stamp_of=None)
        return value

    def get_json(
        self, path: str | os.PathLike[str], loader: Callable[[], Any] | None = None
    ) -> Any:
        """The data of the JSON file at ``path``, reloaded when the file changed or the TTL expired.

        ``loader`` defaults to ``core.storage.read.read_json(path)`` (errors propagate,
        never cached). The file is ``stat``ed before loading, so a write racing
        the load at worst causes one extra reload, never stale data.
        """
        absolute = os.fspath(Path(path).absolute())
        load = loader if loader is not None else (lambda: read_json(absolute))
        return self._get(("json", absolute), load, stamp_of=absolute)

    def invalidate(self, key: str | os.PathLike[str] | None = None) -> None:
        """Drop ``key`` (a ``get_data`` key or a ``get_json`` path), or everything when None."""
        with self._lock:
            if key is None:
                targets = list(self._entries) + list(self._key_locks)
            else:
                targets = [("json", os.fspath(Path(key).absolute()))]
                if isinstance(key, str):
                    targets.append(("data", key))
            for target in targets:
                self._entries.pop(target, None)
                self._generation[target] = self._generation.get(target, 0) + 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    # ------------------------------------------------------------------ internals

    def _fresh(self, key: _Key, stamp_of: str | None) -> tuple[bool, Any, FileStamp, bool]:
        """(hit, value, current stamp, stamp trusted) — the stamp is read before any load."""
        stamp = file_stamp(stamp_of) if stamp_of is not None else None
        trusted = stamp is None or self._wall_ns() - stamp[0] >= self._racy_ns
        with self._lock:
            entry = self._entries.get(key)
            if (
                entry is not None
                and entry.trusted
                and entry.stamp == stamp
                and self._clock() - entry.loaded_at < self.cache_ttl
            ):
                return True, entry.value, stamp, trusted
        return False, None, stamp, trusted

    def _get(self, key: _Key, loader: Callable[[], Any], *, stamp_of: str | None) -> Any:
        hit, value, _, _ = self._fresh(key, stamp_of)
        if hit:
            return value
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            # Another thread may have loaded it meanwhile.
            hit, value, stamp, trusted = self._fresh(key, stamp_of)
            if hit:
                return value
            with self._lock:
                generation = self._generation.get(key, 0)
                started = self._clock()
            value = loader()
            with self._lock:
                if self._generation.get(key, 0) == generation:
                    self._entries[key] = _Entry(value, started, stamp, trusted)
            return value


__all__ = ["DEFAULT_RACY_WINDOW", "DEFAULT_TTL", "DataManager", "file_stamp"]
