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

The package is the layer's API (``from core.storage import rootfs``; ``rootfs.write``,
``rootfs.Dir``); its modules:

- :mod:`~core.storage.rootfs.dirfd` — :class:`Dir` (walk, read, write, append, unlink,
  rmtree, mkdir relative to one descriptor), :func:`rename_new`, :class:`OutsideRoot`;
- :mod:`~core.storage.rootfs.locks` — :func:`lock`, the writer lock through a :class:`Dir`;
- :mod:`~core.storage.rootfs.paths` — root-relative operations (``parent_of``, ``dir_at``,
  ``read``, ``write``, ``create``, ``move``, ``unlink``, ``rmtree``, ``append``, ``lstat``).
"""

from __future__ import annotations

from core.storage.rootfs.dirfd import Dir, OutsideRoot, parts, rename_new
from core.storage.rootfs.locks import lock
from core.storage.rootfs.paths import (
    append,
    create,
    dir_at,
    lstat,
    move,
    parent_of,
    read,
    rmtree,
    unlink,
    write,
)

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
