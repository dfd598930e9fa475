"""One sample portfolio for the tests, shaped like the real bot's ``data/portfolio.json``.

The real bot writes numeric ``portfolio_value_usd``/``initial_value_usd`` next to
``{amount, last_price_eur}`` objects for the EUR values, and holdings with
``amount``/``initial_amount`` plus their last prices (``tests/realbot_tree.py``
writes a whole tree of such files). The values add up: EUR 100 + 0.02 BTC at
45,000 EUR = 1,000 EUR (1,090 USD). Tests that need another value pass it:
``sample_portfolio(trades_executed=4)`` — every call returns a fresh copy.
``sample_snapshot()`` is one entry of the performance snapshots, likewise.
"""

from __future__ import annotations

import copy
from typing import Any, Final

_PORTFOLIO: Final[dict[str, Any]] = {
    "trades_executed": 3,
    "portfolio_value_usd": 1090.0,
    "initial_value_usd": 1090.0,
    "portfolio_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
    "initial_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
    "last_updated": "2024-01-01T00:00:00.000000",
    "EUR": {"amount": 100.0, "initial_amount": 100.0},
    "BTC": {
        "amount": 0.02,
        "initial_amount": 0.02,
        "last_price_usd": 49050.0,
        "last_price_eur": 45000.0,
    },
}


_SNAPSHOT: Final[dict[str, Any]] = {
    "timestamp": "2026-01-10T08:00:00+00:00",
    "total_value_eur": 3000.0,
    "portfolio_composition": {},
    "asset_prices": {},
    "snapshot_type": "scheduled",
    "trading_session_id": "unknown",
}


def sample_portfolio(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the sample portfolio, with top-level keys replaced by ``changes``."""
    data = copy.deepcopy(_PORTFOLIO)
    data.update(changes)
    return data


def sample_snapshot(**changes: Any) -> dict[str, Any]:
    """A fresh copy of one sample performance snapshot (an entry of ``performance_snapshots.json``,
    empty composition, the bot's ``unknown`` session), with keys replaced by ``changes``."""
    data = copy.deepcopy(_SNAPSHOT)
    data.update(changes)
    return data


__all__ = ["sample_portfolio", "sample_snapshot"]
