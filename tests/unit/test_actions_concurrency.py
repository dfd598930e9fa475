"""The simulated bot saves every 50 ms while restore and cleanup run 100 times each:
every save and every action completes, and the portfolio is valid after each step."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from core.actions import Plan, Result, apply, cleanup, restore
from core.demo import LiveBot, build_demo_tree
from core.documents import schemas
from core.standard.layout import PORTFOLIO
from core.storage.read import read_json

ROUNDS = 100
ATTEMPTS = 50


def _until_applied(planner: Callable[[], Plan]) -> Result:
    """Plan and apply until the bot did not change the file in between (the honest race:
    a save between preview and apply makes apply refuse, never interleave)."""
    result = Result("none", False, "not run")
    for _ in range(ATTEMPTS):
        result = apply(planner())
        if result.ok or "changed since preview" not in result.message:
            return result
    raise AssertionError(f"no quiet moment in {ATTEMPTS} attempts: {result.message}")


def _portfolio_valid(root: Path) -> None:
    data = read_json(root / PORTFOLIO)
    assert schemas.validate("portfolio", data) == []


def test_actions_and_live_bot_interleave_safely(tmp_path: Path) -> None:
    root = tmp_path / "live"
    build_demo_tree(root)
    bot = LiveBot(root, interval=0.05)
    bot.start()
    applied = {"restore": 0, "cleanup": 0}
    try:
        for i in range(ROUNDS):
            result = _until_applied(lambda: restore.plan(root, PORTFOLIO))
            assert result.ok, result.render()
            applied["restore"] += bool(result.applied)
            _portfolio_valid(root)
            policy = cleanup.Retention(
                snapshots=34 - i // 4, reports=10, daily_reports=3, rotated_logs=30
            )
            result = _until_applied(functools.partial(cleanup.plan, root, policy))
            assert result.ok, result.render()
            applied["cleanup"] += bool(result.applied)
            _portfolio_valid(root)
    finally:
        bot.stop()
    assert bot.errors == []
    assert bot.saves > 0
    assert applied["restore"] > 0 and applied["cleanup"] > 0, applied
    _portfolio_valid(root)
