"""Durable atomic file writes and careful JSON reads.

Write protocol (``atomic_write_bytes``), under an advisory lock per target:

1. write ``.<name>.<random>.tmp`` in the target's directory, ``fchmod`` it to
   the final mode (the existing file's, else the policy's — never umask's or
   mkstemp's 0600), ``fsync`` it, close it (a close error counts: on NFS it
   can be the first report of a failed write-back);
2. with ``backup=True``, hard-link the *current* file to a second temp name
   (copy + fsync where the filesystem has no hard links); the current file
   never leaves its place;
3. ``os.replace`` the new temp over the target — the commit point;
4. ``os.replace`` the linked old version over ``<name>.bak``;
5. ``fsync`` the directory so both renames survive a power cut.

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

The lock (``file_lock``, a ``flock`` on ``.<name>.lock``) is reentrant within a
thread, so a caller holding it can ``write_json`` the same path
(read-modify-write without a window).

Reads (``read_json``) open with ``O_NONBLOCK`` so a FIFO can never hang the
caller, check the file type and size with ``fstat`` before reading, and turn
every failure into a typed :class:`core.errors.StorageError`.

OS calls go through the ``os`` module on purpose (not ``pathlib``), so tests
can inject faults at the OS boundary by monkeypatching ``os.<call>``.
"""

# Deliberate: OS calls go through ``os`` (faults are injected there) and the hot path
# uses plain strings, not pathlib objects (measurable per-save overhead).
# ruff: noqa: PTH100, PTH101, PTH102, PTH105, PTH108, PTH118

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import errno
import fcntl
import logging
import math
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import orjson

from core.errors import (
    EmptyFile,
    FileMissing,
    InvalidJson,
    LockTimeout,
    NotRegularFile,
    NotUtf8,
    SerializationError,
    StorageError,
    TooDeep,
    TooLarge,
    Unreadable,
    UnsafeTarget,
    WriteFailed,
)
from core.standard.layout import BACKUP_SUFFIX
from core.standard.policy import DIR_MODE, expected_file_mode, has_sensitive_keys

_log = logging.getLogger("botstore.atomic")
PathLike = str | os.PathLike[str]

DEFAULT_MAX_BYTES: Final = 256 * 1024 * 1024
DEFAULT_LOCK_TIMEOUT: Final = 30.0
TEMP_SUFFIX: Final = ".tmp"
LOCK_SUFFIX: Final = ".lock"
_TEMP_HEX_BYTES: Final = 6
NAN_CHECK_MAX_BYTES: Final = 256 * 1024
_DUMP_OPTIONS: Final = (
    orjson.OPT_INDENT_2
    | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME
)
_NEW_FILE_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_NO_LINK_ERRNOS: Final = frozenset(
    {errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS}
)
_DIRTY: Final = b"1"
_CLEAN: Final = b"0"

_swept: set[str] = set()
_swept_guard = threading.Lock()


# --------------------------------------------------------------------------- names


def temp_name(target: str) -> str:
    """The recognizable temp-file name for ``target``'s base name: ``.<name>.<random>.tmp``."""
    return f".{target}.{os.urandom(_TEMP_HEX_BYTES).hex()}{TEMP_SUFFIX}"


def lock_path(path: PathLike) -> Path:
    """The sidecar advisory-lock file for ``path`` (``.<name>.lock``, never deleted)."""
    p = Path(path)
    return p.with_name(f".{p.name}{LOCK_SUFFIX}")


def backup_path(path: PathLike) -> Path:
    """``portfolio.json`` -> ``portfolio.json.bak``."""
    p = Path(path)
    return p.with_name(p.name + BACKUP_SUFFIX)


def is_temp_name(name: str) -> bool:
    """True for names our writers create (``.<name>.<hex>.tmp``)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def is_lock_name(name: str) -> bool:
    """True for our sidecar lock files (``.<name>.lock``)."""
    return name.startswith(".") and name.endswith(LOCK_SUFFIX)


def _temp_pattern(name: str) -> re.Pattern[str]:
    """Exactly the temp names of ``name`` (not those of ``name.bak`` or other files)."""
    return re.compile(
        rf"\.{re.escape(name)}\.[0-9a-f]{{{2 * _TEMP_HEX_BYTES}}}{re.escape(TEMP_SUFFIX)}"
    )


# --------------------------------------------------------------------------- locking


def _split(path: PathLike) -> tuple[str, str, str]:
    """``path`` -> (target, directory, base name) as plain strings (cheap, no pathlib)."""
    target = os.fspath(path)
    directory, name = os.path.split(target)
    return target, directory or ".", name


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


def _acquire(target: str, directory: str, name: str, timeout: float) -> tuple[int, str]:
    """Take the writer lock of ``target``; returns the lock file's descriptor and its key.

    Reentrant per thread: a thread that already holds the lock (``file_lock``)
    may call :func:`write_json` on the same path. Other threads and processes
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


def _release(key: str) -> None:
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
    _, key = _acquire(*_split(path), timeout)
    try:
        yield
    finally:
        _release(key)


# --------------------------------------------------------------------------- serialization


def _default(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        # The standard's form: always microseconds, offset only when aware.
        return obj.isoformat(timespec="microseconds")
    if isinstance(obj, (_dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            raise TypeError(f"non-finite Decimal {obj!s} cannot be stored as JSON")
        return float(obj)
    if isinstance(obj, (set, frozenset)):
        try:
            return sorted(obj)
        except TypeError:
            return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    module = type(obj).__module__
    if module == "numpy" or module.startswith("numpy."):
        # Arrays/scalars orjson does not take natively (non-contiguous, float16, object...).
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
    raise TypeError(f"type {type(obj).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    """Serialize like every botstore JSON file: 2-space indent, trailing newline.

    Datetimes are written as ``2024-01-01T00:00:00.000000`` (naive stay naive,
    aware keep their offset), ``Decimal`` becomes a float, sets become sorted
    lists, numpy scalars/arrays become numbers/lists. NaN and infinity are
    refused with their JSON path in payloads up to ``NAN_CHECK_MAX_BYTES``
    (orjson would write ``null``, which the schema then rejects on the next
    load: good data replaced by bad). Anything else
    raises :class:`TypeError` (or ``orjson.JSONEncodeError``) naming the problem.
    """
    payload = orjson.dumps(data, default=_default, option=_DUMP_OPTIONS)
    # orjson writes NaN/inf as null: look for them only when a null was written,
    # and only in state-sized payloads (the search costs ~0.5 ns/byte, +13 % on a
    # 2 MB save; the big file, the snapshot history, checks each new snapshot).
    if len(payload) <= NAN_CHECK_MAX_BYTES and b"null" in payload:
        where = non_finite_float(data)
        if where is not None:
            raise TypeError(
                f"non-finite float at {where} cannot be stored as JSON (orjson writes it as null)"
            )
    return payload


def non_finite_float(data: Any) -> str | None:
    """The JSON path of the first NaN/inf float in ``data``, or None (iterative: no depth limit)."""
    stack: list[tuple[str, Any]] = [("$", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return where
        elif isinstance(value, dict):
            stack.extend((f"{where}.{key}", item) for key, item in value.items())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalar or array
            stack.append((where, value.tolist()))
    return None


# --------------------------------------------------------------------------- writing


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        # A read-only directory descriptor: close errors carry no information.
        with contextlib.suppress(OSError):
            os.close(fd)


def _write_all(fd: int, payload: bytes | memoryview) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never for regular files; guards against a spin
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


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


def ensure_dir(directory: PathLike, mode: int = DIR_MODE) -> None:
    """Create ``directory`` (and parents) with the policy mode, whatever the umask."""
    d = Path(directory)
    missing: list[Path] = []
    while not d.exists():
        missing.append(d)
        d = d.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, mode)
        except FileExistsError:
            continue
        os.chmod(part, mode)  # mkdir's mode is filtered by the umask
        _fsync_dir(os.fspath(part.parent))  # the new entry survives a power cut


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
    pattern = _temp_pattern(name)
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
        return os.pread(lock_fd, 1, 0) == _DIRTY
    except OSError:
        return True


def _set_mark(lock_fd: int, mark: bytes) -> None:
    if os.pwrite(lock_fd, mark, 0) != 1:
        raise OSError(errno.EIO, "short write to lock file")


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
    _write_temp(dst, lambda fd: _write_all(fd, b"".join(chunks)), src_mode, None)


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
    target, directory, name = _split(path)
    lock_fd, lock_key = _acquire(target, directory, name, lock_timeout)
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
                    _set_mark(lock_fd, _CLEAN)

        try:
            _set_mark(lock_fd, _DIRTY)
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
            _fsync_dir(directory)
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
        _release(lock_key)


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
        lambda fd: _write_all(fd, payload),
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
        lambda fd: _write_all(fd, payload),
        backup=backup,
        mode=mode,
        sensitive=lambda: has_sensitive_keys(data),  # only asked for a new file
        lock_timeout=lock_timeout,
        worth_keeping=_json_worth_keeping,
    )


# --------------------------------------------------------------------------- reading


def read_bytes(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a regular file fully, refusing FIFOs/devices/directories without blocking on them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
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
            raise NotRegularFile(path, "is a symlink loop") from exc
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
        return data
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


def parse_json(payload: bytes, path: PathLike = "<bytes>") -> Any:
    """Parse JSON bytes, raising the precise :class:`StorageError` subclass on failure.

    The happy path is a single ``orjson.loads`` (which validates UTF-8 itself);
    the precise diagnosis only runs once parsing has failed.
    """
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        if not payload.strip():
            raise EmptyFile(
                path, "is empty" if not payload else "contains only whitespace"
            ) from exc
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = payload.count(b"\n", 0, bad.start) + 1
            raise NotUtf8(
                path,
                f"not UTF-8: invalid byte 0x{payload[bad.start]:02x} at offset {bad.start} "
                f"(line {line})",
            ) from exc
        message = exc.msg.lower()
        if "depth" in message or "recursion" in message:
            raise TooDeep(path, "nested too deeply (over 1024 levels)") from exc
        raise InvalidJson(path, exc.msg, exc.lineno, exc.colno) from exc


def read_json(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Load JSON from ``path`` or raise a :class:`StorageError` saying exactly what is wrong.

    Missing, not a regular file, unreadable, empty, not UTF-8, invalid JSON
    (with line and column), too deep, too large. Never blocks on a FIFO.
    """
    return parse_json(read_bytes(path, max_bytes=max_bytes), path)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "StorageError",
    "atomic_write",
    "atomic_write_bytes",
    "backup_path",
    "dumps",
    "ensure_dir",
    "file_lock",
    "flock_exclusive",
    "is_lock_name",
    "is_temp_name",
    "lock_path",
    "parse_json",
    "read_bytes",
    "read_json",
    "temp_name",
    "write_json",
]
