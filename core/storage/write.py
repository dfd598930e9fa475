"""Durable atomic file writes: ``atomic_write``, ``atomic_write_bytes``, ``write_json``.

Write protocol (``_commit``), under the advisory lock of the target
(:func:`core.storage.lock.file_lock`):

1. **temp** — write ``.<name>.<random>.tmp`` in the target's directory, ``fchmod`` it
   to the final mode (the existing file's, else the policy's — never umask's or
   mkstemp's 0600), ``fsync`` it, close it (a close error counts: on NFS it can be
   the first report of a failed write-back);
2. **link old** — with ``backup=True``, hard-link the *current* file to a second temp
   name (copy + fsync where the filesystem has no hard links); the current file
   never leaves its place;
3. **commit** — ``os.replace`` the new temp over the target (the commit point);
4. **rotate** — ``os.replace`` the linked old version over ``<name>.bak``;
5. **sync dir** — ``fsync`` the directory so both renames survive a power cut.

At every instant the target is a complete file (old or new) and ``.bak`` is a
complete file (the previous backup or the version just replaced). A failure
before step 3 removes the temp files and leaves target and ``.bak`` untouched
(:class:`WriteFailed` with ``committed=False``); a failure in steps 4-5 leaves
the new target and a complete ``.bak`` (``committed=True``).

Crash debris: a writer that dies (SIGKILL, power cut) between steps 1 and 4
leaves a temp file. Every writer marks the lock file "dirty" (one byte) before
creating temps and clears the mark when none of its temps remain; the next
writer that finds the mark set — and every process on its first write of a
path — sweeps ``.<name>.<hex>.tmp`` under the lock, so no temp survives a
later successful save.

OS calls go through the ``os`` module on purpose (not ``pathlib``), so tests
can inject faults at the OS boundary by monkeypatching ``os.<call>``.
"""

# Deliberate: OS calls go through ``os`` (faults are injected there) and the hot path
# uses plain strings, not pathlib objects (measurable per-save overhead).
# ruff: noqa: PTH100, PTH105, PTH108, PTH118

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import threading
from collections.abc import Callable
from typing import IO, Any, Final

import orjson

from core.errors import SerializationError, StorageError, Unreadable, UnsafeTarget, WriteFailed
from core.standard.layout import BACKUP_SUFFIX
from core.standard.policy import expected_file_mode, has_sensitive_keys
from core.storage.codec import dumps, parse_json
from core.storage.fsops import fsync_dir, write_all
from core.storage.lock import CLEAN, DEFAULT_LOCK_TIMEOUT, DIRTY, acquire, release, set_mark
from core.storage.names import PathLike, split_target, temp_name, temp_pattern
from core.storage.read import read_bytes

_log = logging.getLogger("botstore.atomic")

_NEW_FILE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_NO_LINK_ERRNOS: Final = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}
)

_swept: set[str] = set()
_swept_guard = threading.Lock()


def _existing(target: str) -> os.stat_result | None:
    """lstat the target; refuse symlinks and non-regular files."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteFailed(
            target, f"cannot stat target, target untouched: {exc.strerror or exc}", cause=exc
        ) from exc
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeTarget(target, "is a symlink; refusing to replace it (write to the real file)")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeTarget(target, "is not a regular file; refusing to replace it")
    return st


def _unlink_quietly(path: str) -> bool:
    """Remove ``path``; True when it is gone afterwards."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def _sweep_stale_temps(directory: str, name: str) -> None:
    """Remove temp files of ``name`` left by a crashed writer (called under the lock)."""
    prefix = f".{name}."
    pattern = temp_pattern(name)
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(prefix) and pattern.fullmatch(entry.name):
                _unlink_quietly(entry.path)


def _needs_sweep(lock_fd: int, target: str) -> bool:
    """First write of ``target`` by this process, or a previous writer died mid-save."""
    key = os.path.abspath(target)
    with _swept_guard:
        first = key not in _swept
        _swept.add(key)
    if first:
        return True
    try:
        return os.pread(lock_fd, 1, 0) == DIRTY
    except OSError:
        return True


def _write_temp(
    tmp: str, fill: Callable[[int], None], mode: int, owner: tuple[int, int] | None
) -> _Identity:
    """Create, fill, chown/chmod and fsync ``tmp``; returns its identity (kept by rename)."""
    fd = os.open(tmp, _NEW_FILE_FLAGS, 0o600)
    try:
        fill(fd)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            # Root (or a group member) saving someone else's file keeps its owner.
            with contextlib.suppress(PermissionError):
                os.fchown(fd, owner[0], owner[1])
        os.fchmod(fd, mode)  # after fchown, which may clear set-id bits
        os.fsync(fd)
        written = _identity(os.fstat(fd))
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        raise
    os.close(fd)
    return written


#: (st_dev, st_ino, st_size, st_mtime_ns): a file's identity, unchanged by rename/link.
_Identity = tuple[int, int, int, int]
#: What this process last committed per target, so a save knows the current file is
#: complete JSON without re-reading it (a bot saving in a loop never pays for the check).
_committed: dict[str, _Identity] = {}


def _identity(st: os.stat_result) -> _Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _json_worth_keeping(target: str, st: os.stat_result) -> bool:
    """True when the current file is valid JSON, i.e. worth rotating into ``.bak``.

    A corrupt current file (truncated by a crash outside botstore, zeroed by a
    full disk...) must never replace a good ``.bak`` — that would destroy the
    one copy recovery needs. Files this process committed itself are trusted by
    identity; anything else is read and parsed once.
    """
    if _committed.get(target) == _identity(st):
        return True
    try:
        parse_json(read_bytes(target), target)
    except Unreadable as exc:
        # An I/O error is not a verdict on the content: fail the save, touch nothing.
        if isinstance(exc.__cause__, OSError):
            raise exc.__cause__ from exc
        raise OSError(errno.EIO, exc.reason) from exc
    except StorageError:
        _log.warning("%s: current file is not valid JSON; keeping the existing .bak", target)
        return False
    return True


def _link_or_copy(src: str, dst: str, src_mode: int) -> None:
    """Hard-link ``src`` to ``dst``; copy (with fsync) where the filesystem has no links."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in _NO_LINK_ERRNOS:
            raise
    else:
        return
    fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        chunks: list[bytes] = []
        while chunk := os.read(fd_in, 1 << 20):
            chunks.append(chunk)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd_in)
    _write_temp(dst, lambda fd: write_all(fd, b"".join(chunks)), src_mode, None)


def _never_sensitive() -> bool:
    return False


def _commit(
    path: PathLike,
    fill: Callable[[int], None],
    *,
    backup: bool,
    mode: int | None,
    sensitive: Callable[[], bool],
    lock_timeout: float,
    worth_keeping: Callable[[str, os.stat_result], bool] | None = None,
) -> None:
    """The write protocol (module docstring). ``sensitive`` is only asked for new files;
    ``worth_keeping`` decides whether the current file may become the ``.bak``."""
    target, directory, name = split_target(path)
    lock_fd, lock_key = acquire(target, directory, name, lock_timeout)
    try:
        existing = _existing(target)
        if mode is None:
            mode = (
                stat.S_IMODE(existing.st_mode) & 0o777
                if existing is not None
                else expected_file_mode(target, sensitive=sensitive())
            )
        owner = (existing.st_uid, existing.st_gid) if existing is not None else None
        if _needs_sweep(lock_fd, target):
            _sweep_stale_temps(directory, name)
        pending: list[str] = []  # our temp files that still exist
        old_link: str | None = None

        def cleanup() -> None:
            pending[:] = [p for p in pending if not _unlink_quietly(p)]
            if not pending:
                with contextlib.suppress(OSError):
                    set_mark(lock_fd, CLEAN)

        try:
            set_mark(lock_fd, DIRTY)
            tmp = os.path.join(directory, temp_name(name))
            pending.append(tmp)
            written = _write_temp(tmp, fill, mode, owner)
            if (
                backup
                and existing is not None
                and (worth_keeping is None or worth_keeping(target, existing))
            ):
                old_link = os.path.join(directory, temp_name(name))
                pending.append(old_link)
                _link_or_copy(target, old_link, stat.S_IMODE(existing.st_mode) & 0o777)
            os.replace(tmp, target)  # the commit point
            pending.remove(tmp)
            _committed[target] = written
        except OSError as exc:
            cleanup()
            raise WriteFailed(
                target, f"write failed, target untouched: {exc.strerror or exc}", cause=exc
            ) from exc
        except BaseException:
            cleanup()
            raise
        # Committed: the new content is in place. What follows keeps the old version
        # as .bak and makes both renames durable.
        try:
            if old_link is not None:
                os.replace(old_link, target + BACKUP_SUFFIX)
                pending.remove(old_link)
            fsync_dir(directory)
        except OSError as exc:
            raise WriteFailed(
                target,
                f"new content written but backup/directory sync failed: {exc.strerror or exc}",
                cause=exc,
                committed=True,
            ) from exc
        finally:
            cleanup()
    finally:
        release(lock_key)


def atomic_write(
    path: PathLike,
    writer: Callable[[IO[bytes]], object],
    *,
    backup: bool = False,
    mode: int | None = None,
    sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Atomically replace ``path`` with what ``writer`` writes to a binary file object.

    ``mode``: explicit mode; default keeps the existing file's mode, else the
    policy mode for the path (600 when ``sensitive``). Raises
    :class:`UnsafeTarget` for symlinks/non-regular targets, :class:`WriteFailed`
    for OS errors, :class:`LockTimeout` when another writer holds the lock.
    """

    def fill(fd: int) -> None:
        with os.fdopen(fd, "wb", closefd=False) as handle:
            writer(handle)

    _commit(
        path,
        fill,
        backup=backup,
        mode=mode,
        sensitive=(lambda: True) if sensitive else _never_sensitive,
        lock_timeout=lock_timeout,
    )


def atomic_write_bytes(
    path: PathLike,
    payload: bytes,
    *,
    backup: bool = False,
    mode: int | None = None,
    sensitive: bool = False,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Atomically replace ``path`` with ``payload`` (see :func:`atomic_write`)."""
    _commit(
        path,
        lambda fd: write_all(fd, payload),
        backup=backup,
        mode=mode,
        sensitive=(lambda: True) if sensitive else _never_sensitive,
        lock_timeout=lock_timeout,
    )


def write_json(
    path: PathLike,
    data: Any,
    *,
    backup: bool = True,
    mode: int | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Durably and atomically save ``data`` as JSON at ``path``, keeping the old one as ``.bak``.

    New files get mode 640, or 600 when the name or top-level keys look
    sensitive; existing files keep their mode. A current file that is not valid
    JSON is replaced but never rotated into ``.bak`` (the good ``.bak`` stays). Raises
    :class:`SerializationError` before touching the disk if ``data`` cannot be
    serialized.
    """
    try:
        payload = dumps(data)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise SerializationError(path, f"cannot serialize: {exc}") from exc
    _commit(
        path,
        lambda fd: write_all(fd, payload),
        backup=backup,
        mode=mode,
        sensitive=lambda: has_sensitive_keys(data),  # only asked for a new file
        lock_timeout=lock_timeout,
        worth_keeping=_json_worth_keeping,
    )


__all__ = ["atomic_write", "atomic_write_bytes", "write_json"]
