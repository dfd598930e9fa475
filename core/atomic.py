"""Durable atomic file writes and careful JSON reads.

Write protocol (``atomic_write_bytes``), under an advisory lock per target:

1. write ``.<name>.<random>.tmp`` in the target's directory, ``fchmod`` it to
   the final mode (the existing file's, else the policy's — never umask's or
   mkstemp's 0600), ``fsync`` it;
2. with ``backup=True``, hard-link the *current* file to a second temp name
   (no copy, and the current file never leaves its place);
3. ``os.replace`` the new temp over the target — the commit point;
4. ``os.replace`` the linked old version over ``<name>.bak``;
5. ``fsync`` the directory so both renames survive a power cut.

At every instant the target is a complete file (old or new) and ``.bak`` is a
complete file (the previous backup or the version just replaced). A failure
before step 3 removes the temp files and leaves target and ``.bak`` untouched.

Reads (``read_json``) open with ``O_NONBLOCK`` so a FIFO can never hang the
caller, check the file type and size with ``fstat`` before reading, and turn
every failure into a typed :class:`core.errors.StorageError`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import decimal
import errno
import fcntl
import os
import secrets
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
from core.policy import DIR_MODE, expected_file_mode, has_sensitive_keys

PathLike = str | os.PathLike[str]

DEFAULT_MAX_BYTES: Final = 256 * 1024 * 1024
DEFAULT_LOCK_TIMEOUT: Final = 30.0
TEMP_SUFFIX: Final = ".tmp"
LOCK_SUFFIX: Final = ".lock"
BACKUP_SUFFIX: Final = ".bak"
_DUMP_OPTIONS: Final = orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE

_swept: set[str] = set()
_swept_guard = threading.Lock()


# --------------------------------------------------------------------------- names


def temp_name(target: str) -> str:
    """The recognizable temp-file name for ``target``'s base name: ``.<name>.<random>.tmp``."""
    return f".{target}.{secrets.token_hex(6)}{TEMP_SUFFIX}"


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


# --------------------------------------------------------------------------- locking


@contextlib.contextmanager
def file_lock(path: PathLike, *, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the advisory lock that serializes writers of ``path`` (threads and processes).

    ``flock`` locks belong to an open file description, so two threads of one
    process that each open the lock file exclude each other just as two
    processes do. Recovery actions take the same lock, so they never interleave
    with a bot save.
    """
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o640)
    except OSError as exc:
        raise WriteFailed(path, f"cannot open lock file {lock.name}: {exc.strerror}", cause=exc) from exc
    try:
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(path, f"lock held by another writer for over {timeout:g}s") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock


# --------------------------------------------------------------------------- serialization


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            raise TypeError(f"non-finite Decimal {obj!s} cannot be stored as JSON")
        return float(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    raise TypeError(f"type {type(obj).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    """Serialize like every botstore JSON file: 2-space indent, trailing newline.

    Datetimes keep their form (naive stay naive, aware keep their offset),
    ``Decimal`` becomes a float, numpy scalars/arrays are native. Anything else
    raises :class:`TypeError` naming the type.
    """
    return orjson.dumps(data, default=_default, option=_DUMP_OPTIONS)


# --------------------------------------------------------------------------- writing


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _existing(path: Path) -> os.stat_result | None:
    """lstat the target; refuse symlinks and non-regular files."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeTarget(path, "is a symlink; refusing to replace it (write to the real file)")
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeTarget(path, "is not a regular file; refusing to replace it")
    return st


def ensure_dir(directory: PathLike, mode: int = DIR_MODE) -> None:
    """Create ``directory`` (and parents) with the policy mode, whatever the umask."""
    d = Path(directory)
    missing: list[Path] = []
    while not d.exists():
        missing.append(d)
        d = d.parent
    for part in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(part, mode)
            os.chmod(part, mode)


def _sweep_stale_temps(directory: Path, name: str, keep: str) -> None:
    """Remove temp files of ``name`` left by a crashed writer (called under the lock)."""
    prefix = f".{name}."
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name != keep and entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _sweep_once(path: Path, keep: str) -> None:
    key = os.fspath(path)
    with _swept_guard:
        if key in _swept:
            return
        _swept.add(key)
    _sweep_stale_temps(path.parent, path.name, keep)


def _write_temp(directory: Path, name: str, writer: Callable[[IO[bytes]], None], mode: int,
                owner: tuple[int, int] | None) -> Path:
    tmp = directory / temp_name(name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "wb", closefd=False) as handle:
            writer(handle)
            handle.flush()
        os.fchmod(fd, mode)
        if owner is not None and owner != (os.geteuid(), os.getegid()):
            with contextlib.suppress(PermissionError):
                os.fchown(fd, owner[0], owner[1])
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst``; copy (with fsync) where the filesystem has no links."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK, errno.ENOSYS):
            raise
        st = os.lstat(src)
        with open(src, "rb") as source:
            data = source.read()
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            _write_all(fd, data)
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(
    path: PathLike,
    writer: Callable[[IO[bytes]], None],
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
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        ensure_dir(directory)
    with file_lock(target, timeout=lock_timeout):
        existing = _existing(target)
        if mode is None:
            mode = (
                stat.S_IMODE(existing.st_mode)
                if existing is not None
                else expected_file_mode(target, sensitive=sensitive)
            )
        owner = (existing.st_uid, existing.st_gid) if existing is not None else None
        tmp: Path | None = None
        old_link: Path | None = None
        try:
            tmp = _write_temp(directory, target.name, writer, mode, owner)
            if backup and existing is not None:
                old_link = directory / temp_name(target.name + BACKUP_SUFFIX)
                _link_or_copy(target, old_link)
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:
            for leftover in (tmp, old_link):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
            raise WriteFailed(target, f"write failed, target untouched: {exc.strerror or exc}",
                              cause=exc) from exc
        except BaseException:
            for leftover in (tmp, old_link):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        os.unlink(leftover)
            raise
        # Committed: the new content is in place. What follows only improves durability.
        try:
            if old_link is not None:
                try:
                    os.replace(old_link, backup_path(target))
                except OSError:
                    with contextlib.suppress(OSError):
                        os.unlink(old_link)
                    raise
            _fsync_dir(directory)
        except OSError as exc:
            raise WriteFailed(
                target,
                f"new content written but backup/directory sync failed: {exc.strerror or exc}",
                cause=exc,
                committed=True,
            ) from exc
        _sweep_once(target, keep="")


def atomic_write_bytes(path: PathLike, payload: bytes, **kwargs: Any) -> None:
    """Atomically replace ``path`` with ``payload`` (see :func:`atomic_write`)."""
    atomic_write(path, lambda handle: handle.write(payload) and None, **kwargs)


def write_json(
    path: PathLike,
    data: Any,
    *,
    backup: bool = True,
    mode: int | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> None:
    """Durably and atomically save ``data`` as JSON at ``path``, keeping the old version as ``.bak``.

    New files get mode 640, or 600 when the name or top-level keys look
    sensitive; existing files keep their mode. Raises
    :class:`SerializationError` before touching the disk if ``data`` cannot be
    serialized.
    """
    try:
        payload = dumps(data)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise SerializationError(path, f"cannot serialize: {exc}") from exc
    sensitive = has_sensitive_keys(data)
    atomic_write(path, lambda handle: _write_all(handle.fileno(), payload), backup=backup,
                 mode=mode, sensitive=sensitive, lock_timeout=lock_timeout)


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
        if exc.errno == errno.ENXIO:  # a FIFO/socket with no writer
            raise NotRegularFile(path, "is a FIFO or socket, not a regular file") from exc
        raise Unreadable(path, exc.strerror or str(exc)) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(path, f"is a {_kind(st.st_mode)}, not a regular file")
        if st.st_size > max_bytes:
            raise TooLarge(path, f"{st.st_size} bytes exceeds the {max_bytes}-byte cap")
        chunks: list[bytes] = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise TooLarge(path, f"grew past the {max_bytes}-byte cap while reading")
        return data
    except OSError as exc:
        raise Unreadable(path, exc.strerror or str(exc)) from exc
    finally:
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
    """Parse JSON bytes, raising the precise :class:`StorageError` subclass on failure."""
    if not payload.strip():
        raise EmptyFile(path, "is empty" if not payload else "contains only whitespace")
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = payload.count(b"\n", 0, exc.start) + 1
        raise NotUtf8(path, f"not UTF-8: invalid byte 0x{payload[exc.start]:02x} at offset "
                            f"{exc.start} (line {line})") from exc
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        if "depth" in exc.msg.lower() or "recursion" in exc.msg.lower():
            raise TooDeep(path, "nested too deeply (over 1024 levels)") from exc
        raise InvalidJson(path, exc.msg, exc.lineno, exc.colno) from exc


def read_json(path: PathLike, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Load JSON from ``path`` or raise a :class:`StorageError` saying exactly what is wrong.

    Missing, not a regular file, unreadable, empty, not UTF-8, invalid JSON
    (with line and column), too deep, too large. Never blocks on a FIFO.
    """
    return parse_json(read_bytes(path, max_bytes=max_bytes), path)


__all__ = [
    "BACKUP_SUFFIX",
    "DEFAULT_MAX_BYTES",
    "StorageError",
    "atomic_write",
    "atomic_write_bytes",
    "backup_path",
    "dumps",
    "ensure_dir",
    "file_lock",
    "is_lock_name",
    "is_temp_name",
    "lock_path",
    "parse_json",
    "read_bytes",
    "read_json",
    "temp_name",
    "write_json",
]
