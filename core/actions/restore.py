"""Restore a file from its ``.bak`` (or another copy inside the root), and undo any action.

``plan`` validates the source (JSON + schema), shows a sanitized field-level
diff of current → restored, and keeps the current mode. ``apply`` quarantines
the current bytes, then writes the source's exact bytes atomically under the
bot's lock. ``plan_undo(root, action_id)`` restores every file an earlier
action replaced or removed from that action's quarantine copy, the same way —
byte for byte, even bytes that do not validate (the operator may want the broken
file back to inspect it), with a warning instead of a refusal.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.actions.base import ActionError, Change, Plan, Result
from core.actions.diff import json_diff
from core.actions.planning import replace_step
from core.actions.protocol import execute
from core.actions.safety import (
    clean_rel,
    fingerprint,
    previewed_source,
    read_beneath,
    real_root,
    sha256,
)
from core.actions.txn import Transaction
from core.documents.checks import check_payload
from core.errors import StorageError
from core.standard.layout import BACKUP_SUFFIX
from core.storage.codec import parse_json

ACTION = "restore"
UNDO = "undo"


def _diff(rel: str, current: bytes | None, restored: bytes) -> tuple[list[Change], list[str]]:
    if not rel.endswith(".json"):
        return [], []
    notes: list[str] = []
    try:
        new = parse_json(restored, rel)
    except StorageError:
        return [], []
    if current is None:
        return json_diff({}, new), ["current file is missing: every field is added"]
    try:
        old = parse_json(current, rel)
    except StorageError as exc:
        return json_diff({}, new), [f"current file is unusable ({exc.reason}): all fields shown"]
    return json_diff(old, new), notes


def _restore_step(
    plan: Plan, rel: str, source: str, expect_source: str | None = None, *, exact: bool = False
) -> None:
    """Add the replace step ``rel`` ← ``source`` (with checks, diff, notes) to ``plan``.

    ``exact`` (undo): the source is what an earlier action replaced, and it comes back
    byte for byte even when it does not validate — with a warning, never a refusal.
    """
    root = plan.root
    before = fingerprint(root, rel)
    src = fingerprint(root, source)
    if before.kind not in {"file", "missing"}:
        plan.errors.append(f"{rel} is a {before.kind}; refusing to replace it")
        return
    if src.kind != "file":
        plan.errors.append(f"source {source} is {'missing' if not src.exists else src.kind}")
        return
    payload = read_beneath(root, source)
    if expect_source is not None and sha256(payload) != expect_source:
        plan.errors.append(f"{source}: quarantined copy does not match its journal (altered?)")
        return
    _, problems = check_payload(rel, payload)
    if exact and problems:
        plan.params.setdefault("unvalidated", []).append(rel)
        plan.notes += [
            f"WARNING: {rel} comes back exactly as it was before, and those bytes "
            f"do not validate: {p}"
            for p in problems
        ]
    else:
        plan.errors += [f"source {source} is not restorable: {p}" for p in problems]
    current = read_beneath(root, rel) if before.kind == "file" else None
    if current == payload:
        plan.notes.append(f"{rel} already has exactly the bytes of {source}")
        return
    changes, notes = _diff(rel, current, payload)
    plan.diff += (
        [Change(f"{rel}: {c.field}", c.before, c.after, c.kind) for c in changes]
        if len(plan.params.get("paths", [])) > 1
        else changes
    )
    plan.notes += notes
    mode = before.mode if before.exists else src.mode
    plan.params.setdefault("modes", {})[rel] = mode
    plan.steps.append(
        replace_step(
            rel,
            before,
            payload,
            mode,
            detail=f"restore from {source}",
            source=source,
            depends=((source, src),),
        )
    )


def plan(
    root: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    source: str | os.PathLike[str] | None = None,
) -> Plan:
    """Preview restoring ``path`` from ``source`` (default ``path + ".bak"``)."""
    base = real_root(root)
    rel = clean_rel(base, path)
    src = clean_rel(base, source) if source is not None else rel + BACKUP_SUFFIX
    result = Plan(ACTION, base, params={"path": rel, "source": src, "paths": [rel]})
    _restore_step(result, rel, src)
    result.summary = (
        f"restore {rel} from {src}" if result.steps else f"nothing to restore for {rel}"
    )
    return result


def plan_undo(root: str | os.PathLike[str], action_id: str) -> Plan:
    """Preview undoing action ``action_id``: every file it replaced or removed comes back."""
    base = real_root(root)
    tx = Transaction.load(base, action_id)
    result = Plan(UNDO, base, params={"undo_of": action_id, "undone_action": tx.action})
    if tx.state != "done":
        result.errors.append(f"action {action_id} is {tx.state}, not done; nothing to undo")
        return result
    entries = [e for e in tx.entries if e.get("copy") or e.get("to")]
    result.params["paths"] = [str(e["path"]) for e in entries]
    for entry in entries:
        source = str(entry.get("copy") or entry.get("to"))
        expect = entry.get("old_sha") if entry["op"] == "replace" else entry.get("sha")
        _restore_step(
            result, str(entry["path"]), source, str(expect) if expect else None, exact=True
        )
    created = [str(e["path"]) for e in tx.entries if e["op"] == "replace" and not e.get("copy")]
    if created:
        result.notes.append("files the action created are left in place: " + ", ".join(created))
    result.summary = (
        f"undo {tx.action} {action_id}: restore {len(result.steps)} file(s)"
        if result.steps
        else f"nothing to undo for {action_id}"
    )
    return result


def apply(plan: Plan) -> Result:
    """Quarantine each current file, then write the source's exact bytes (mode kept)."""
    if plan.action not in {ACTION, UNDO}:
        raise ActionError(f"not a restore plan: {plan.action}")
    root: Path = plan.root
    modes: dict[str, int] = plan.params.get("modes", {})

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            payload = previewed_source(root, str(step.source), step.after_sha256, "source")

            tx.replace(step, payload, modes.get(step.path, step.before.mode))

    extra = (
        {"undo_of": plan.params["undo_of"]}
        if plan.action == UNDO
        else {"source": plan.params.get("source")}
    )
    result = execute(plan, work, audit_extra=extra)
    unvalidated = list(plan.params.get("unvalidated", []))
    if unvalidated:
        result.data["unvalidated"] = unvalidated
        if result.ok:
            result.details.append(
                "WARNING: restored the exact earlier bytes, which do not "
                "validate: " + ", ".join(unvalidated)
            )
    return result


__all__ = ["ACTION", "UNDO", "apply", "plan", "plan_undo"]
