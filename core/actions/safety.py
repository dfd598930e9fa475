"""Root confinement for actions: clean relpaths, one-read fingerprints, fd-based chmod.

Every path an action touches is given relative to the bot root and reached by
:mod:`core.storage.rootfs` (one component at a time from a descriptor of the
root, ``O_NOFOLLOW | O_DIRECTORY``), so neither a symlinked file nor a
symlinked directory anywhere on the way can redirect a read or a change
outside the root, even if it is swapped in after the preview.
"""

# Deliberate: every OS call goes through ``os`` so faults can be injected there.
# ruff: noqa: PTH101, PTH117, PTH118

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Final

from core.actions.base import MISSING, ActionError, ChangedSincePreview, Fingerprint
from core.storage import rootfs
from core.storage.rootfs import OutsideRoot

_READ: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def real_root(root: str | os.PathLike[str]) -> Path:
    """The root as an absolute, symlink-free path (the root itself may be a symlink)."""
    return Path(os.path.realpath(root))


def clean_rel(root: Path, path: str | os.PathLike[str]) -> str:
    """``path`` (relative to ``root``, or absolute under it) as a normalized POSIX relpath.

    Raises :class:`OutsideRoot` when it points outside the root. Symlinks are not
    resolved here: :mod:`core.storage.rootfs` refuses them component by component.
    """
    raw = os.fspath(path)
    absolute = raw if os.path.isabs(raw) else os.path.join(root, raw)
    normal = os.path.normpath(absolute)
    base = os.path.normpath(root)
    if normal == base or not normal.startswith(base.rstrip(os.sep) + os.sep):
        raise OutsideRoot(f"{raw}: outside the root {base}")
    return PurePosixPath(*Path(os.path.relpath(normal, base)).parts).as_posix()


def open_beneath(root: Path, rel: str, flags: int = _READ) -> int:
    """Open ``root/rel`` with ``O_NOFOLLOW`` on every component; ``ELOOP`` for a symlink."""
    with rootfs.parent_of(root, rel) as (parent, name):
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=parent.fd)


def lstat_beneath(root: Path, rel: str) -> os.stat_result | None:
    """``lstat`` of ``root/rel`` without following symlinks on the way (``None``: missing)."""
    return rootfs.lstat(root, rel)


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def read_beneath(root: Path, rel: str) -> bytes:
    """The bytes of the regular file ``root/rel`` (symlinks and special files refused)."""
    return rootfs.read(root, rel)[0]


def sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _fingerprint_of(st: os.stat_result, digest: str | None) -> Fingerprint:
    return Fingerprint(
        kind_of(st.st_mode), digest, st.st_size, stat.S_IMODE(st.st_mode), st.st_ino, st.st_dev
    )


def fingerprint(root: Path, rel: str, *, hash_content: bool = True) -> Fingerprint:
    """What ``root/rel`` is now: kind, sha256 (regular files), size, mode, inode.

    ``hash_content=False`` skips reading (identity by inode, size and mode only).
    Content and identity come from one descriptor.
    """
    st = lstat_beneath(root, rel)
    if st is None:
        return MISSING
    if stat.S_ISREG(st.st_mode) and hash_content:
        try:
            payload, st = rootfs.read(root, rel)
        except FileNotFoundError:
            return MISSING
        except (OSError, ActionError):
            return _fingerprint_of(st, None)  # unreadable: identity by inode/size/mode only
        return _fingerprint_of(st, sha256(payload))
    return _fingerprint_of(st, None)


def _compare(rel: str, current: Fingerprint, expected: Fingerprint, check_inode: bool) -> None:
    same = (
        current.kind == expected.kind
        and current.sha256 == expected.sha256
        and current.size == expected.size
    )
    if same and check_inode and expected.exists:
        same = (current.inode, current.device) == (expected.inode, expected.device)
    if not same:
        what = (
            "now missing"
            if not current.exists
            else ("created since" if not expected.exists else "content or identity differs")
        )
        raise ChangedSincePreview(rel, what)


def verify(root: Path, rel: str, expected: Fingerprint, *, check_inode: bool = True) -> None:
    """Raise :class:`ChangedSincePreview` unless ``root/rel`` still matches ``expected``."""
    current = fingerprint(root, rel, hash_content=expected.sha256 is not None)
    _compare(rel, current, expected, check_inode)


def read_verified(
    root: Path, rel: str, expected: Fingerprint, *, check_inode: bool = True
) -> tuple[bytes | None, os.stat_result | None]:
    """The bytes of ``root/rel`` (``None``: missing), checked against ``expected`` — one read.

    What a caller quarantines, hashes and diffs is exactly what was verified.
    """
    st = lstat_beneath(root, rel)
    if st is None or not stat.S_ISREG(st.st_mode):
        _compare(rel, MISSING if st is None else _fingerprint_of(st, None), expected, check_inode)
        return None, st
    payload, st = rootfs.read(root, rel)
    digest = sha256(payload) if expected.sha256 is not None else None
    _compare(rel, _fingerprint_of(st, digest), expected, check_inode)
    return payload, st


def previewed_source(
    root: Path, source: str, expected_sha256: str | None, what: str
) -> Callable[[], bytes]:
    """A reader of ``source`` as the plan previewed it: read once through the containment
    layer, :class:`ChangedSincePreview` when its hash is no longer the one shown."""

    def read() -> bytes:
        data = read_beneath(root, source)
        if sha256(data) != expected_sha256:
            raise ChangedSincePreview(source, f"{what} content differs")
        return data

    return read


def chmod_beneath(root: Path, rel: str, mode: int, expected: Fingerprint) -> None:
    """Set ``root/rel``'s mode through a descriptor opened with ``O_NOFOLLOW``.

    Refuses symlinks (``ELOOP``), special files, hard-linked files (another
    name, maybe outside the root, shares the inode), and anything whose inode or
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
        if kind_of(st.st_mode) != expected.kind or expected.kind not in {"file", "dir"}:
            raise ChangedSincePreview(rel, f"now a {kind_of(st.st_mode)}")
        if (st.st_ino, st.st_dev) != (expected.inode, expected.device):
            raise ChangedSincePreview(rel, "replaced by another file")
        if stat.S_IMODE(st.st_mode) != expected.mode:
            raise ChangedSincePreview(rel, "mode changed")
        if expected.kind == "file" and st.st_nlink > 1:
            raise ActionError(
                f"{rel}: has {st.st_nlink} hard links (another name, maybe "
                "outside the root, shares it); mode not changed"
            )
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
    "fingerprint",
    "kind_of",
    "lstat_beneath",
    "open_beneath",
    "read_beneath",
    "read_verified",
    "real_root",
    "sha256",
    "verify",
]
