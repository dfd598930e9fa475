"""Rebuild ``data/portfolio.json`` from the exchange (the standard's procedure 1, second half).

For when the portfolio and its ``.bak`` are both unusable. ``plan`` asks the
exchange (balances, prices), carries ``initial_*`` and ``trades_executed`` over
from the newest earlier version (``.bak``, the quarantine, the cloud — and
says when there is none), validates the result against the portfolio schema
and previews a field diff against the newest readable version. ``apply`` writes
exactly the previewed bytes through the transaction: the current file is
copied into the action's quarantine first and an unusable ``.bak`` is moved
there (the bot's next save writes a fresh one); an audit line records it.
"""

from __future__ import annotations

import datetime as _dt
import os

from core.actions.base import Plan, Result, Step
from core.actions.diff import json_diff
from core.actions.planning import replace_step
from core.actions.protocol import execute
from core.actions.safety import fingerprint, real_root
from core.actions.txn import Transaction
from core.documents.checks import check_payload
from core.exchange.client import ExchangeFailed, ExchangeUnavailable
from core.exchange.fallback import build_from_exchange
from core.exchange.settings import ExchangeSettings, load_settings
from core.exchange.versions import versions
from core.standard.layout import BACKUP_SUFFIX, PORTFOLIO
from core.standard.policy import JSON_MODE
from core.storage.codec import dumps

ACTION = "rebuild-portfolio"
#: Findings of ``data/portfolio.json`` this action fits (when no valid ``.bak`` exists).
FITS_CODES = frozenset({"missing", "invalid_json", "schema"})


def fits(root: str | os.PathLike[str], rel: str, codes: set[str]) -> bool:
    """Offer this action for ``rel``'s findings? (portfolio unusable and no valid ``.bak``)."""
    if rel != PORTFOLIO or not codes & FITS_CODES:
        return False
    backup = versions(real_root(root), PORTFOLIO, cloud=False)
    return not any(v.valid and v.label == PORTFOLIO + BACKUP_SUFFIX for v in backup)


def plan(
    root: str | os.PathLike[str],
    *,
    settings: ExchangeSettings | None = None,
    config: str | os.PathLike[str] | None = None,
    now: _dt.datetime | None = None,
    cloud: bool = True,
) -> Plan:
    """Ask the exchange and preview the rebuilt portfolio (no file changes).

    Raises :class:`ExchangeFailed` (one line) when the exchange cannot be asked.
    """
    base = real_root(root)
    cfg = settings or load_settings(base, config)
    result = Plan(ACTION, base, params={"exchange": cfg.id, "base": cfg.base})
    if cfg.base != "EUR":
        result.notes.append(
            f"base {cfg.base}: value fields are named *_{cfg.base.lower()}; "
            "the standard's schema (and the health check) expects EUR"
        )
    try:
        doc, found, holdings = build_from_exchange(cfg, base, result.notes, now=now, cloud=cloud)
    except ExchangeUnavailable as exc:
        raise ExchangeFailed(str(exc)) from None
    payload = dumps(doc)
    _, problems = check_payload(PORTFOLIO, payload)
    result.errors += [f"rebuilt portfolio is not valid: {p}" for p in problems]
    newest = next((v for v in found if v.readable), None)
    if newest is not None:
        result.diff = json_diff(newest.data, doc)
        result.notes.append(
            f"field changes are shown against {newest.label} (the newest readable version)"
        )
    else:
        result.diff = json_diff({}, doc)
        result.notes.append("no readable earlier version: every field is added")
    before = fingerprint(base, PORTFOLIO)
    if before.kind not in {"file", "missing"}:
        result.errors.append(f"{PORTFOLIO} is a {before.kind}; refusing to replace it")
    mode = before.mode if before.exists else JSON_MODE
    result.params["_payload"] = payload
    result.params["mode"] = mode
    result.steps.append(
        replace_step(PORTFOLIO, before, payload, mode, detail=f"rebuilt from {cfg.id} balances")
    )
    bak = PORTFOLIO + BACKUP_SUFFIX
    bak_version = next((v for v in found if v.label == bak), None)
    bak_fp = fingerprint(base, bak)
    if bak_fp.kind == "file" and (bak_version is None or not bak_version.valid):
        result.steps.append(
            Step(
                "move",
                bak,
                detail="unusable backup to the quarantine",
                before=bak_fp,
                size=bak_fp.size,
            )
        )
    elif bak_version is not None and bak_version.valid:
        result.notes.append(
            f"{bak} is valid: `botstore restore {PORTFOLIO}` restores the bot's own copy instead"
        )
    total = doc.get(f"portfolio_value_{cfg.base.lower()}", {}).get("amount")
    result.summary = (
        f"rebuild {PORTFOLIO} from {cfg.id}: {len(holdings.amounts)} "
        f"currencies, value {total} {cfg.base}"
    )
    return result


def apply(plan: Plan) -> Result:
    """Write the previewed portfolio (old bytes and an unusable ``.bak`` quarantined)."""
    plan.require(ACTION)
    payload: bytes = plan.params["_payload"]
    mode = int(plan.params["mode"])

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            if step.op == "replace":
                tx.replace_previewed(step, payload, "rebuilt", mode)
            else:
                tx.move(step, lock_for=PORTFOLIO)

    moves = {s.path: PORTFOLIO for s in plan.steps if s.op == "move"}
    return execute(
        plan,
        work,
        lock_for=moves,
        audit_extra={"exchange": plan.params.get("exchange"), "base": plan.params.get("base")},
    )


__all__ = ["ACTION", "FITS_CODES", "apply", "fits", "plan"]
