"""core.documents.schemas: field-path messages, strictness, path mapping, ``botstore schema``."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.cli.main import main
from core.documents.schemas import (
    LIST_KINDS,
    MAX_VIOLATIONS,
    SCHEMA_NAMES,
    VERSIONED_KINDS,
    json_schema,
    kind_for_path,
    validate,
    validate_or_raise,
)
from core.errors import SchemaViolation
from core.standard import layout
from core.standard.formats import CURRENT_VERSION

# The standard's own examples.
PORTFOLIO: dict[str, Any] = {
    "trades_executed": 0,
    "portfolio_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
    "initial_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
    "last_updated": "2024-01-01T00:00:00.000000",
    "EUR": {"amount": 100.0, "initial_amount": 100.0},
    "BTC": {"amount": 0.01, "initial_amount": 0.01, "last_price_eur": 45000.0},
}
SNAPSHOT: dict[str, Any] = {
    "timestamp": "2024-01-01T00:00:00.000000",
    "total_value_eur": 1000.0,
    "portfolio_composition": {"EUR": {"amount": 100.0}},
    "asset_prices": {"BTC": 45000.0},
    "snapshot_type": "scheduled",
    "trading_session_id": "session_id",
}
CONFIG: dict[str, Any] = {
    "tracking_start_date": "2024-01-01T00:00:00.000000",
    "initial_portfolio_value": 1000.0,
    "initial_portfolio_composition": {"EUR": 100.0},
    "performance_reset_history": [],
    "snapshot_frequency": "daily",
    "last_snapshot_date": "2024-01-01T00:00:00.000000",
    "tracking_enabled": True,
    "created_date": "2024-01-01T00:00:00.000000",
    "version": "1.0",
}


def _with(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    target = out
    for part in parents:
        target = target[part]
    target[last] = value
    return out


# --------------------------------------------------------------------------- valid documents


def test_standard_examples_are_valid() -> None:
    assert validate("portfolio", PORTFOLIO) == []
    assert validate("performance_snapshot", SNAPSHOT) == []
    assert validate("performance_config", CONFIG) == []
    assert validate("snapshots", [SNAPSHOT] * 3) == []
    assert validate("snapshots", {"version": "1.0", "snapshots": [SNAPSHOT] * 3}) == []  # read


@pytest.mark.parametrize(
    "kind",
    [
        "performance_metrics",
        "performance_periods",
        "bot_startup",
        "report",
        "latest_backtest",
        "data_summary",
    ],
)
def test_lenient_kinds_take_any_object(kind: str) -> None:
    assert validate(kind, {}) == []
    assert (
        validate(
            kind,
            {
                "anything": [1, {"x": None}],
                "version": "1.0",
                "timestamp": "2024-01-01T00:00:00+00:00",
            },
        )
        == []
    )
    assert validate(kind, []) == ["(root): expected an object, got a list"]
    assert validate(kind, {"version": "2.0"}) == ["version: not one of '1.0', got \"2.0\""]
    assert validate(kind, {"last_updated": "soon"})[0].startswith(
        'last_updated: invalid datetime, got "soon"'
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-01-01T00:00:00",
        "2024-01-01T00:00:00.000000",
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.5+02:00",
    ],
)
def test_naive_and_aware_timestamps_parse(stamp: str) -> None:
    assert validate("portfolio", _with(PORTFOLIO, "last_updated", stamp)) == []


def test_ints_are_numbers_and_extra_fields_are_allowed() -> None:
    data = _with(PORTFOLIO, "BTC.amount", 1)
    data["BTC"]["note"] = "kept"
    data["version"] = CURRENT_VERSION
    assert validate("portfolio", data) == []
    assert validate("performance_config", _with(CONFIG, "last_snapshot_date", None)) == []


# --------------------------------------------------------------------------- messages


def test_field_path_message_exactly_as_documented() -> None:
    data = _with(PORTFOLIO, "BTC.amount", "lots")
    assert validate("portfolio", data) == ['BTC.amount: expected a number, got "lots"']


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("BTC.amount", True, "BTC.amount: expected a number, got true"),
        ("BTC.amount", "1.5", 'BTC.amount: expected a number, got "1.5"'),
        ("BTC.amount", None, "BTC.amount: expected a number, got null"),
        ("BTC.last_price_eur", [1], "BTC.last_price_eur: expected a number, got a list"),
        ("trades_executed", 1.5, "trades_executed: expected an integer, got 1.5"),
        ("trades_executed", -1, "trades_executed: must be >= 0, got -1"),
        (
            "portfolio_value_eur",
            "5",
            'portfolio_value_eur: expected a number or an {amount, last_price_eur} object, got "5"',
        ),
        (
            "portfolio_value_eur",
            {"amount": "x"},
            'portfolio_value_eur.amount: expected a number, got "x"',
        ),
        ("ETH", "x", 'ETH: expected an object, got "x"'),
        (
            "last_updated",
            "01/02/2024",
            'last_updated: invalid datetime, got "01/02/2024" '
            "(expected ISO 8601 like 2024-01-01T00:00:00)",
        ),
        ("last_updated", 1704067200, "last_updated: expected a string, got 1704067200"),
    ],
)
def test_portfolio_violations(path: str, value: Any, message: str) -> None:
    assert validate("portfolio", _with(PORTFOLIO, path, value)) == [message]


def test_missing_fields_and_literals() -> None:
    data = {k: v for k, v in CONFIG.items() if k != "created_date"}
    data["snapshot_frequency"] = "weekly"
    data["tracking_enabled"] = "yes"
    assert validate("performance_config", data) == [
        "snapshot_frequency: not one of 'daily', 'hourly', 'on_restart' or 'manual', "
        'got "weekly"',
        'tracking_enabled: expected a boolean, got "yes"',
        "created_date: missing field",
    ]


def test_list_indexes_and_odd_keys_in_paths() -> None:
    snaps = [dict(SNAPSHOT) for _ in range(4)]
    snaps[3] = _with(SNAPSHOT, "snapshot_type", "weekly")
    del snaps[1]["trading_session_id"]
    assert validate("snapshots", snaps) == [
        "[1].trading_session_id: missing field",
        "[3].snapshot_type: not one of 'scheduled', 'initial_setup', "
        "'performance_reset' or 'manual', got \"weekly\"",
    ]
    assert validate("snapshots", {"version": "1.0", "snapshots": snaps})[0] == (
        "snapshots[1].trading_session_id: missing field"
    )
    odd = dict(PORTFOLIO, **{"BTC/EUR x": {"amount": 1}})
    assert validate("portfolio", odd) == ['["BTC/EUR x"].initial_amount: missing field']


def test_root_errors_and_bare_snapshot_list() -> None:
    assert validate("portfolio", [1]) == ["(root): expected an object, got a list"]
    assert validate("snapshots", [SNAPSHOT]) == []
    assert validate("snapshots", {"snapshots": []}) == []  # the wrapped form, read
    assert validate("snapshots", "x") == ['(root): expected a list, got "x"']


def test_violations_are_capped() -> None:
    snaps = [{"timestamp": "x"}] * 200
    out = validate("snapshots", {"version": "1.0", "snapshots": snaps})
    assert len(out) == MAX_VIOLATIONS + 1
    assert out[-1].startswith("(root): ") and "more violations" in out[-1]


def test_long_strings_are_shortened() -> None:
    out = validate("portfolio", _with(PORTFOLIO, "BTC.amount", "y" * 500))
    assert len(out[0]) < 120 and out[0].endswith('..."')


def test_validate_or_raise() -> None:
    validate_or_raise("portfolio", PORTFOLIO, "data/portfolio.json")
    with pytest.raises(SchemaViolation) as info:
        validate_or_raise("portfolio", _with(PORTFOLIO, "BTC.amount", "lots"), "p.json")
    assert info.value.violations == ['BTC.amount: expected a number, got "lots"']
    assert info.value.path == "p.json"
    assert info.value.code == "schema"


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown schema kind"):
        validate("nope", {})


_non_numbers = st.one_of(
    st.text(max_size=10),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@given(asset=st.from_regex(r"[A-Z][A-Z0-9]{1,5}", fullmatch=True), value=_non_numbers)
def test_any_non_number_amount_is_reported_at_its_path(asset: str, value: Any) -> None:
    data = dict(PORTFOLIO, **{asset: {"amount": value, "initial_amount": 1.0}})
    out = validate("portfolio", data)
    assert len(out) == 1
    assert out[0].startswith(f"{asset}.amount: expected a number, got ")


# --------------------------------------------------------------------------- paths and versions


@pytest.mark.parametrize(
    ("relpath", "kind"),
    [
        (layout.PORTFOLIO, "portfolio"),
        (layout.PERFORMANCE_CONFIG, "performance_config"),
        (layout.SNAPSHOTS, "snapshots"),
        (layout.PERFORMANCE_METRICS, "performance_metrics"),
        (layout.PERFORMANCE_PERIODS, "performance_periods"),
        (layout.BOT_STARTUP, "bot_startup"),
        (layout.LATEST_DECISIONS, "latest_decisions"),
        (layout.LATEST_BACKTEST, "latest_backtest"),
        (layout.DATA_SUMMARY, "data_summary"),
        ("./data/portfolio.json", "portfolio"),
        ("reports/daily_health/health_check_20240101_000000.json", "report"),
        ("reports/a/b/x_1.json", "report"),
        ("data/portfolio.json.bak", None),
        ("data/cache/other.json", None),
        ("reports/daily_health/notes.txt", None),
        ("dashboard/data/backtest_results/other.json", None),
        ("portfolio.json", None),
    ],
)
def test_kind_for_path(relpath: str, kind: str | None) -> None:
    assert kind_for_path(relpath) == kind


def test_versioned_kinds_require_version() -> None:
    assert set(SCHEMA_NAMES) >= VERSIONED_KINDS
    for kind in VERSIONED_KINDS:
        schema = json_schema(kind)
        assert "version" in schema["required"]


# --------------------------------------------------------------------------- json schema + CLI


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_cli_prints_valid_json_schema(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", name]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema(name)
    assert printed["type"] == ("array" if name in LIST_KINDS else "object")
    assert printed["$schema"].startswith("https://json-schema.org/")


def test_portfolio_json_schema_types_holdings() -> None:
    schema = json_schema("portfolio")
    holding = schema["additionalProperties"]["$ref"].rsplit("/", 1)[-1]
    assert schema["$defs"][holding]["required"] == ["amount", "initial_amount"]
    assert schema["properties"]["last_updated"]["format"] == "date-time"


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--list"]) == 0
    names = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert names == list(SCHEMA_NAMES)


@pytest.mark.parametrize("argv", [["schema", "nope"], ["schema"]])
def test_cli_unknown_name_exits_2_with_list(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert all(name in captured.err for name in SCHEMA_NAMES)


def test_version_literal_tracks_current_version() -> None:
    assert json_schema("performance_config")["properties"]["version"]["const"] == CURRENT_VERSION


def test_violation_never_quotes_a_value_under_a_sensitive_key() -> None:
    data = {"exchange_api_key": "sk-live-123", "BTC": {"amount": "lots", "initial_amount": 1.0}}
    messages = validate("portfolio", data)
    assert any(m.startswith("exchange_api_key: ") for m in messages), messages
    assert not any("sk-live-123" in m for m in messages), messages
    assert 'BTC.amount: expected a number, got "lots"' in messages
