"""Root-relative operations: walk from the root to a path's directory, then change it there.

Each function opens the root, walks to the parent of ``rel`` one component at a
time (:meth:`Dir.walk`, never through a symlink) and makes the change relative to
that directory's descriptor.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from core.storage.rootfs.dirfd import Dir, parts, rename_new


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
    "append",
    "create",
    "dir_at",
    "lstat",
    "move",
    "parent_of",
    "read",
    "rmtree",
    "unlink",
    "write",
]
