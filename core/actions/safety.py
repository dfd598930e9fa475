"""Root confinement and symlink-safe file operations for actions.

Every path an action changes is given relative to the bot root and opened by
walking down from the root one component at a time with ``O_NOFOLLOW``
(``openat`` via ``dir_fd``), so neither a symlinked file nor a symlinked
directory anywhere on the way can redirect a change outside the root, even if
it is swapped in after the preview. OS calls go through ``os`` so tests can
inject faults there.
"""

# Deliberate: every OS call goes through ``os`` so faults can be injected there.
# ruff: noqa: PTH101, PTH104, PTH105, PTH108, PTH117, PTH118

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Final

from core.actions.base import MISSING, ActionError, ChangedSincePreview, Fingerprint
from core.atomic import ensure_dir, temp_name

_CHUNK: Final = 1 << 20
_DIR_WALK: Final = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_NEW: Final = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


class OutsideRoot(ActionError):
    """A path leaves the root (``..``, absolute elsewhere, or through a symlink)."""


def real_root(root: str | os.PathLike[str]) -> Path:
    """The root as an absolute, symlink-free path (the root itself may be a symlink)."""
    return Path(os.path.realpath(root))


def clean_rel(root: Path, path: str | os.PathLike[str]) -> str:
    """``path`` (relative to ``root``, or absolute under it) as a normalized POSIX relpath.

    Raises :class:`OutsideRoot` when it points outside the root. Symlinks are not
    resolved here: :func:`open_beneath` refuses them component by component.
    """
    raw = os.fspath(path)
    absolute = raw if os.path.isabs(raw) else os.path.join(root, raw)
    normal = os.path.normpath(absolute)
    base = os.path.normpath(root)
    if normal == base or not normal.startswith(base.rstrip(os.sep) + os.sep):
        raise OutsideRoot(f"{raw}: outside the root {base}")
    return PurePosixPath(*Path(os.path.relpath(normal, base)).parts).as_posix()


def _parts(rel: str) -> list[str]:
    parts = PurePosixPath(rel).parts
    if not parts or any(p in {"", ".", ".."} for p in parts) or PurePosixPath(rel).is_absolute():
        raise OutsideRoot(f"{rel}: not a clean path relative to the root")
    return list(parts)


def open_parent(root: Path, rel: str) -> tuple[int, str]:
    """An ``O_PATH`` descriptor of ``rel``'s directory, reached without following symlinks."""
    parts = _parts(rel)
    fd = os.open(root, _DIR_WALK)
    try:
        for name in parts[:-1]:
            try:
                nxt = os.open(name, _DIR_WALK, dir_fd=fd)
            except OSError as exc:
                if exc.errno in {errno.ELOOP, errno.ENOTDIR}:
                    raise OutsideRoot(f"{rel}: {name} is a symlink or not a directory") from exc
                raise
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1]


def open_beneath(root: Path, rel: str, flags: int = _READ) -> int:
    """Open ``root/rel`` with ``O_NOFOLLOW`` on every component; ``ELOOP`` for a symlink."""
    parent, name = open_parent(root, rel)
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent)
    finally:
        os.close(parent)


def lstat_beneath(root: Path, rel: str) -> os.stat_result | None:
    """``lstat`` of ``root/rel`` without following symlinks on the way (``None``: missing)."""
    try:
        parent, name = open_parent(root, rel)
    except FileNotFoundError:
        return None
    try:
        return os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    finally:
        os.close(parent)


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def _read_fd(fd: int) -> bytes:
    chunks: list[bytes] = []
    while chunk := os.read(fd, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)


def read_beneath(root: Path, rel: str) -> bytes:
    """The bytes of the regular file ``root/rel`` (symlinks and special files refused)."""
    fd = open_beneath(root, rel)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ActionError(f"{rel}: not a regular file")
        return _read_fd(fd)
    finally:
        os.close(fd)


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def fingerprint(root: Path, rel: str, *, hash_content: bool = True) -> Fingerprint:
    """What ``root/rel`` is now: kind, sha256 (regular files), size, mode, inode.

    ``hash_content=False`` skips reading (identity by inode, size and mode only).
    """
    st = lstat_beneath(root, rel)
    if st is None:
        return MISSING
    kind = _kind(st.st_mode)
    digest: str | None = None
    if kind == "file" and hash_content:
        try:
            digest = sha256(read_beneath(root, rel))
        except OSError:
            digest = None  # unreadable: identity by inode/size/mode only
    return Fingerprint(kind, digest, st.st_size, stat.S_IMODE(st.st_mode), st.st_ino, st.st_dev)


def verify(root: Path, rel: str, expected: Fingerprint, *, check_inode: bool = True) -> None:
    """Raise :class:`ChangedSincePreview` unless ``root/rel`` still matches ``expected``."""
    current = fingerprint(root, rel, hash_content=expected.sha256 is not None)
    same = (current.kind == expected.kind and current.sha256 == expected.sha256
            and current.size == expected.size)
    if same and check_inode and expected.exists:
        same = (current.inode, current.device) == (expected.inode, expected.device)
    if not same:
        what = "now missing" if not current.exists else (
            "created since" if not expected.exists else "content or identity differs")
        raise ChangedSincePreview(rel, what)


# --------------------------------------------------------------------------- writing


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never for regular files; guards against a spin
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _write_new(path: str, payload: bytes, mode: int) -> None:
    """Create ``path`` (must not exist) with ``payload``, ``mode``, fsynced."""
    fd = os.open(path, _NEW, 0o600)
    try:
        _write_all(fd, payload)
        os.fchmod(fd, mode)
        os.fsync(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    try:
        os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise


def write_private_file(path: Path, payload: bytes, mode: int) -> None:
    """Atomically replace ``path`` with ``payload`` (temp + fsync + replace + dir fsync),
    without a lock sidecar: for the actions' own journal files, which only the
    holder of the actions lock writes. The bot's files go through :mod:`core.atomic`.
    The temp name is :func:`core.atomic.temp_name`'s, so a crash leftover is
    recognised by ``clean-temp``. On failure the old file is untouched.
    """
    st = None
    with contextlib.suppress(FileNotFoundError):
        st = os.lstat(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise ActionError(f"{path}: not a regular file; refusing to replace it")
    tmp = os.path.join(path.parent, temp_name(path.name))
    _write_new(tmp, payload, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def copy_to_new(payload: bytes, dest: Path, mode: int) -> None:
    """Write ``payload`` as the new file ``dest`` (parents created 750), durably."""
    ensure_dir(dest.parent)
    _write_new(os.fspath(dest), payload, mode)
    fsync_dir(dest.parent)


def move_file(source: Path, dest: Path) -> None:
    """Rename ``source`` to the new path ``dest`` (copy + fsync + unlink across filesystems)."""
    ensure_dir(dest.parent)
    if os.path.lexists(dest):
        raise ActionError(f"{dest}: already exists; refusing to overwrite")
    try:
        os.rename(source, dest)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd = os.open(source, _READ)
        try:
            st = os.fstat(fd)
            payload = _read_fd(fd)
        finally:
            os.close(fd)
        _write_new(os.fspath(dest), payload, stat.S_IMODE(st.st_mode))
        os.unlink(source)
    fsync_dir(dest.parent)
    fsync_dir(source.parent)


def chmod_beneath(root: Path, rel: str, mode: int, expected: Fingerprint) -> None:
    """Set ``root/rel``'s mode through a descriptor opened with ``O_NOFOLLOW``.

    Refuses symlinks (``ELOOP``), special files, and anything whose inode or
    type differs from ``expected``. An entry we may not open for reading (mode
    000) is opened ``O_PATH`` and changed via ``/proc/self/fd`` — that magic link
    names the already-opened inode, never a path that could be swapped.
    """
    flags = _READ | (os.O_DIRECTORY if expected.kind == "dir" else 0)
    try:
        fd = open_beneath(root, rel, flags)
        via_path = False
    except PermissionError:
        fd = open_beneath(root, rel, os.O_PATH)
        via_path = True
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ActionError(f"{rel}: is a symlink; not touched") from exc
        raise
    try:
        st = os.fstat(fd)
        if _kind(st.st_mode) != expected.kind or expected.kind not in {"file", "dir"}:
            raise ChangedSincePreview(rel, f"now a {_kind(st.st_mode)}")
        if (st.st_ino, st.st_dev) != (expected.inode, expected.device):
            raise ChangedSincePreview(rel, "replaced by another file")
        if stat.S_IMODE(st.st_mode) != expected.mode:
            raise ChangedSincePreview(rel, "mode changed")
        if via_path:
            os.chmod(f"/proc/self/fd/{fd}", mode)
        else:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


__all__ = [
    "OutsideRoot",
    "chmod_beneath",
    "clean_rel",
    "copy_to_new",
    "fingerprint",
    "fsync_dir",
    "lstat_beneath",
    "move_file",
    "open_beneath",
    "open_parent",
    "read_beneath",
    "real_root",
    "sha256",
    "verify",
    "write_private_file",
]
