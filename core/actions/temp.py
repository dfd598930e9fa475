"""Move leftover writer temp files (``.<name>.<hex>.tmp``) older than a minute to the quarantine."""

from __future__ import annotations

import os
import re
import stat
import time
from typing import Final

from core.actions.base import Fingerprint, Plan, Result, Skipped, Step
from core.actions.planning import tree_entries
from core.actions.protocol import execute
from core.actions.safety import real_root
from core.actions.txn import Transaction
from core.config import Config, load_config
from core.storage.names import is_temp_name

ACTION = "clean-temp"
DEFAULT_MIN_AGE: Final = 60.0
_TARGET: Final = re.compile(r"\.(?P<target>.+)\.[0-9a-f]{12}\.tmp")


def target_of(rel: str) -> str | None:
    """The file a temp belongs to (``data/.x.json.<hex>.tmp`` -> ``data/x.json``)."""
    head, _, name = rel.rpartition("/")
    match = _TARGET.fullmatch(name)
    if match is None:
        return None
    return f"{head}/{match['target']}" if head else match["target"]


def plan(
    root: str | os.PathLike[str],
    *,
    min_age: float = DEFAULT_MIN_AGE,
    now: float | None = None,
    config: Config | None = None,
) -> Plan:
    """Preview the temp files older than ``min_age`` seconds; nothing is touched.

    ``config``: the resolved configuration the scan used (its ``ignore`` applies).
    """
    base = real_root(root)
    config = config if config is not None else load_config(base)
    moment = time.time() if now is None else now
    result = Plan(ACTION, base, params={"min_age": min_age})
    entries = tree_entries(base, config, lambda r: not is_temp_name(r.rpartition("/")[2]))
    for rel in sorted(entries):
        st = entries[rel]
        if stat.S_ISDIR(st.st_mode):
            continue
        if not stat.S_ISREG(st.st_mode):
            result.skipped.append(Skipped(rel, "not a regular file"))
            continue
        age = moment - st.st_mtime
        if age < min_age:
            result.skipped.append(Skipped(rel, f"only {age:.0f}s old: a writer may own it"))
            continue
        before = Fingerprint(
            "file", None, st.st_size, stat.S_IMODE(st.st_mode), st.st_ino, st.st_dev
        )
        result.steps.append(
            Step(
                "move",
                rel,
                before=before,
                size=st.st_size,
                detail=f"{age:.0f}s old, belongs to {target_of(rel) or '?'}",
            )
        )
    result.summary = (
        f"{len(result.steps)} temp file(s), {result.bytes_affected} bytes"
        if result.steps
        else "no leftover temp files"
    )
    return result


def apply(plan: Plan) -> Result:
    """Move each temp into the quarantine under its target's writer lock."""
    plan.require(ACTION)
    locks = {s.path: t for s in plan.steps if (t := target_of(s.path)) is not None}

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            tx.move(step, locks.get(step.path))

    return execute(plan, work, lock_for=locks)


__all__ = ["ACTION", "apply", "plan", "target_of"]
