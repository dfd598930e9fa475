"""The containment layer: every change an action makes under the root goes through here.

A :class:`Dir` is a descriptor of one directory. Paths are root-relative POSIX
strings; each component is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to
its parent's descriptor (``openat``), and every change is made with
``dir_fd``/``src_dir_fd``/``dst_dir_fd`` on the final parent. No call takes a
path string after the walk, so a directory swapped for a symlink at any moment
makes the walk fail (``ELOOP``/``ENOTDIR`` -> :class:`OutsideRoot`) instead of
redirecting a write, rename, unlink, chmod or ``rmtree`` outside the root.

Writes are atomic (temp + fsync + rename + directory fsync, mode by
``fchmod``, owner kept), reads take bytes and identity from one descriptor,
locks are the bot's sidecar ``.<name>.lock`` ``flock`` (reentrant per thread).
OS calls go through ``os`` so tests can inject faults there.
"""

# ruff: noqa: PTH208, TRY301

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Final

from core.errors import ActionError
from core.standard.policy import DIR_MODE
from core.storage.atomic import DEFAULT_LOCK_TIMEOUT, LOCK_SUFFIX, flock_exclusive, temp_name

_CHUNK: Final = 1 << 20
_WALK: Final = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_NEW: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_LOCK: Final = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
_DIRTY: Final = b"1"
_CLEAN: Final = b"0"


class OutsideRoot(ActionError):
    """A path leaves the root (``..``, absolute, or through a symlink)."""

    code = "outside_root"


def parts(rel: str) -> list[str]:
    """The components of a clean root-relative path (else :class:`OutsideRoot`)."""
    pure = PurePosixPath(rel)
    names = rel.split("/")
    if not rel or pure.is_absolute() or any(p in {"", ".", ".."} for p in names):
        raise OutsideRoot(f"{rel!r}: not a clean path relative to the root")
    return names


def _refused(rel: str, name: str, exc: OSError) -> OSError | OutsideRoot:
    if exc.errno in {errno.ELOOP, errno.ENOTDIR}:
        return OutsideRoot(
            f"{rel}: {name} is a symlink or not a directory; refusing to go through it"
        )
    return exc


def _owner_for_new(parent: os.stat_result) -> tuple[int, int] | None:
    """Root creating an entry gives it the directory owner's ids (the bot must read it)."""
    if os.geteuid() != 0 or (parent.st_uid, parent.st_gid) == (0, 0):
        return None
    return parent.st_uid, parent.st_gid


class Dir:
    """An open directory descriptor (``O_PATH``) and the relpath it was reached by."""

    __slots__ = ("fd", "rel")

    def __init__(self, fd: int, rel: str) -> None:
        self.fd = fd
        self.rel = rel

    # ----------------------------------------------------------------- opening

    @classmethod
    def open_root(cls, root: str | os.PathLike[str]) -> Dir:
        """The root itself (an absolute, symlink-free path: see ``safety.real_root``)."""
        return cls(os.open(root, _WALK), "")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)

    def __enter__(self) -> Dir:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _name(self, name: str) -> str:
        return f"{self.rel}/{name}" if self.rel else name

    def sub(self, name: str, *, create: bool = False, mode: int = DIR_MODE) -> Dir:
        """The child directory ``name`` (never through a symlink); created 750 if asked."""
        rel = self._name(name)
        try:
            return Dir(os.open(name, _WALK, dir_fd=self.fd), rel)
        except FileNotFoundError:
            if not create:
                raise
        except OSError as exc:
            raise _refused(rel, name, exc) from exc
        try:
            os.mkdir(name, mode, dir_fd=self.fd)
        except FileExistsError:
            pass
        else:
            fd = os.open(
                name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd
            )
            try:
                owner = _owner_for_new(os.fstat(self.fd))
                if owner is not None:
                    os.fchown(fd, *owner)
                os.fchmod(fd, mode)  # mkdir's mode went through the umask
            finally:
                os.close(fd)
            self.fsync()
        try:
            return Dir(os.open(name, _WALK, dir_fd=self.fd), rel)
        except OSError as exc:
            raise _refused(rel, name, exc) from exc

    def walk(self, rel: str, *, create: bool = False) -> Dir:
        """The directory ``rel`` below this one, one component at a time."""
        current = Dir(os.dup(self.fd), self.rel)
        try:
            for name in parts(rel):
                nxt = current.sub(name, create=create)
                current.close()
                current = nxt
        except BaseException:
            current.close()
            raise
        return current

    # ----------------------------------------------------------------- reading

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def stat_self(self) -> os.stat_result:
        return os.fstat(self.fd)

    def read(self, name: str) -> tuple[bytes, os.stat_result]:
        """Bytes and identity of the regular file ``name``, from one descriptor."""
        try:
            fd = os.open(name, _READ, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ActionError(f"{self._name(name)}: is a symlink; not read") from exc
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise ActionError(f"{self._name(name)}: not a regular file")
            chunks: list[bytes] = []
            while chunk := os.read(fd, _CHUNK):
                chunks.append(chunk)
            return b"".join(chunks), st
        finally:
            os.close(fd)

    def names(self) -> list[str]:
        """The entries of this directory (sorted)."""
        fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.fd)
        try:
            return sorted(os.listdir(fd))
        finally:
            os.close(fd)

    # ----------------------------------------------------------------- writing

    def fsync(self) -> None:
        fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=self.fd)
        try:
            os.fsync(fd)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _write_new(
        self, name: str, payload: bytes, mode: int, owner: tuple[int, int] | None
    ) -> None:
        fd = os.open(name, _NEW, 0o600, dir_fd=self.fd)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                if written <= 0:  # never for regular files; guards against a spin
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, *owner)
            os.fchmod(fd, mode)  # after fchown, which may clear set-id bits
            os.fsync(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=self.fd)
            raise
        try:
            os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=self.fd)
            raise

    def create(self, name: str, payload: bytes, mode: int) -> None:
        """Write the new file ``name`` (must not exist), durably."""
        self._write_new(name, payload, mode, _owner_for_new(self.stat_self()))
        self.fsync()

    def replace(self, name: str, payload: bytes, mode: int, *, lock_fd: int | None = None) -> None:
        """Atomically replace (or create) ``name``: temp + fsync + rename + dir fsync.

        The owner of an existing file is kept. ``lock_fd``: the held sidecar lock,
        marked dirty while a temp exists (the bot's writers then sweep a crash
        leftover, as after their own crashes).
        """
        st = self.lstat(name)
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{self._name(name)}: not a regular file; refusing to replace it")
        owner = (st.st_uid, st.st_gid) if st is not None else _owner_for_new(self.stat_self())
        tmp = temp_name(name)
        if lock_fd is not None:
            _mark(lock_fd, _DIRTY)
        self._write_new(tmp, payload, mode, owner)
        try:
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.fd)
            raise
        if lock_fd is not None:
            with contextlib.suppress(OSError):
                _mark(lock_fd, _CLEAN)
        self.fsync()

    def append(self, name: str, line: bytes, mode: int) -> None:
        """Append ``line`` with one ``write`` (``O_APPEND``); a new file gets ``mode``."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, mode, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ActionError(f"{self._name(name)}: is a symlink; nothing written") from exc
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                raise ActionError(
                    f"{self._name(name)}: not a regular file with one link; nothing written"
                )
            if st.st_size == 0:  # new file: the umask may have changed its mode
                owner = _owner_for_new(self.stat_self())
                if owner is not None and st.st_uid == 0:
                    os.fchown(fd, *owner)
                os.fchmod(fd, mode)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)

    def unlink(self, name: str) -> None:
        os.unlink(name, dir_fd=self.fd)
        self.fsync()

    def rmtree(self, name: str) -> None:
        """Remove ``name`` (a directory tree, via descriptors only, or a file)."""
        st = self.lstat(name)
        if st is None:
            return
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(name, dir_fd=self.fd)  # fd-based walk: never follows a symlink
        else:
            os.unlink(name, dir_fd=self.fd)
        self.fsync()

    def mkdir_new(self, name: str, mode: int = DIR_MODE) -> None:
        """Create ``name`` (``FileExistsError`` when it exists) with ``mode``."""
        os.mkdir(name, mode, dir_fd=self.fd)
        fd = os.open(
            name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self.fd
        )
        try:
            owner = _owner_for_new(self.stat_self())
            if owner is not None:
                os.fchown(fd, *owner)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        self.fsync()


def _mark(lock_fd: int, mark: bytes) -> None:
    if os.pwrite(lock_fd, mark, 0) != 1:
        raise OSError(errno.EIO, "short write to lock file")


def rename_new(src: Dir, src_name: str, dst: Dir, dst_name: str) -> None:
    """Move ``src/src_name`` to the new name ``dst/dst_name`` (never overwrites).

    Across filesystems: copy through descriptors, fsync, unlink the source.
    """
    if dst.lstat(dst_name) is not None:
        raise ActionError(f"{dst._name(dst_name)}: already exists; refusing to overwrite")
    try:
        os.rename(src_name, dst_name, src_dir_fd=src.fd, dst_dir_fd=dst.fd)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        payload, st = src.read(src_name)
        dst._write_new(dst_name, payload, stat.S_IMODE(st.st_mode), (st.st_uid, st.st_gid))
        os.unlink(src_name, dir_fd=src.fd)
    dst.fsync()
    src.fsync()


# --------------------------------------------------------------------------- locks


class _Held(threading.local):
    def __init__(self) -> None:
        self.locks: dict[tuple[int, int], list[int]] = {}


_held = _Held()


@contextlib.contextmanager
def lock(parent: Dir, name: str, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[int]:
    """Hold the writer lock of ``parent/name`` (``flock`` on ``.<name>.lock``, the one
    :func:`core.storage.atomic.file_lock` takes); yields the lock file's descriptor.

    The lock file is opened ``O_NOFOLLOW`` relative to ``parent``. Reentrant per
    thread (keyed by the lock file's inode).
    """
    fd = os.open(f".{name}{LOCK_SUFFIX}", _LOCK, 0o640, dir_fd=parent.fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ActionError(f"{parent._name(name)}: lock file is not a regular file")
        owner = _owner_for_new(parent.stat_self())
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


# --------------------------------------------------------------------------- root-relative


@contextlib.contextmanager
def parent_of(root: Path, rel: str, *, create: bool = False) -> Iterator[tuple[Dir, str]]:
    """``(directory of rel, final name)``, reached from the root without symlinks."""
    names = parts(rel)
    with Dir.open_root(root) as top:
        directory = (
            top.walk("/".join(names[:-1]), create=create)
            if len(names) > 1
            else Dir(os.dup(top.fd), "")
        )
    try:
        yield directory, names[-1]
    finally:
        directory.close()


@contextlib.contextmanager
def dir_at(root: Path, rel: str, *, create: bool = False) -> Iterator[Dir]:
    """The directory ``rel`` ("" for the root), reached without symlinks."""
    with Dir.open_root(root) as top:
        directory = top.walk(rel, create=create) if rel else Dir(os.dup(top.fd), "")
    try:
        yield directory
    finally:
        directory.close()


def lstat(root: Path, rel: str) -> os.stat_result | None:
    """``lstat`` of ``root/rel`` (``None``: missing, also when a parent is missing)."""
    try:
        with parent_of(root, rel) as (directory, name):
            return directory.lstat(name)
    except FileNotFoundError:
        return None


def read(root: Path, rel: str) -> tuple[bytes, os.stat_result]:
    with parent_of(root, rel) as (directory, name):
        return directory.read(name)


def write(
    root: Path,
    rel: str,
    payload: bytes,
    mode: int,
    *,
    lock_fd: int | None = None,
    create_parents: bool = False,
) -> None:
    with parent_of(root, rel, create=create_parents) as (directory, name):
        directory.replace(name, payload, mode, lock_fd=lock_fd)


def create(root: Path, rel: str, payload: bytes, mode: int) -> None:
    with parent_of(root, rel, create=True) as (directory, name):
        directory.create(name, payload, mode)


def move(root: Path, src_rel: str, dst_rel: str) -> None:
    with (
        parent_of(root, src_rel) as (src, src_name),
        parent_of(root, dst_rel, create=True) as (dst, dst_name),
    ):
        rename_new(src, src_name, dst, dst_name)


def unlink(root: Path, rel: str) -> None:
    with parent_of(root, rel) as (directory, name):
        directory.unlink(name)


def rmtree(root: Path, rel: str) -> None:
    with parent_of(root, rel) as (directory, name):
        directory.rmtree(name)


def append(root: Path, rel: str, line: bytes, mode: int) -> None:
    with parent_of(root, rel, create=True) as (directory, name):
        directory.append(name, line, mode)


__all__ = [
    "Dir",
    "OutsideRoot",
    "append",
    "create",
    "dir_at",
    "lock",
    "lstat",
    "move",
    "parent_of",
    "parts",
    "read",
    "rename_new",
    "rmtree",
    "unlink",
    "write",
]
