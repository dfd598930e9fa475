"""Write a fresh ``.bak`` from the valid primary (the fix for a missing or unusable backup).

``plan`` validates the primary (JSON + schema, like a restore source) and
previews one ``replace`` of ``PATH.bak`` with the primary's exact bytes;
``apply`` quarantines the old ``.bak`` (when there is one) and writes the copy
atomically under the bot's lock, keeping the primary's mode.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.actions.base import Plan, Result
from core.actions.locks import path_lock
from core.actions.planning import replace_step
from core.actions.protocol import execute
from core.actions.safety import (
    clean_rel,
    fingerprint,
    lstat_beneath,
    previewed_source,
    read_beneath,
    real_root,
)
from core.actions.txn import Transaction
from core.documents.checks import check_payload
from core.standard.layout import BACKUP_SUFFIX
from core.storage import rootfs

ACTION = "refresh-backup"


def plan(root: str | os.PathLike[str], path: str | os.PathLike[str]) -> Plan:
    """Preview copying ``path`` (the primary, or its ``.bak`` name) over ``path.bak``."""
    base = real_root(root)
    rel = clean_rel(base, path)
    primary = rel.removesuffix(BACKUP_SUFFIX)
    bak = primary + BACKUP_SUFFIX
    result = Plan(ACTION, base, params={"path": primary, "backup": bak})
    src = fingerprint(base, primary)
    before = fingerprint(base, bak)
    if src.kind != "file":
        result.errors.append(
            f"{primary} is {'missing' if not src.exists else src.kind}: no valid primary to copy"
        )
    elif before.kind not in {"file", "missing"}:
        result.errors.append(f"{bak} is a {before.kind}; refusing to replace it")
    else:
        payload = read_beneath(base, primary)
        _, problems = check_payload(primary, payload)
        result.errors += [f"{primary} is not a valid primary: {p}" for p in problems]
        current = read_beneath(base, bak) if before.kind == "file" else None
        if current == payload:
            result.notes.append(f"{bak} already has exactly the bytes of {primary}")
        elif not problems:
            if current is None:
                result.notes.append(f"{bak} is missing: it is created")
            result.steps.append(
                replace_step(
                    bak,
                    before,
                    payload,
                    src.mode,
                    detail=f"fresh copy of {primary}",
                    source=primary,
                    depends=((primary, src),),
                )
            )
    result.summary = (
        f"write a fresh {bak} from the valid {primary}"
        if result.steps
        else f"nothing to write for {bak}"
    )
    return result


def _match_mtime(root: Path, bak: str, primary: str) -> None:
    """Give the copy its primary's mtime: a ``.bak`` newer than its primary reads as a
    mismatch (the bot copies the old primary before it writes the new one)."""
    st = lstat_beneath(root, primary)
    if st is None:
        return
    with rootfs.parent_of(root, bak) as (directory, name):  # never through a symlink
        os.utime(
            name, ns=(st.st_atime_ns, st.st_mtime_ns), dir_fd=directory.fd, follow_symlinks=False
        )


def apply(plan: Plan) -> Result:
    """Quarantine the old ``.bak`` (if any), then write the primary's previewed bytes."""
    plan.require(ACTION)
    root = plan.root

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            payload = previewed_source(root, str(step.source), step.after_sha256, "primary")

            with path_lock(root, step.path):  # the primary's lock (reentrant)
                tx.replace(step, payload, step.mode_after)
                _match_mtime(root, step.path, str(step.source))

    return execute(plan, work, audit_extra={"source": plan.params.get("path")})


__all__ = ["ACTION", "apply", "plan"]
