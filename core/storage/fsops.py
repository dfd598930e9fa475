"""The file-system steps every durable write shares: directory fsync, full write, mkdir -p.

``fsync_dir`` is the one directory fsync of botstore (a rename, create or unlink
survives a power cut only once its directory is synced): the path-based writers
(:mod:`core.storage.write`, :mod:`core.documents.recovery`) give it a path, the
descriptor-based layer (:mod:`core.storage.rootfs`, and through it the actions and
the cloud restore) a ``dir_fd``. OS calls go through ``os`` on purpose, so tests can
inject faults at the OS boundary by monkeypatching ``os.<call>``.
"""

# Deliberate: OS calls go through ``os`` (faults are injected there).
# ruff: noqa: PTH101, PTH102

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from core.standard.policy import DIR_MODE
from core.storage.names import PathLike


def fsync_dir(directory: PathLike = ".", *, dir_fd: int | None = None) -> None:
    """``fsync`` the directory ``directory`` (relative to ``dir_fd`` when given: ``"."`` is
    the descriptor's own directory), so the entries just changed in it are durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        os.fsync(fd)
    finally:
        # A read-only directory descriptor: close errors carry no information.
        with contextlib.suppress(OSError):
            os.close(fd)


def write_all(fd: int, payload: bytes | memoryview) -> None:
    """Write all of ``payload`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never for regular files; guards against a spin
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


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
        fsync_dir(os.fspath(part.parent))  # the new entry survives a power cut


__all__ = ["ensure_dir", "fsync_dir", "write_all"]
