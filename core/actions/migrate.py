"""Migrate JSON files whose ``version`` is old to the current version (old bytes quarantined)."""

from __future__ import annotations

import os

from core.actions.base import ActionError, Plan, Result, Step
from core.actions.diff import json_diff
from core.actions.planning import tree_entries
from core.actions.protocol import execute
from core.actions.safety import fingerprint, read_beneath, real_root, sha256
from core.actions.txn import Transaction
from core.config import Config, load_config
from core.documents import schemas
from core.documents.checks import safe_violation
from core.documents.validation import judge_bytes
from core.storage.codec import dumps

ACTION = "migrate"


def plan(root: str | os.PathLike[str], *, config: Config | None = None) -> Plan:
    """List every file with an old version and show what the migration changes
    (``config``: the resolved configuration the scan used)."""
    base = real_root(root)
    config = config if config is not None else load_config(base)
    result = Plan(ACTION, base)
    entries = tree_entries(base, config, lambda r: schemas.kind_for_path(r) is None)
    payloads: dict[str, str] = {}
    for rel in sorted(entries):
        kind = schemas.kind_for_path(rel)
        if kind is None:
            continue
        try:
            verdict = judge_bytes(rel, read_beneath(base, rel))  # the one validation path
        except (ActionError, OSError) as exc:
            result.notes.append(f"{rel}: not readable as JSON ({exc}); not migrated")
            continue
        if verdict.error is not None:
            result.notes.append(f"{rel}: not readable as JSON ({verdict.error}); not migrated")
            continue
        if verdict.code == "version":
            result.notes.append(f"{rel}: {verdict.problems[0]}; left as is")
            continue
        if not verdict.pending:
            continue
        if verdict.code == "schema":
            result.errors += [
                f"{rel}: after migration: {safe_violation(v)}" for v in verdict.problems
            ]
            continue
        data, new, steps = verdict.data, verdict.migrated, verdict.pending
        out = dumps(new)
        payloads[rel] = out.decode()
        result.diff += [
            c.__class__(f"{rel}: {c.field}", c.before, c.after, c.kind)
            for c in json_diff(data, new, limit=10)
        ]
        result.steps.append(
            Step(
                "replace",
                rel,
                detail="; ".join(steps),
                before=fingerprint(base, rel),
                after_sha256=sha256(out),
                size=len(out),
            )
        )
    result.params["_payloads"] = payloads
    result.summary = (
        f"{len(result.steps)} file(s) to migrate"
        if result.steps
        else "every file is at the current version"
    )
    return result


def apply(plan: Plan) -> Result:
    """Write each migrated document (the old bytes go to the quarantine first)."""
    plan.require(ACTION)
    payloads: dict[str, str] = plan.params["_payloads"]

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            tx.replace_previewed(step, payloads[step.path].encode(), "migrated")

    return execute(plan, work)


__all__ = ["ACTION", "apply", "plan"]
