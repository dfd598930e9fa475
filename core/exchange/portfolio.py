"""A portfolio in the standard's schema from exchange balances and prices.

Amounts and ``last_price_*`` come from the exchange; ``initial_amount``,
``initial_value_*`` and ``trades_executed`` are carried over from an earlier
version of the file (see :mod:`core.exchange.versions`) because the exchange
cannot know them. The value fields are named after the base currency
(``portfolio_value_eur`` for EUR, the standard's schema).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from core.exchange.client import call
from core.standard.times import iso

if TYPE_CHECKING:
    from core.exchange.versions import Version

#: Top-level keys of the portfolio that are not asset holdings.
_NON_ASSETS: Final = frozenset({"trades_executed", "last_updated", "version"})


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the exchange says: amount per currency, price per non-base currency."""

    base: str
    amounts: dict[str, float]
    prices: dict[str, float] = field(default_factory=dict)
    unpriced: list[str] = field(default_factory=list)  # no BASE market to value them


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def asset_keys(data: Mapping[str, Any], base: str) -> list[str]:
    """The asset holdings of a portfolio document (dicts with an ``amount``)."""
    suffix = f"_{base.lower()}"
    return [
        k
        for k, v in data.items()
        if k not in _NON_ASSETS and not k.endswith(suffix) and isinstance(v, dict) and "amount" in v
    ]


def fetch_holdings(
    client: Any, base: str, *, also: list[str] | None = None, secrets: list[str] | None = None
) -> Holdings:
    """Balances (``fetch_balance``) and last prices in ``base`` (one ``fetch_tickers``)."""
    call(client, "loading markets", client.load_markets, secrets=secrets)
    balance = call(client, "fetching balances", client.fetch_balance, secrets=secrets)
    totals = balance.get("total") if isinstance(balance, dict) else None
    amounts: dict[str, float] = {}
    for code, value in (totals or {}).items():
        number = _number(value)
        if number is not None and number > 0:
            amounts[str(code)] = number
    for code in also or []:
        amounts.setdefault(code, 0.0)
    wanted = sorted(c for c in amounts if c != base)
    markets = client.markets or {}
    symbols = [f"{c}/{base}" for c in wanted if f"{c}/{base}" in markets]
    prices: dict[str, float] = {}
    if symbols:
        tickers = (
            call(client, "fetching prices", client.fetch_tickers, symbols, secrets=secrets) or {}
        )
        for symbol in symbols:
            ticker = tickers.get(symbol) or {}
            price = _number(ticker.get("last")) or _number(ticker.get("close"))
            if price is not None and price > 0:
                prices[symbol.partition("/")[0]] = price
    unpriced = [c for c in wanted if c not in prices]
    return Holdings(base, amounts, prices, unpriced)


@dataclass(frozen=True, slots=True)
class Carry:
    """The fields only the bot's own history knows, from one earlier version."""

    source: str
    trades_executed: int | None
    initial_value: dict[str, Any] | None
    initial_amounts: dict[str, float]


def carry_from(data: Any, source: str, base: str) -> Carry | None:
    """The carried-over fields of an earlier portfolio document (well-typed ones only)."""
    if not isinstance(data, dict):
        return None
    trades = data.get("trades_executed")
    trades_ok = isinstance(trades, int) and not isinstance(trades, bool) and trades >= 0
    key = f"initial_value_{base.lower()}"
    initial = data.get(key)
    initial_ok = (
        isinstance(initial, dict)
        and _number(initial.get("amount")) is not None
        and _number(initial.get(f"last_price_{base.lower()}")) is not None
    )
    amounts: dict[str, float] = {}
    for asset in asset_keys(data, base):
        number = _number(data[asset].get("initial_amount"))
        if number is not None:
            amounts[asset] = number
    if not trades_ok and not initial_ok and not amounts:
        return None
    return Carry(
        source,
        trades if trades_ok and isinstance(trades, int) else None,
        dict(initial) if initial_ok and isinstance(initial, dict) else None,
        amounts,
    )


def best_carry(found: Iterable[Version], base: str) -> Carry | None:
    """Fields from the newest schema-valid version, else the newest readable one."""
    ordered = list(found)
    for usable in (True, False):
        for version in ordered:
            if version.valid if usable else version.readable:
                carry = carry_from(version.data, version.label, base)
                if carry is not None:
                    return carry
    return None


def build_portfolio(
    holdings: Holdings, carry: Carry | None, now: _dt.datetime
) -> tuple[dict[str, Any], list[str]]:
    """The rebuilt document and notes on where each kind of field came from."""
    base = holdings.base
    low = base.lower()
    notes: list[str] = []
    assets = sorted(
        set(holdings.amounts) | set(carry.initial_amounts if carry else {}),
        key=lambda c: (c != base, c),
    )
    value = 0.0
    body: dict[str, Any] = {}
    for asset in assets:
        amount = holdings.amounts.get(asset, 0.0)
        initial = carry.initial_amounts.get(asset) if carry else None
        entry: dict[str, Any] = {
            "amount": amount,
            "initial_amount": amount if initial is None else initial,
        }
        if asset == base:
            value += amount
        elif asset in holdings.prices:
            entry[f"last_price_{low}"] = holdings.prices[asset]
            value += amount * holdings.prices[asset]
        body[asset] = entry
    current = {"amount": round(value, 8), f"last_price_{low}": 1.0}
    if carry is None:
        notes.append(
            "no usable earlier version (file, .bak, quarantine, cloud): initial "
            "values are set to today's exchange values and trades_executed to 0"
        )
    else:
        notes.append(
            f"initial_amount, initial_value_{low} and trades_executed carried over "
            f"from {carry.source}"
        )
    doc: dict[str, Any] = {
        "trades_executed": carry.trades_executed
        if carry and carry.trades_executed is not None
        else 0,
        f"portfolio_value_{low}": current,
        f"initial_value_{low}": (
            carry.initial_value if carry and carry.initial_value else dict(current)
        ),
        "last_updated": iso(now),
        **body,
    }
    if holdings.unpriced:
        notes.append(
            f"no {base} market to price {', '.join(holdings.unpriced)}: their amounts "
            f"are kept but left out of portfolio_value_{low}"
        )
    return doc, notes


__all__ = [
    "Carry",
    "Holdings",
    "asset_keys",
    "best_carry",
    "build_portfolio",
    "carry_from",
    "fetch_holdings",
]
