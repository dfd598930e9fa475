"""The descriptor walk: :class:`Dir`, one open directory, and the changes made relative to it.

Paths are root-relative POSIX strings; each component is opened with
``O_NOFOLLOW | O_DIRECTORY`` relative to its parent's descriptor (``openat``), and
every change is made with ``dir_fd``/``src_dir_fd``/``dst_dir_fd`` on the final
parent. No call takes a path string after the walk, so a directory swapped for a
symlink at any moment makes the walk fail (``ELOOP``/``ENOTDIR`` ->
:class:`OutsideRoot`) instead of redirecting a write, rename, unlink, chmod or
``rmtree`` outside the root. Writes are atomic (temp + fsync + rename + directory
fsync, mode by ``fchmod``, owner kept); reads take bytes and identity from one
descriptor. OS calls go through ``os`` so tests can inject faults there.
"""

# ruff: noqa: PTH208

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
from pathlib import PurePosixPath
from typing import Final

from core.errors import ActionError
from core.standard.policy import DIR_MODE
from core.storage.fsops import fsync_dir, write_all
from core.storage.lock import CLEAN, DIRTY, set_mark
from core.storage.names import temp_name

_CHUNK: Final = 1 << 20
_WALK: Final = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_NEW: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


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


def owner_for_new(parent: os.stat_result) -> tuple[int, int] | None:
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
                owner = owner_for_new(os.fstat(self.fd))
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

    def _open(self, name: str, flags: int, refused: str, mode: int = 0o777) -> int:
        """``os.open`` of ``name`` in this directory; a symlink (``ELOOP`` under
        ``O_NOFOLLOW``) is an :class:`ActionError` ending in ``refused``."""
        try:
            return os.open(name, flags, mode, dir_fd=self.fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ActionError(f"{self._name(name)}: is a symlink; {refused}") from exc
            raise

    def read(self, name: str) -> tuple[bytes, os.stat_result]:
        """Bytes and identity of the regular file ``name``, from one descriptor."""
        fd = self._open(name, _READ, "not read")
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
        fsync_dir(".", dir_fd=self.fd)

    def _write_new(
        self, name: str, payload: bytes, mode: int, owner: tuple[int, int] | None
    ) -> None:
        fd = os.open(name, _NEW, 0o600, dir_fd=self.fd)
        try:
            write_all(fd, payload)
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
        self._write_new(name, payload, mode, owner_for_new(self.stat_self()))
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
        owner = (st.st_uid, st.st_gid) if st is not None else owner_for_new(self.stat_self())
        tmp = temp_name(name)
        if lock_fd is not None:
            set_mark(lock_fd, DIRTY)
        self._write_new(tmp, payload, mode, owner)
        try:
            os.replace(tmp, name, src_dir_fd=self.fd, dst_dir_fd=self.fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=self.fd)
            raise
        if lock_fd is not None:
            with contextlib.suppress(OSError):
                set_mark(lock_fd, CLEAN)
        self.fsync()

    def append(self, name: str, line: bytes, mode: int) -> None:
        """Append ``line`` with one ``write`` (``O_APPEND``); a new file gets ``mode``."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = self._open(name, flags, "nothing written", mode)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                raise ActionError(
                    f"{self._name(name)}: not a regular file with one link; nothing written"
                )
            if st.st_size == 0:  # new file: the umask may have changed its mode
                owner = owner_for_new(self.stat_self())
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
            owner = owner_for_new(self.stat_self())
            if owner is not None:
                os.fchown(fd, *owner)
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        self.fsync()


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


__all__ = ["Dir", "OutsideRoot", "owner_for_new", "parts", "rename_new"]
