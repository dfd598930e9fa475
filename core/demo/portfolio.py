"""What the demo bot holds and writes: its assets and holdings, its portfolio and decisions.

Shared by :mod:`core.demo.tree` (the history it builds) and :mod:`core.demo.livebot`
(the saves it keeps making), so both write the same documents the same way.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Final

from core.standard.times import iso as _iso

ASSETS: Final = {"BTC": 58_000.0, "ETH": 3_100.0, "SOL": 140.0}
HOLDINGS: Final = {"BTC": 0.012, "ETH": 0.15, "SOL": 2.5}
CASH_EUR: Final = 150.0
SESSION_ID: Final = "demo-session-0001"


def _portfolio(prices: dict[str, float], trades: int, now: datetime) -> dict[str, Any]:
    holdings_value = sum(HOLDINGS[a] * prices[a] for a in HOLDINGS)
    initial_value = CASH_EUR + sum(HOLDINGS[a] * ASSETS[a] for a in HOLDINGS)
    data: dict[str, Any] = {
        "trades_executed": trades,
        "portfolio_value_eur": {
            "amount": round(CASH_EUR + holdings_value, 2),
            "last_price_eur": 1.0,
        },
        "initial_value_eur": {"amount": round(initial_value, 2), "last_price_eur": 1.0},
        "last_updated": _iso(now),
        "EUR": {"amount": CASH_EUR, "initial_amount": CASH_EUR},
    }
    for asset, amount in HOLDINGS.items():
        data[asset] = {
            "amount": amount,
            "initial_amount": amount,
            "last_price_eur": round(prices[asset], 2),
        }
    return data


def _decisions(rng: random.Random, prices: dict[str, float], now: datetime) -> list[Any]:
    """One decision per asset, newest first: a JSON list, as the bot writes it."""
    actions = ("hold", "buy", "sell")
    return [
        {
            "timestamp": _iso(now),
            "asset": asset,
            "action": rng.choice(actions),
            "confidence": round(rng.uniform(0.5, 0.95), 2),
            "price_eur": round(prices[asset], 2),
            "reason": "demo signal",
        }
        for asset in sorted(prices)
    ]
