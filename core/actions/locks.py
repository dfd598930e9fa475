"""The locks an action takes: one action at a time per root, and a bot writer's lock.

:func:`actions_lock` serializes actions on one root; :func:`path_lock` is the
lock the bot's writer of a file takes (the same ``.lock`` file as the
:mod:`core.storage.write` writers, plus the tracking lock for performance
files), so an action never writes while the bot does. Both are opened through
:mod:`core.storage.rootfs` (no symlink followed).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from core.actions import journal
from core.standard.layout import (
    BACKUP_SUFFIX,
    PERFORMANCE_CONFIG,
    PERFORMANCE_DIR,
    QUARANTINE_DIR,
    SNAPSHOTS,
)
from core.storage import rootfs

_TRACKED: Final = frozenset({PERFORMANCE_CONFIG, SNAPSHOTS})
#: How long ``apply`` waits for another action on the same root.
ACTIONS_LOCK_TIMEOUT: Final = 60.0


@contextlib.contextmanager
def actions_lock(root: Path, timeout: float = ACTIONS_LOCK_TIMEOUT) -> Iterator[None]:
    """Serialize actions on one root (``data/.quarantine/.actions.lock``), after
    refusing a symlinked or foreign quarantine, ``logs/`` or audit log."""
    journal.check_own_paths(root)
    with (
        rootfs.dir_at(root, QUARANTINE_DIR, create=True) as base,
        rootfs.lock(base, "actions", timeout),
    ):
        yield


@contextlib.contextmanager
def path_lock(root: Path, rel: str, lock_for: str | None = None) -> Iterator[int]:
    """The lock a bot writer of ``rel`` takes (plus the tracking lock for performance
    files), opened through the containment layer; yields the file lock's descriptor."""
    # A .bak is written by its primary's writer, under the primary's lock.
    target = (lock_for or rel).removesuffix(BACKUP_SUFFIX)
    with contextlib.ExitStack() as stack:
        if target in _TRACKED:
            tracking = stack.enter_context(rootfs.dir_at(root, PERFORMANCE_DIR, create=True))
            stack.enter_context(rootfs.lock(tracking, "performance"))
        parent, name = stack.enter_context(rootfs.parent_of(root, target, create=True))
        yield stack.enter_context(rootfs.lock(parent, name))


@contextlib.contextmanager
def maybe_lock(root: Path, rel: str | None) -> Iterator[None]:
    """:func:`path_lock` of ``rel``; no lock for ``None`` (a file no writer touches)."""
    if rel is None:
        yield
        return
    with path_lock(root, rel):
        yield


__all__ = ["ACTIONS_LOCK_TIMEOUT", "actions_lock", "maybe_lock", "path_lock"]
