"""The actions' writer locks: the bot's sidecar ``.<name>.lock``, reached through a :class:`Dir`.

The same ``flock`` :func:`core.storage.lock.file_lock` takes (and the same wait,
:func:`core.storage.lock.flock_exclusive`), so an action never interleaves with a bot
save; the lock file is opened ``O_NOFOLLOW`` relative to its directory's descriptor.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from typing import Final

from core.errors import ActionError
from core.storage.lock import DEFAULT_LOCK_TIMEOUT, flock_exclusive
from core.storage.names import LOCK_SUFFIX
from core.storage.rootfs.dirfd import Dir, owner_for_new

_LOCK: Final = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC


class _Held(threading.local):
    def __init__(self) -> None:
        self.locks: dict[tuple[int, int], list[int]] = {}


_held = _Held()


@contextlib.contextmanager
def lock(parent: Dir, name: str, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[int]:
    """Hold the writer lock of ``parent/name`` (``flock`` on ``.<name>.lock``, the one
    :func:`core.storage.lock.file_lock` takes); yields the lock file's descriptor.

    The lock file is opened ``O_NOFOLLOW`` relative to ``parent``. Reentrant per
    thread (keyed by the lock file's inode).
    """
    fd = os.open(f".{name}{LOCK_SUFFIX}", _LOCK, 0o640, dir_fd=parent.fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{parent._name(name)}: lock file is not a regular file")
        owner = owner_for_new(parent.stat_self())
        if owner is not None and st.st_uid == 0 and owner[0] != 0:
            # Made by root just now (or earlier): the bot's own writers must open it too.
            with contextlib.suppress(OSError):
                os.fchown(fd, *owner)
        key = (st.st_dev, st.st_ino)
        held = _held.locks.get(key)
        if held is not None:
            os.close(fd)
            fd = -1
            held[1] += 1
            try:
                yield held[0]
            finally:
                held[1] -= 1
            return
        flock_exclusive(fd, timeout, parent._name(name))
        _held.locks[key] = [fd, 1]
        try:
            yield fd
        finally:
            del _held.locks[key]
    finally:
        if fd >= 0:
            with contextlib.suppress(OSError):
                os.close(fd)


__all__ = ["lock"]
