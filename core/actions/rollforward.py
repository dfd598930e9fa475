"""Recovery of interrupted actions: settle every journal a crash left ``pending``.

Commit is the truth: a pending journal whose every change is made had passed
its commit point and is *rolled forward* (marked ``done``); otherwise its
changes are rolled back exactly (:meth:`core.actions.txn.Transaction.settle`).
Journals this host did not sign, and symlinks in the quarantine, are refused
with a message and never acted on. Every action settles these first
(:func:`recover_locked`, under the actions lock); ``botstore restore
--recover`` calls :func:`recover`.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from core.actions import journal
from core.actions.base import ActionError
from core.actions.journal import UntrustedJournal
from core.actions.locks import actions_lock
from core.actions.txn import Transaction
from core.errors import StorageError
from core.standard.layout import QUARANTINE_DIR
from core.storage import rootfs


def pending_journals(root: Path) -> list[str]:
    """Ids of actions that started but neither committed nor rolled back (signed ones)."""
    found: list[str] = []
    for action_id, state in journal.candidates(root):
        if state != "pending":
            continue
        with contextlib.suppress(UntrustedJournal):
            journal.load(root, action_id)
            found.append(action_id)
    return sorted(found)


def untrusted_journals(root: Path) -> list[str]:
    """Why each pending-looking journal botstore did not sign is refused."""
    refused: list[str] = []
    for action_id, state in journal.candidates(root):
        if state not in {"done", "rolled_back"}:
            try:
                journal.load(root, action_id)
            except UntrustedJournal as exc:
                refused.append(f"refused journal {QUARANTINE_DIR}/{action_id}: {exc}")
    try:
        with rootfs.dir_at(root, QUARANTINE_DIR) as base:
            for name in base.names():
                st = base.lstat(name)
                if st is not None and stat.S_ISLNK(st.st_mode):
                    refused.append(
                        f"refused {QUARANTINE_DIR}/{name}: a symlink in the "
                        "quarantine; never followed"
                    )
    except (OSError, ActionError):
        pass
    return refused


def recover_locked(root: Path) -> list[str]:
    """:func:`recover` for a caller holding :func:`actions_lock`."""
    messages = untrusted_journals(root)
    for action_id in pending_journals(root):
        try:
            messages += Transaction.load(root, action_id).settle()
        except (OSError, StorageError, ActionError) as exc:  # e.g. a path now through a symlink
            messages.append(
                f"refused to settle interrupted action {action_id}: {exc}; "
                "left pending, nothing changed by it"
            )
    return messages


def recover(root: str | os.PathLike[str]) -> list[str]:
    """Settle every action a crash left half-done (safe to call any time)."""
    base = Path(os.path.realpath(root))
    with actions_lock(base):
        return recover_locked(base)


__all__ = ["pending_journals", "recover", "recover_locked", "untrusted_journals"]
