"""The registry of kinds: kind -> model, root-relative path -> kind, and validation.

``validate(kind, data)`` is the one schema check (adapters are built once at
import); ``kind_for_path`` says which kind a file is; ``json_schema`` publishes
a kind's JSON Schema for other tools.
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from core.documents.schemas.messages import _format_errors
from core.documents.schemas.models import (
    BotStartup,
    DataSummary,
    Decision,
    DecisionRecords,
    LatestBacktest,
    LatestDecisions,
    LatestDecisionsList,
    PerformanceConfig,
    PerformanceMetrics,
    PerformancePeriods,
    PerformanceSnapshot,
    Portfolio,
    Report,
    SnapshotsFile,
    SnapshotsList,
    TradeHistory,
)
from core.errors import SchemaViolation

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


__all__ = [
    "DECISION_NAME",
    "LIST_KINDS",
    "PATH_KINDS",
    "SCHEMA_NAMES",
    "VERSIONED_KINDS",
    "json_schema",
    "kind_for_path",
    "validate",
    "validate_or_raise",
]
