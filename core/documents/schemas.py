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

``validate(kind, data)`` returns one human string per violation, field path
first: ``BTC.amount: expected a number, got "lots"``.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import os
import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Final, Literal

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

from core.errors import SchemaViolation
from core.standard.times import parse_ts
from core.text.sanitize import REDACTED, is_sensitive_key

#: Most violations reported per file; the rest are summarized in one line.
MAX_VIOLATIONS: Final = 100


# --------------------------------------------------------------------------- field types


def _check_timestamp(value: str) -> str:
    if parse_ts(value) is None:
        raise PydanticCustomError("iso_datetime", "invalid datetime")
    return value


#: A JSON number (int or float); bools and numeric strings are rejected.
Number = Annotated[float, Strict()]
#: A non-negative JSON integer.
Count = Annotated[int, Strict(), Field(ge=0)]
#: An ISO 8601 timestamp string (``2024-01-01T00:00:00.000000``, optionally with an offset).
Timestamp = Annotated[
    str,
    Strict(),
    AfterValidator(_check_timestamp),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 timestamp, naive or with a UTC offset",
        }
    ),
]
#: The only version a current file may carry (keep equal to CURRENT_VERSION).
Version = Literal["1.0"]
SnapshotType = Literal["scheduled", "initial_setup", "performance_reset", "manual"]
SnapshotFrequency = Literal["daily", "hourly", "on_restart", "manual"]


def _optional() -> Any:
    """An optional key: may be absent, but when present it must match its type (no null)."""
    return Field(default=None)


class _Open(BaseModel):
    """Base of every schema: unknown keys are allowed (the standard lists a minimum)."""

    model_config = ConfigDict(extra="allow")


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


# --------------------------------------------------------------------------- registry

_MODELS: Final[dict[str, type[Any]]] = {
    "portfolio": Portfolio,
    "performance_snapshot": PerformanceSnapshot,
    "snapshots": SnapshotsList,
    "performance_config": PerformanceConfig,
    "performance_metrics": PerformanceMetrics,
    "performance_periods": PerformancePeriods,
    "bot_startup": BotStartup,
    "latest_decisions": LatestDecisionsList,
    "trade_history": TradeHistory,
    "decision_records": DecisionRecords,
    "decision": Decision,
    "report": Report,
    "latest_backtest": LatestBacktest,
    "data_summary": DataSummary,
}
#: Adapters built once at import: validation never rebuilds a validator.
_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {n: TypeAdapter(m) for n, m in _MODELS.items()}
#: The other container a kind may be found in (read, never written): kind -> adapter.
_OTHER_FORM: Final[dict[str, TypeAdapter[Any]]] = {
    "snapshots": TypeAdapter(SnapshotsFile),
    "latest_decisions": TypeAdapter(LatestDecisions),
}

SCHEMA_NAMES: Final[tuple[str, ...]] = tuple(_MODELS)

#: Kinds whose files must carry ``"version"`` (the others may, and then it must be known).
VERSIONED_KINDS: Final[frozenset[str]] = frozenset({"performance_config"})
#: Kinds whose current format is a JSON list (the bot's own format).
LIST_KINDS: Final[frozenset[str]] = frozenset(
    {"snapshots", "latest_decisions", "trade_history", "decision_records"}
)

#: Root-relative POSIX path (or ``fnmatch`` pattern) -> kind; first match wins.
PATH_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("data/portfolio.json", "portfolio"),
    ("data/performance/performance_config.json", "performance_config"),
    ("data/performance/portfolio_snapshots.json", "snapshots"),
    ("data/performance/performance_metrics.json", "performance_metrics"),
    ("data/performance/performance_periods.json", "performance_periods"),
    ("data/cache/bot_startup.json", "bot_startup"),
    ("data/cache/latest_decisions.json", "latest_decisions"),
    ("data/trades/trade_history.json", "trade_history"),
    ("data/performance/decision_records.json", "decision_records"),
    ("dashboard/data/backtest_results/latest_backtest.json", "latest_backtest"),
    ("dashboard/data/backtest_results/data_summary.json", "data_summary"),
    ("reports/*.json", "report"),
    ("data/*_*_*.json", "decision"),
)
#: ``BTC_EUR_20250101_120000.json`` / ``BTC_EUR_latest.json`` directly under data/.
DECISION_NAME: Final = re.compile(r"[A-Z0-9]{2,10}_[A-Z0-9]{2,10}_(?:\d{8}_\d{6}|latest)\.json")
_EXACT_KINDS: Final = {pattern: kind for pattern, kind in PATH_KINDS if "*" not in pattern}


def kind_for_path(relpath: str) -> str | None:
    """The schema kind of a root-relative POSIX path, or None when no schema applies.

    ``reports/**/<type>_<timestamp>.json`` (any depth) are ``report``; ``.bak``
    and other names are not mapped.
    """
    path = relpath.removeprefix("./")
    kind = _EXACT_KINDS.get(path)
    if kind is not None:
        return kind
    # fnmatch's "*" crosses "/", so "reports/*.json" covers every depth under reports/.
    if path.endswith(".json") and fnmatch.fnmatchcase(path, "reports/*.json"):
        return "report"
    if path.startswith("data/") and DECISION_NAME.fullmatch(path[5:]):
        return "decision"
    return None


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12, as pydantic emits it) of a kind, for other tools."""
    schema = _adapter(name).json_schema()
    schema.setdefault("$schema", "https://json-schema.org/draft/2020-12/schema")
    return schema


# --------------------------------------------------------------------------- validation


def _adapter(kind: str) -> TypeAdapter[Any]:
    try:
        return _ADAPTERS[kind]
    except KeyError:
        known = ", ".join(SCHEMA_NAMES)
        raise ValueError(f"unknown schema kind {kind!r}; known: {known}") from None


def validate(kind: str, data: Any) -> list[str]:
    """Check ``data`` against the ``kind`` schema; one string per violation, empty when valid.

    Each string starts with the field path (``snapshots[3].timestamp``, ``BTC.amount``),
    ``(root)`` for the document itself. At most :data:`MAX_VIOLATIONS` are listed.
    """
    adapter = _adapter(kind)
    if kind in _OTHER_FORM and isinstance(data, Mapping):
        adapter = _OTHER_FORM[kind]
    try:
        with _gc_paused(data):
            adapter.validate_python(data)
    except ValidationError as exc:
        return _format_errors(exc)
    return []


@contextlib.contextmanager
def _gc_paused(data: Any) -> Iterator[None]:
    """Pause the cyclic GC while validating a big document.

    Validation allocates a full copy of the document and throws it away; for a
    87,600-snapshot file the GC passes triggered by those allocations double
    the time. Re-enabled only if it was enabled on entry.
    """
    big = (isinstance(data, list) and len(data) > 1000) or (
        isinstance(data, Mapping)
        and any(isinstance(v, list) and len(v) > 1000 for v in data.values())
    )
    if not big or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def validate_or_raise(kind: str, data: Any, path: str | os.PathLike[str]) -> None:
    """Like :func:`validate` but raise :class:`core.errors.SchemaViolation` for ``path``."""
    violations = validate(kind, data)
    if violations:
        raise SchemaViolation(path, violations)


_PLAIN_KEY: Final = re.compile(r"[\w-]+")


def format_loc(loc: tuple[int | str, ...]) -> str:
    """``("snapshots", 3, "timestamp")`` -> ``snapshots[3].timestamp``; ``()`` -> ``(root)``."""
    out: list[str] = []
    for part in loc:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{orjson.dumps(part).decode()}]")
    return "".join(out) or "(root)"


def describe_value(value: Any) -> str:
    """A short JSON-ish rendering of an offending value for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = orjson.dumps(value[:60]).decode()
        return shown[:-1] + '..."' if len(value) > 60 else shown
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


_EXPECTED: Final[dict[str, str]] = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "string_type": "a string",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "list_type": "a list",
    "money_type": "a number or an {amount, last_price_eur} object",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    # Never quote a value that sits under a sensitive key: messages reach logs and screens.
    secret = any(is_sensitive_key(part) for part in error.get("loc", ()))
    got = REDACTED if secret else describe_value(error.get("input"))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "missing field"
    if kind == "missing_value":
        return str(error.get("msg", "missing field"))
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    if kind == "iso_datetime":
        return f"invalid datetime, got {got} (expected ISO 8601 like 2024-01-01T00:00:00)"
    if kind == "literal_error":
        return f"not one of {ctx.get('expected', '?')}, got {got}"
    if kind in {"greater_than_equal", "greater_than", "less_than", "less_than_equal"}:
        ops = {
            "greater_than_equal": ">=",
            "greater_than": ">",
            "less_than": "<",
            "less_than_equal": "<=",
        }
        bound = next(iter(ctx.values()), "?")
        return f"must be {ops[kind]} {bound}, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind == "extra_forbidden":
        return "unexpected field"
    return f"{str(error.get('msg', kind)).lower()}, got {got}"


def _format_errors(exc: ValidationError) -> list[str]:
    errors = exc.errors(include_url=False, include_context=True, include_input=True)
    lines = [f"{format_loc(tuple(e['loc']))}: {_message(e)}" for e in errors[:MAX_VIOLATIONS]]
    if len(errors) > MAX_VIOLATIONS:
        lines.append(f"(root): {len(errors) - MAX_VIOLATIONS} more violations not listed")
    return lines


__all__ = [
    "LIST_KINDS",
    "MAX_VIOLATIONS",
    "PATH_KINDS",
    "SCHEMA_NAMES",
    "VALUE_KEYS",
    "VERSIONED_KINDS",
    "AssetHolding",
    "PerformanceConfig",
    "PerformanceSnapshot",
    "Portfolio",
    "SnapshotsFile",
    "SnapshotsList",
    "ValueAmount",
    "describe_value",
    "format_loc",
    "json_schema",
    "kind_for_path",
    "validate",
    "validate_or_raise",
]
