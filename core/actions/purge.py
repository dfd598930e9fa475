"""Quarantine retention: the one place botstore deletes data for good.

Entries of ``data/.quarantine/`` older than ``Retention.quarantine`` days (their
name starts with the UTC time they were made) are planned as ``delete`` steps
by :func:`plan_purge` — never one younger than :data:`QUARANTINE_FLOOR_HOURS`
unless forced, an undo may still need it — and removed by
:func:`apply_purge` only after the rest of the cleanup plan has committed, and
only after the operator confirmed the preview that lists them.
:mod:`core.actions.cleanup` plans and applies the rest of the retention policy.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Final

from core.actions import audit
from core.actions.base import ActionError, ChangedSincePreview, Plan, Result, Step
from core.actions.locks import actions_lock
from core.actions.protocol import applied_but
from core.actions.safety import fingerprint
from core.errors import StorageError
from core.standard.layout import QUARANTINE_DIR
from core.standard.times import parse_compact
from core.storage import rootfs

#: Seconds in a day (retention is counted in days).
DAY: Final = 86_400.0
_QUARANTINE_STAMP: Final = re.compile(r"(\d{8}T\d{6}Z)")
#: A quarantine entry younger than this is never purged without ``force`` (undo needs it).
QUARANTINE_FLOOR_HOURS: Final = 24.0


def tree_bytes(path: Path) -> int:
    """Bytes of the regular files below ``path`` (symlinks not followed)."""
    total = 0
    for dirpath, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            try:
                st = (Path(dirpath) / name).lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def plan_purge(result: Plan, base: Path, days: float, now: float, *, force: bool = False) -> None:
    """Quarantine entries older than ``days`` (by the UTC time their name starts with);
    never one younger than the floor unless ``force``."""
    try:
        entries = sorted(os.scandir(base / QUARANTINE_DIR), key=lambda e: e.name)
    except FileNotFoundError:
        return
    floor = QUARANTINE_FLOOR_HOURS / 24
    young = 0
    for entry in entries:
        match = _QUARANTINE_STAMP.match(entry.name)
        if match is None or entry.is_symlink():
            continue
        made = parse_compact(match.group(1))
        age = (now - made.timestamp()) / DAY
        if age <= days:
            continue
        if age < floor and not force:
            young += 1
            continue
        rel = f"{QUARANTINE_DIR}/{entry.name}"
        result.steps.append(
            Step(
                "delete",
                rel,
                detail=f"quarantine, {age:.0f} days old — deleted for good",
                before=fingerprint(base, rel, hash_content=False),
                size=tree_bytes(Path(entry.path)),
            )
        )
    if young:
        result.notes.append(
            f"{young} quarantine entr{'y' if young == 1 else 'ies'} younger than "
            f"{QUARANTINE_FLOOR_HOURS:g} h kept (an undo may still need them); --force purges "
            "them too"
        )


def purge_entries(plan: Plan, steps: list[Step]) -> list[str]:
    """Delete old quarantine entries (after the rest of the plan committed); returns details.

    Under the actions lock; each entry is checked and removed through the same
    descriptor of ``data/.quarantine`` (``rmtree`` with ``dir_fd``: it never
    follows a symlink, so nothing outside the root is touched).
    """
    done: list[str] = []
    with actions_lock(plan.root), rootfs.dir_at(plan.root, QUARANTINE_DIR) as base:
        for step in steps:
            name = step.path.rpartition("/")[2]
            st = base.lstat(name)
            if st is None:
                continue
            if (st.st_ino, st.st_dev) != (step.before.inode, step.before.device) or stat.S_ISLNK(
                st.st_mode
            ):
                raise ChangedSincePreview(step.path, "replaced since the preview")
            base.rmtree(name)
            done.append(f"deleted {step.path} ({step.size / 1024:.1f} KiB)")
    return done


def apply_purge(plan: Plan, purge: list[Step], result: Result) -> Result:
    """Purge ``purge`` (old quarantine entries) after the rest of ``plan`` committed, into
    ``result``, and append their audit line; a failure after the commit point is
    ``applied, but …``."""
    outcome = "ok"
    try:
        deleted = purge_entries(plan, purge)
        result.data["bytes_purged"] = sum(s.size for s in purge)
    except (OSError, StorageError, ActionError) as exc:
        deleted = [f"quarantine cleanup stopped: {exc}"]
        outcome = "failed"
        if result.committed:
            applied_but(result, f"quarantine cleanup stopped ({exc})")
        else:
            result.ok = False
            result.message = f"quarantine cleanup stopped: {exc}"
    else:
        result.applied += purge
        result.committed = True
    result.details += deleted
    result.message = result.message or f"deleted {len(purge)} old quarantine entries"
    try:
        audit.record(
            plan.root,
            action=plan.action,
            action_id=result.action_id,
            result=outcome,
            message="quarantine retention: " + "; ".join(deleted),
            paths=[s.path for s in purge],
            before={s.path: None for s in purge},
            after={s.path: None for s in purge},
        )
    except (OSError, ActionError) as exc:
        applied_but(result, f"the audit line was not written ({exc})")
    return result


__all__ = [
    "DAY",
    "QUARANTINE_FLOOR_HOURS",
    "apply_purge",
    "plan_purge",
    "purge_entries",
    "tree_bytes",
]
