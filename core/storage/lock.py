"""The writer lock of a path: ``flock`` on its sidecar ``.<name>.lock``, reentrant per thread.

``file_lock`` serializes the writers of one path, threads and processes alike
(``flock`` locks belong to an open file description). It is reentrant within a
thread, so a caller holding it can ``write_json`` the same path (read-modify-write
without a window). ``flock_exclusive`` is the one wait every botstore lock uses (the
bot's writers here, the actions' in :mod:`core.storage.rootfs`). The lock file's
first byte is the writers' dirty mark (:data:`DIRTY` while a temp file may exist, see
:mod:`core.storage.write`).
"""

# Deliberate: OS calls go through ``os`` (faults are injected there) and the hot path
# uses plain strings, not pathlib objects (measurable per-save overhead).
# ruff: noqa: PTH100, PTH118

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from typing import Final

from core.errors import LockTimeout, WriteFailed
from core.storage.fsops import ensure_dir
from core.storage.names import LOCK_SUFFIX, PathLike, split_target

DEFAULT_LOCK_TIMEOUT: Final = 30.0
#: The lock file's first byte: a writer may have left a temp file (``DIRTY``), or not.
DIRTY: Final = b"1"
CLEAN: Final = b"0"


def set_mark(lock_fd: int, mark: bytes) -> None:
    """Write the dirty mark (:data:`DIRTY` or :data:`CLEAN`) into the held lock file."""
    if os.pwrite(lock_fd, mark, 0) != 1:
        raise OSError(errno.EIO, "short write to lock file")


def _open_lock(target: str, directory: str, name: str) -> int:
    lock = os.path.join(directory, f".{name}{LOCK_SUFFIX}")
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        try:
            return os.open(lock, flags, 0o640)
        except FileNotFoundError:
            ensure_dir(directory)  # first write into a new directory
            return os.open(lock, flags, 0o640)
    except OSError as exc:
        raise WriteFailed(
            target,
            f"cannot open lock file .{name}{LOCK_SUFFIX}, target untouched: {exc.strerror or exc}",
            cause=exc,
        ) from exc


class _Held(threading.local):
    """The writer locks this thread holds: abspath -> [lock fd, depth]."""

    def __init__(self) -> None:
        self.locks: dict[str, list[int]] = {}


_held = _Held()


def flock_exclusive(fd: int, timeout: float, what: str | os.PathLike[str]) -> None:
    """Take ``flock(LOCK_EX)`` on ``fd``, polling with backoff (1 ms doubling to 50 ms) for
    at most ``timeout`` seconds; :class:`LockTimeout` naming ``what`` after that. The one
    wait every botstore lock uses (the bot's writers here, the actions' in rootfs)."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeout(
                    what, f"lock held by another writer for over {timeout:g}s"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def acquire(target: str, directory: str, name: str, timeout: float) -> tuple[int, str]:
    """Take the writer lock of ``target``; returns the lock file's descriptor and its key.

    Reentrant per thread: a thread that already holds the lock (``file_lock``)
    may call :func:`core.storage.write.write_json` on the same path. Other threads and processes
    open their own descriptor, and ``flock`` excludes them.
    """
    key = os.path.abspath(target)
    held = _held.locks.get(key)
    if held is not None:
        held[1] += 1
        return held[0], key
    fd = _open_lock(target, directory, name)
    try:
        flock_exclusive(fd, timeout, target)
    except BaseException:
        _close_lock(fd)
        raise
    _held.locks[key] = [fd, 1]
    return fd, key


def release(key: str) -> None:
    held = _held.locks[key]
    held[1] -= 1
    if held[1] == 0:
        del _held.locks[key]
        _close_lock(held[0])


def _close_lock(fd: int) -> None:
    # Closing releases the flock. Linux frees the descriptor even when close
    # reports an error, and the lock file carries no data: nothing to report.
    with contextlib.suppress(OSError):
        os.close(fd)


@contextlib.contextmanager
def file_lock(path: PathLike, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the advisory lock that serializes writers of ``path`` (threads and processes).

    The lock is ``flock`` on the sidecar ``.<name>.lock``. ``flock`` locks belong
    to an open file description, so two threads of one process that each open
    the lock file exclude each other just as two processes do. Recovery actions
    take the same lock, so they never interleave with a bot save. Reentrant
    within a thread: ``write_json(path, ...)`` inside ``file_lock(path)`` does a
    read-modify-write without a window and without deadlocking.
    """
    _, key = acquire(*split_target(path), timeout)
    try:
        yield
    finally:
        release(key)


__all__ = [
    "CLEAN",
    "DEFAULT_LOCK_TIMEOUT",
    "DIRTY",
    "acquire",
    "file_lock",
    "flock_exclusive",
    "release",
    "set_mark",
]
