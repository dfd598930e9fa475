"""Schemas of every JSON file kind the storage standard names, defined once with pydantic.

Strict where the standard is explicit (the portfolio, performance snapshot and
performance config fields it lists), lenient (extra keys allowed, loose value
types) where it is silent. Numbers are strict: ``true`` or ``"1.5"`` is not a
number. Timestamps are ISO 8601 strings, naive (as the standard writes them) or
with an offset; they must parse.

Tolerant of every shape the real bot writes: portfolio values as numbers or
``{amount, last_price_*}`` objects, ``_eur`` and ``_usd`` keys side by side,
``null`` in a performance config before tracking starts, lists where the bot
writes lists. The snapshots file (``data/performance/portfolio_snapshots.json``)
is a bare JSON list of snapshots: that is the 1.0 format, the only one the bot
reads. A ``{"version", "snapshots": [...]}`` object written by older botstore
releases still validates here (so it is never called corrupt) and
``core.documents.migrations`` turns it back into the list.

Split by seam: :mod:`.fields` (field types), :mod:`.models` (one model per
kind), :mod:`.registry` (kinds, paths, ``validate``, ``json_schema``) and
:mod:`.messages` (violation texts). This package is the public API.

``validate(kind, data)`` returns one human string per violation, field path
first: ``BTC.amount: expected a number, got "lots"``.
"""

from core.documents.schemas.fields import (
    Count,
    Number,
    SnapshotFrequency,
    SnapshotType,
    Timestamp,
    Version,
)
from core.documents.schemas.messages import MAX_VIOLATIONS, describe_value, format_loc
from core.documents.schemas.models import (
    VALUE_KEYS,
    AssetHolding,
    BotStartup,
    DataSummary,
    Decision,
    DecisionRecords,
    LatestBacktest,
    LatestDecisions,
    LatestDecisionsList,
    Money,
    PerformanceConfig,
    PerformanceMetrics,
    PerformancePeriods,
    PerformanceSnapshot,
    Portfolio,
    Report,
    SnapshotsFile,
    SnapshotsList,
    TradeHistory,
    ValueAmount,
    ValueEur,
)
from core.documents.schemas.registry import (
    DECISION_NAME,
    LIST_KINDS,
    PATH_KINDS,
    SCHEMA_NAMES,
    VERSIONED_KINDS,
    json_schema,
    kind_for_path,
    validate,
    validate_or_raise,
)

__all__ = [
    "DECISION_NAME",
    "LIST_KINDS",
    "MAX_VIOLATIONS",
    "PATH_KINDS",
    "SCHEMA_NAMES",
    "VALUE_KEYS",
    "VERSIONED_KINDS",
    "AssetHolding",
    "BotStartup",
    "Count",
    "DataSummary",
    "Decision",
    "DecisionRecords",
    "LatestBacktest",
    "LatestDecisions",
    "LatestDecisionsList",
    "Money",
    "Number",
    "PerformanceConfig",
    "PerformanceMetrics",
    "PerformancePeriods",
    "PerformanceSnapshot",
    "Portfolio",
    "Report",
    "SnapshotFrequency",
    "SnapshotType",
    "SnapshotsFile",
    "SnapshotsList",
    "Timestamp",
    "TradeHistory",
    "ValueAmount",
    "ValueEur",
    "Version",
    "describe_value",
    "format_loc",
    "json_schema",
    "kind_for_path",
    "validate",
    "validate_or_raise",
]
