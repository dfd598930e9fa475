"""Reinitialize performance tracking from the current portfolio (the standard's
"performance data loss" procedure).

Healthy tracking: :func:`core.tracking.performance.reset_tracking` (a reset entry appended to
``performance_reset_history``, a ``performance_reset`` snapshot, new start and
initial value). Missing or unreadable tracking files:
:func:`core.tracking.performance.init_tracking`
first, then the same reset. Either way the old config and snapshots files are
copied into the action's quarantine before anything is written.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any

from core.actions.base import Plan, Result, Step
from core.actions.diff import json_diff
from core.actions.safety import fingerprint, read_beneath, real_root
from core.actions.tracking import execute_tracking_change
from core.documents.checks import check_payload
from core.errors import StorageError
from core.standard.layout import PERFORMANCE_CONFIG, PORTFOLIO, SNAPSHOTS
from core.tracking import performance

ACTION = "reset-tracking"
DEFAULT_REASON = "botstore reset-tracking"


def _portfolio(result: Plan) -> dict[str, object] | None:
    root = result.root
    if fingerprint(root, PORTFOLIO).kind != "file":
        result.errors.append(f"{PORTFOLIO} is missing: restore it first")
        return None
    payload = read_beneath(root, PORTFOLIO)
    data, problems = check_payload(PORTFOLIO, payload)
    if problems or not isinstance(data, dict):
        result.errors += [f"{PORTFOLIO} is not usable ({p}): restore it first" for p in problems]
        return None
    return data


def plan(
    root: str | os.PathLike[str],
    *,
    reason: str = DEFAULT_REASON,
    frequency: str = "hourly",
    now: _dt.datetime | None = None,
) -> Plan:
    """Preview the reset: what the config will say and which files are quarantined."""
    base = real_root(root)
    moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
    result = Plan(
        ACTION, base, params={"reason": reason, "frequency": frequency, "now": moment.isoformat()}
    )
    portfolio = _portfolio(result)
    mode = "reset"
    config: dict[str, object] = {}
    try:
        tracking = performance.load_tracking(base)
        config = tracking.config
    except (StorageError, ValueError) as exc:
        mode = "reinit"
        result.notes.append(f"tracking files unusable ({exc}); they are reinitialized")
    result.params["mode"] = mode
    depends = ((PORTFOLIO, fingerprint(base, PORTFOLIO)),)
    for rel in (PERFORMANCE_CONFIG, SNAPSHOTS):
        before = fingerprint(base, rel)
        if before.kind not in {"file", "missing"}:
            result.errors.append(f"{rel} is a {before.kind}; refusing to replace it")
        result.steps.append(
            Step(
                "replace",
                rel,
                before=before,
                depends=depends,
                mode_before=before.mode if before.exists else None,
                detail=(
                    "new start, reset entry appended"
                    if rel == PERFORMANCE_CONFIG
                    else "performance_reset snapshot appended (old snapshots kept)"
                ),
            )
        )
    if portfolio is not None:
        snap = performance.make_snapshot(portfolio, "performance_reset", "botstore", moment)
        result.diff = json_diff(
            {k: config.get(k) for k in ("tracking_start_date", "initial_portfolio_value")},
            {
                "tracking_start_date": snap["timestamp"],
                "initial_portfolio_value": snap["total_value_eur"],
            },
        )
        history = config.get("performance_reset_history")
        count = len(history) if isinstance(history, list) else 0
        result.summary = (
            f"{'reinitialize' if mode == 'reinit' else 'reset'} tracking from the "
            f"current portfolio ({snap['total_value_eur']} EUR); reset history "
            f"{count} → {count + 1} entries"
        )
    return result


def apply(plan: Plan) -> Result:
    """Quarantine the tracking files, then reset (or reinitialize and reset) tracking."""
    plan.require(ACTION)

    def change(scratch: Path, portfolio: Any, moment: _dt.datetime) -> None:
        if plan.params["mode"] == "reinit":
            # One second earlier: the reset snapshot must be newer than the initial one.
            performance.init_tracking(
                scratch, portfolio, str(plan.params["frequency"]), moment - _dt.timedelta(seconds=1)
            )
        performance.reset_tracking(
            scratch, portfolio, reason=str(plan.params["reason"]), now=moment
        )

    return execute_tracking_change(plan, change, audit_extra={"reason": plan.params["reason"]})


__all__ = ["ACTION", "apply", "plan"]
