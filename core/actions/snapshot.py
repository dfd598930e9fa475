"""Take a ``manual`` performance snapshot of the current portfolio now."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from core.actions.base import Plan, Result, Step
from core.actions.reset import _portfolio
from core.actions.safety import fingerprint, real_root
from core.actions.tracking import execute_tracking_change
from core.errors import StorageError
from core.standard.layout import PERFORMANCE_CONFIG, PORTFOLIO, SNAPSHOTS
from core.tracking import performance

ACTION = "snapshot"
SESSION_ID = "botstore-manual"


def plan(root: str | os.PathLike[str], *, now: _dt.datetime | None = None) -> Plan:
    """Preview the snapshot (its value and composition); nothing is written."""
    base = real_root(root)
    moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
    result = Plan(ACTION, base, params={"now": moment.isoformat()})
    portfolio = _portfolio(result)
    try:
        performance.load_tracking(base)
    except (StorageError, ValueError) as exc:
        result.errors.append(f"performance tracking unusable ({exc}); run reset-tracking")
    if portfolio is None or result.errors:
        return result
    snap = performance.make_snapshot(portfolio, "manual", SESSION_ID, moment)
    depends = ((PORTFOLIO, fingerprint(base, PORTFOLIO)),)
    for rel, detail in (
        (SNAPSHOTS, f"append manual snapshot {snap['timestamp']}"),
        (PERFORMANCE_CONFIG, "last_snapshot_date advanced"),
    ):
        result.steps.append(
            Step("replace", rel, detail=detail, before=fingerprint(base, rel), depends=depends)
        )
    result.summary = f"manual snapshot: {snap['total_value_eur']} EUR at {snap['timestamp']}"
    return result


def apply(plan: Plan) -> Result:
    """Quarantine copies of both tracking files, then append the snapshot."""
    plan.require(ACTION)

    def change(scratch: Path, portfolio: Any, moment: _dt.datetime) -> None:
        snap = performance.make_snapshot(portfolio, "manual", SESSION_ID, moment)
        performance.append_snapshot(scratch, snap)  # on the private copy of the tracking files

    return execute_tracking_change(plan, change)


__all__ = ["ACTION", "apply", "plan"]
