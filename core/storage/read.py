"""Careful reads: a regular file's bytes (``read_bytes``) or its JSON (``read_json``).

Reads open with ``O_NONBLOCK`` so a FIFO can never hang the caller, check the file
type and size with ``fstat`` before reading, and turn every failure into a typed
:class:`core.errors.StorageError`. OS calls go through the ``os`` module on purpose,
so tests can inject faults at the OS boundary by monkeypatching ``os.<call>``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import Any, Final

from core.errors import FileMissing, NotRegularFile, TooLarge, Unreadable
from core.storage.codec import parse_json
from core.storage.names import PathLike

DEFAULT_MAX_BYTES: Final = 256 * 1024 * 1024


def read_bytes(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a regular file fully, refusing FIFOs/devices/directories without blocking on them."""
    return read_regular(path, max_bytes=max_bytes)[0]


def read_regular(
    path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES, nofollow: bool = False
) -> tuple[bytes, os.stat_result]:
    """:func:`read_bytes`, plus the ``fstat`` of the file the bytes came from.

    ``nofollow``: a symlink as the last component is refused (``ELOOP``), so the
    caller can compare the ``fstat`` with what it ``lstat``-ed before.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW if nofollow else flags)
    except FileNotFoundError as exc:
        raise FileMissing(path, "does not exist") from exc
    except PermissionError as exc:
        raise Unreadable(path, "permission denied") from exc
    except IsADirectoryError as exc:
        raise NotRegularFile(path, "is a directory") from exc
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a device with nothing behind it
            raise NotRegularFile(path, "is a FIFO, socket or device, not a regular file") from exc
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(path, "is a symlink" if nofollow else "is a symlink loop") from exc
        raise Unreadable(path, exc.strerror or str(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, f"is a {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise TooLarge(path, f"{st.st_size} bytes exceeds the {max_bytes}-byte cap")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        # One read of the whole file in the common case (size + 1 to see EOF).
        want = st.st_size + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, max(want, 1 << 16)))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if len(data) > max_bytes:
            raise TooLarge(path, f"grew past the {max_bytes}-byte cap while reading")
        return data, st
    except OSError as exc:
        raise Unreadable(path, exc.strerror or str(exc)) from exc
    finally:
        with contextlib.suppress(OSError):  # read-only descriptor: nothing to report
            os.close(fd)


def _kind(st_mode: int) -> str:
    if stat.S_ISDIR(st_mode):
        return "directory"
    if stat.S_ISFIFO(st_mode):
        return "FIFO"
    if stat.S_ISSOCK(st_mode):
        return "socket"
    if stat.S_ISCHR(st_mode) or stat.S_ISBLK(st_mode):
        return "device"
    if stat.S_ISLNK(st_mode):
        return "symlink"
    return "special file"


def read_json(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Load JSON from ``path`` or raise a :class:`StorageError` saying exactly what is wrong.

    Missing, not a regular file, unreadable, empty, not UTF-8, invalid JSON
    (with line and column), too deep, too large. Never blocks on a FIFO.
    """
    return parse_json(read_bytes(path, max_bytes=max_bytes), path)


__all__ = ["DEFAULT_MAX_BYTES", "read_bytes", "read_json", "read_regular"]
