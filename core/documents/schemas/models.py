"""One pydantic model (or TypedDict / list alias) per JSON file kind the standard names.

Strict where the standard is explicit (portfolio, performance snapshot and
config), lenient (extra keys, loose values) where it is silent; tolerant of
every shape the real bot writes. :mod:`core.documents.schemas.registry` maps
kinds and paths to these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Final

from pydantic import BeforeValidator, ConfigDict, Field, Strict, model_validator, with_config
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

from core.documents.schemas.fields import (
    Count,
    Number,
    SnapshotFrequency,
    SnapshotType,
    Timestamp,
    Version,
    _Open,
    _optional,
)

# --------------------------------------------------------------------------- portfolio


class ValueAmount(_Open):
    """A portfolio value as an object: ``{"amount": ..., "last_price_eur": 1.0}``."""

    amount: Number
    last_price_eur: Number = _optional()
    last_price_usd: Number = _optional()


#: Kept for importers of the first release: the object form of a portfolio value.
ValueEur = ValueAmount


def _money(value: Any) -> Any:
    """A number stands for ``{"amount": number}``; anything else but an object is refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"amount": value}
    if isinstance(value, Mapping):
        return value
    raise PydanticCustomError("money_type", "expected a number or an object")


#: ``portfolio_value_eur`` & co: a plain number or ``{amount, last_price_*}`` (both are written).
Money = Annotated[ValueAmount, BeforeValidator(_money)]


def _non_negative_count(value: Any) -> Any:
    """``trades_executed``: the bot stores ``0.0`` when it fills a missing key."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class AssetHolding(_Open):
    """One asset of the portfolio (``EUR``, ``BTC``...); prices in EUR and/or USD."""

    amount: Number
    initial_amount: Number
    last_price_eur: Number = _optional()
    last_price_usd: Number = _optional()


#: Top-level value keys: one pair per base currency the bot may run on.
VALUE_KEYS: Final = ("portfolio_value_eur", "portfolio_value_usd")


class Portfolio(_Open):
    """``data/portfolio.json``: the known keys below; every other key is an asset holding.

    The bot writes ``portfolio_value_usd``/``initial_value_usd`` (numbers) next to
    ``portfolio_value_eur``/``initial_value_eur`` (objects); at least one
    ``portfolio_value_*`` is required.
    """

    __pydantic_extra__: dict[str, AssetHolding] = Field(init=False)

    trades_executed: Annotated[Count, BeforeValidator(_non_negative_count)]
    portfolio_value_eur: Money = _optional()
    initial_value_eur: Money = _optional()
    portfolio_value_usd: Money = _optional()
    initial_value_usd: Money = _optional()
    last_updated: Timestamp
    version: Version = _optional()

    @model_validator(mode="after")
    def _has_value(self) -> Portfolio:
        if self.portfolio_value_eur is None and self.portfolio_value_usd is None:
            raise PydanticCustomError(
                "missing_value", "missing field portfolio_value_eur (or portfolio_value_usd)"
            )
        return self


# --------------------------------------------------------------------------- performance


@with_config(ConfigDict(extra="allow"))
class PerformanceSnapshot(TypedDict):
    """One portfolio snapshot (an element of the snapshots file).

    A TypedDict rather than a model: the snapshots file may hold 87,600 of
    them and plain-dict validation is about twice as fast.
    """

    timestamp: Timestamp
    total_value_eur: Number
    portfolio_composition: dict[str, Any]
    asset_prices: dict[str, Any]
    snapshot_type: SnapshotType
    trading_session_id: str


#: ``data/performance/portfolio_snapshots.json`` (1.0): a bare JSON list of snapshots.
SnapshotsList = list[PerformanceSnapshot]


class SnapshotsFile(_Open):
    """The wrapped ``{"version": "1.0", "snapshots": [...]}`` form older botstore releases
    wrote: read, never produced (the bot reads it as no snapshots at all)."""

    version: Version = _optional()
    snapshots: list[PerformanceSnapshot]


class PerformanceConfig(_Open):
    """``data/performance/performance_config.json`` (version 1.0).

    ``tracking_start_date``, ``initial_portfolio_value`` and ``last_snapshot_date``
    are ``null`` until tracking starts (the bot writes them so).
    """

    tracking_start_date: Timestamp | None
    initial_portfolio_value: Number | None
    initial_portfolio_composition: dict[str, Any]
    performance_reset_history: list[Any]
    snapshot_frequency: SnapshotFrequency
    last_snapshot_date: Timestamp | None
    tracking_enabled: Annotated[bool, Strict()]
    created_date: Timestamp
    version: Version


class _Lenient(_Open):
    """A JSON object the standard does not detail: any keys; the common ones are typed."""

    version: Version = _optional()
    last_updated: Timestamp = _optional()
    timestamp: Timestamp = _optional()
    generated_at: Timestamp = _optional()


class PerformanceMetrics(_Lenient):
    """``data/performance/performance_metrics.json``: calculated metrics (free-form object)."""


class PerformancePeriods(_Lenient):
    """``data/performance/performance_periods.json``: performance periods (free-form object)."""


# ------------------------------------------------------------------ cache, reports, dashboard


class BotStartup(_Lenient):
    """``data/cache/bot_startup.json``: bot startup metadata."""


#: ``data/cache/latest_decisions.json``: the bot writes a list, one decision per asset.
LatestDecisionsList = list[dict[str, Any]]


class LatestDecisions(_Lenient):
    """``data/cache/latest_decisions.json`` as an object (``{"decisions": [...]}``), also read."""

    decisions: list[Any] = _optional()


#: ``data/trades/trade_history.json``: one object per executed trade.
TradeHistory = list[dict[str, Any]]
#: ``data/performance/decision_records.json``: one object per decision (grows forever).
DecisionRecords = list[dict[str, Any]]


class Decision(_Open):
    """``data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json`` / ``…_latest.json``: one trading decision."""


class Report(_Lenient):
    """``reports/**/<analysis_type>_<timestamp>.json``: an analysis result."""


class LatestBacktest(_Lenient):
    """``dashboard/data/backtest_results/latest_backtest.json``: latest backtest for the web UI."""


class DataSummary(_Lenient):
    """``dashboard/data/backtest_results/data_summary.json``: market data summary."""


__all__ = [
    "VALUE_KEYS",
    "AssetHolding",
    "BotStartup",
    "DataSummary",
    "Decision",
    "DecisionRecords",
    "LatestBacktest",
    "LatestDecisions",
    "LatestDecisionsList",
    "Money",
    "PerformanceConfig",
    "PerformanceMetrics",
    "PerformancePeriods",
    "PerformanceSnapshot",
    "Portfolio",
    "Report",
    "SnapshotsFile",
    "SnapshotsList",
    "TradeHistory",
    "ValueAmount",
    "ValueEur",
]
