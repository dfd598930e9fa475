"""Schemas of every JSON file kind the storage standard names, defined once with pydantic.

Strict where the standard is explicit (the portfolio, performance snapshot and
performance config fields it lists), lenient (extra keys allowed, loose value
types) where it is silent. Numbers are strict: ``true`` or ``"1.5"`` is not a
number. Timestamps are ISO 8601 strings, naive (as the standard writes them) or
with an offset; they must parse.

The snapshots file (``data/performance/portfolio_snapshots.json``) is a JSON
object ``{"version": "1.0", "snapshots": [<snapshot>, ...]}`` so it carries a
version like the config; a legacy bare list of snapshots is not valid 1.0 but
``core.migrations`` turns it into the object form.

``validate(kind, data)`` returns one human string per violation, field path
first: ``BTC.amount: expected a number, got "lots"``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
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
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    with_config,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

from core.errors import SchemaViolation
from core.sanitize import REDACTED, is_sensitive_key

CURRENT_VERSION: Final = "1.0"

#: Most violations reported per file; the rest are summarized in one line.
MAX_VIOLATIONS: Final = 100


# --------------------------------------------------------------------------- field types


def _check_timestamp(value: str) -> str:
    try:
        _dt.datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("iso_datetime", "invalid datetime") from None
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
    WithJsonSchema({"type": "string", "format": "date-time",
                    "description": "ISO 8601 timestamp, naive or with a UTC offset"}),
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


class ValueEur(_Open):
    """``portfolio_value_eur`` / ``initial_value_eur``: an amount and its EUR price."""

    amount: Number
    last_price_eur: Number


class AssetHolding(_Open):
    """One asset of the portfolio (``EUR``, ``BTC``...)."""

    amount: Number
    initial_amount: Number
    last_price_eur: Number = _optional()


class Portfolio(_Open):
    """``data/portfolio.json``: the known keys below; every other key is an asset holding."""

    __pydantic_extra__: dict[str, AssetHolding] = Field(init=False)

    trades_executed: Count
    portfolio_value_eur: ValueEur
    initial_value_eur: ValueEur
    last_updated: Timestamp
    version: Version = _optional()


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


class SnapshotsFile(_Open):
    """``data/performance/portfolio_snapshots.json``: ``{"version": "1.0", "snapshots": [...]}``."""

    version: Version
    snapshots: list[PerformanceSnapshot]


class PerformanceConfig(_Open):
    """``data/performance/performance_config.json`` (version 1.0).

    ``last_snapshot_date`` may be ``null`` before the first snapshot.
    """

    tracking_start_date: Timestamp
    initial_portfolio_value: Number
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


class LatestDecisions(_Lenient):
    """``data/cache/latest_decisions.json``: recent trading decisions."""

    decisions: list[Any] = _optional()


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
    "snapshots": SnapshotsFile,
    "performance_config": PerformanceConfig,
    "performance_metrics": PerformanceMetrics,
    "performance_periods": PerformancePeriods,
    "bot_startup": BotStartup,
    "latest_decisions": LatestDecisions,
    "report": Report,
    "latest_backtest": LatestBacktest,
    "data_summary": DataSummary,
}
#: Adapters built once at import: validation never rebuilds a validator.
_ADAPTERS: Final[dict[str, TypeAdapter[Any]]] = {n: TypeAdapter(m) for n, m in _MODELS.items()}

SCHEMA_NAMES: Final[tuple[str, ...]] = tuple(_MODELS)

#: Kinds whose files must carry ``"version"`` (the others may, and then it must be known).
VERSIONED_KINDS: Final[frozenset[str]] = frozenset({"performance_config", "snapshots"})

#: Root-relative POSIX path (or ``fnmatch`` pattern) -> kind; first match wins.
PATH_KINDS: Final[tuple[tuple[str, str], ...]] = (
    ("data/portfolio.json", "portfolio"),
    ("data/performance/performance_config.json", "performance_config"),
    ("data/performance/portfolio_snapshots.json", "snapshots"),
    ("data/performance/performance_metrics.json", "performance_metrics"),
    ("data/performance/performance_periods.json", "performance_periods"),
    ("data/cache/bot_startup.json", "bot_startup"),
    ("data/cache/latest_decisions.json", "latest_decisions"),
    ("dashboard/data/backtest_results/latest_backtest.json", "latest_backtest"),
    ("dashboard/data/backtest_results/data_summary.json", "data_summary"),
    ("reports/*.json", "report"),
)
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
    big = isinstance(data, Mapping) and any(
        isinstance(v, list) and len(v) > 1000 for v in data.values()
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
}


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    # Never quote a value that sits under a sensitive key: messages reach logs and screens.
    secret = any(is_sensitive_key(part) for part in error.get("loc", ()))
    got = REDACTED if secret else describe_value(error.get("input"))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind == "missing":
        return "missing field"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {got}"
    if kind == "iso_datetime":
        return f"invalid datetime, got {got} (expected ISO 8601 like 2024-01-01T00:00:00)"
    if kind == "literal_error":
        return f"not one of {ctx.get('expected', '?')}, got {got}"
    if kind in {"greater_than_equal", "greater_than", "less_than", "less_than_equal"}:
        ops = {"greater_than_equal": ">=", "greater_than": ">",
               "less_than": "<", "less_than_equal": "<="}
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
    "CURRENT_VERSION",
    "MAX_VIOLATIONS",
    "PATH_KINDS",
    "SCHEMA_NAMES",
    "VERSIONED_KINDS",
    "AssetHolding",
    "PerformanceConfig",
    "PerformanceSnapshot",
    "Portfolio",
    "SnapshotsFile",
    "describe_value",
    "format_loc",
    "json_schema",
    "kind_for_path",
    "validate",
    "validate_or_raise",
]
