"""Changes to performance tracking, made by the library's writers on a private copy.

:mod:`core.tracking.performance` writes with :mod:`core.storage.write` (path-based: the bot owns
its tree). An action must not, so :func:`rewrite_tracking` copies the tracking
files into a private scratch root outside the tree, runs the writer there, and
writes back what changed through :mod:`core.storage.rootfs`.
"""

from __future__ import annotations

import datetime as _dt
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from core.actions.base import Plan, Result, Step
from core.actions.locks import path_lock
from core.actions.protocol import execute
from core.actions.safety import fingerprint, read_beneath, sha256
from core.actions.txn import Transaction
from core.standard.layout import BACKUP_SUFFIX, PERFORMANCE_CONFIG, PORTFOLIO, SNAPSHOTS
from core.storage import rootfs
from core.storage.codec import parse_json

#: The tracking files in the order their writers save them (snapshots first).
TRACKING_FILES: Final = (
    SNAPSHOTS,
    SNAPSHOTS + BACKUP_SUFFIX,
    PERFORMANCE_CONFIG,
    PERFORMANCE_CONFIG + BACKUP_SUFFIX,
)


def tracking_journal(root: Path, steps: list[Step]) -> list[Step]:
    """``steps`` plus journal entries for both tracking files and their ``.bak``.

    :mod:`core.tracking.performance` writers rewrite the config and ``.bak`` files as a
    side effect; journaling them makes a rollback restore them too and keeps
    their old bytes in the quarantine.
    """
    seen = {s.path for s in steps}
    extra = [rel for rel in TRACKING_FILES if rel not in seen]
    return [*steps, *(Step("replace", rel, before=fingerprint(root, rel)) for rel in extra)]


def rewrite_tracking(tx: Transaction, tracked: list[Step], change: Callable[[Path], Any]) -> Any:
    """Run a :mod:`core.tracking.performance` writer on a private copy, then write what it changed.

    Under the tracking lock (the one every snapshot writer takes): the tracking
    files are verified and quarantined (one read each), copied into a private
    scratch root outside the tree, ``change(scratch_root)`` runs there, the new
    hashes are journaled and the changed files are written back through
    :mod:`core.storage.rootfs` (snapshots first, as the writers do). Returns what
    ``change`` returned.
    """
    root = tx.root
    with path_lock(root, SNAPSHOTS):
        current = {step.path: tx.preserve(step) for step in tracked}
        modes = {step.path: step.before.mode for step in tracked if step.before.exists}
        with tempfile.TemporaryDirectory(prefix="botstore-tracking-") as scratch:
            base = Path(scratch)
            for rel, payload in current.items():
                if payload is not None:
                    (base / rel).parent.mkdir(parents=True, exist_ok=True)
                    (base / rel).write_bytes(payload)
            outcome = change(base)
            new: dict[str, bytes] = {}
            for rel in current:
                path = base / rel
                if path.is_file():
                    new[rel] = path.read_bytes()
                    modes.setdefault(rel, stat.S_IMODE(path.stat().st_mode))
        changed = [rel for rel in TRACKING_FILES if rel in new and new[rel] != current[rel]]
        tx.expect({rel: sha256(new[rel]) for rel in changed})
        for rel in changed:
            with path_lock(root, rel) as lock_fd:  # reentrant for the snapshots file
                rootfs.write(
                    root,
                    rel,
                    new[rel],
                    modes[rel],
                    lock_fd=None if rel.endswith(BACKUP_SUFFIX) else lock_fd,
                )
    for step in tracked:
        tx.after[step.path] = sha256(new[step.path]) if step.path in new else None
    return outcome


def execute_tracking_change(
    plan: Plan,
    change: Callable[[Path, Any, _dt.datetime], None],
    *,
    audit_extra: dict[str, Any] | None = None,
) -> Result:
    """Apply a change to performance tracking made from the current portfolio.

    ``change(scratch_root, portfolio, moment)`` runs a :mod:`core.tracking.performance`
    writer on a private copy of the tracking files (see :func:`rewrite_tracking`);
    ``moment`` is the plan's ``now``. Only the containment layer writes the tree.
    """
    root = plan.root
    moment = _dt.datetime.fromisoformat(str(plan.params["now"]))

    def work(tx: Transaction) -> None:
        portfolio = parse_json(read_beneath(root, PORTFOLIO), PORTFOLIO)
        rewrite_tracking(
            tx,
            [s for s in tx.steps if s.op == "replace"],
            lambda scratch: change(scratch, portfolio, moment),
        )

    return execute(
        plan,
        work,
        journal_steps=lambda: tracking_journal(root, plan.steps),
        audit_extra=audit_extra,
    )


__all__ = ["TRACKING_FILES", "execute_tracking_change", "rewrite_tracking", "tracking_journal"]
