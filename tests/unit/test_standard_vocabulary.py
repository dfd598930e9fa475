"""The standard's vocabulary has one source each: timestamps, frequencies, durations, versions."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

import pytest

from core.documents import schemas
from core.health.aggregates import summarize_snapshots
from core.standard.formats import CURRENT_VERSION
from core.standard.frequencies import FREQUENCIES, frequency_seconds
from core.standard.times import iso, parse_timestamp, parse_ts, utc_stamp
from core.standard.units import format_age, format_duration, format_size, format_span
from core.tracking import performance

NOON = dt.datetime(2026, 1, 31, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2026-01-31T12:00:00",  # naive, as the bot writes it: UTC
        "2026-01-31T12:00:00.000000",
        "2026-01-31T12:00:00Z",
        "2026-01-31T12:00:00+00:00",
        "2026-01-31T14:00:00+02:00",
        "2026-01-31T07:00:00-05:00",
    ],
)
def test_one_parser_reads_naive_z_and_offsets_as_the_same_instant(text: str) -> None:
    assert parse_ts(text) == NOON
    assert parse_ts(text).tzinfo is dt.UTC  # type: ignore[union-attr]
    assert parse_timestamp(text) == NOON.timestamp()


@pytest.mark.parametrize(
    "value",
    [None, "", "yesterday", "2026-13-01T00:00:00", "2026-01-31T25:00", 1769860800, [], {}],
)
def test_garbage_is_none_never_an_exception(value: Any) -> None:
    assert parse_ts(value) is None
    assert parse_timestamp(value) is None


def test_out_of_range_offsets_are_none() -> None:
    assert parse_ts("0001-01-01T00:00:00+01:00") is None  # before year 1 in UTC


def test_the_two_written_forms() -> None:
    assert iso(NOON) == "2026-01-31T12:00:00.000000"
    assert iso(NOON.replace(tzinfo=None)) == "2026-01-31T12:00:00.000000"
    assert utc_stamp(NOON) == "2026-01-31T12:00:00Z"
    assert utc_stamp(NOON.timestamp()) == "2026-01-31T12:00:00Z"
    assert utc_stamp(parse_ts("2026-01-31T14:00:00.5+02:00")) == "2026-01-31T12:00:00Z"
    assert parse_ts(iso(NOON)) == NOON
    assert parse_ts(utc_stamp(NOON)) == NOON


def test_frequency_table_is_the_standards_list_and_the_bots() -> None:
    assert dict(FREQUENCIES) == {
        "hourly": 3600,
        "daily": 86400,
        "on_restart": None,
        "manual": None,
    }
    assert frequency_seconds("hourly") == 3600
    assert frequency_seconds("weekly") is None  # neither the standard nor the bot has it
    assert frequency_seconds(None) is None


def test_every_user_of_frequencies_agrees_with_the_table() -> None:
    assert set(get_args(schemas.SnapshotFrequency)) == set(FREQUENCIES)
    assert performance.FREQUENCIES is FREQUENCIES
    for name in FREQUENCIES:
        performance.new_config({}, name, NOON)  # the writer accepts every listed frequency
    with pytest.raises(ValueError, match="weekly"):
        performance.new_config({}, "weekly", NOON)


def test_the_scan_counts_gaps_with_the_same_table() -> None:
    from core.config import Config

    stamps = [iso(NOON + dt.timedelta(hours=h)) for h in (0, 1, 2, 6)]
    snapshots = [{"timestamp": t, "total_value_eur": 1.0} for t in stamps]
    for name, seconds in FREQUENCIES.items():
        summary, _, _ = summarize_snapshots(snapshots, {"snapshot_frequency": name}, Config())
        assert (summary.gaps > 0) == (seconds == 3600), name


def test_one_current_version() -> None:
    assert get_args(schemas.Version) == (CURRENT_VERSION,)
    assert performance.CURRENT_VERSION == CURRENT_VERSION
    config = performance.new_config({}, "hourly", NOON)
    assert config["version"] == CURRENT_VERSION
    assert schemas.validate("performance_config", config) == []


@pytest.mark.parametrize(
    ("seconds", "span", "age", "duration"),
    [
        (5, "5 s", "5s", "0m"),
        (300, "5 min", "5m", "5m"),
        (3600, "1.0 h", "1.0h", "1h 0m"),
        (5400, "1.5 h", "1.5h", "1h 30m"),
        (36 * 3600, "1.5 d", "36h", "1d 12h"),
        (330 * 86400 + 3600, "330.0 d", "330d", "330d 1h"),
    ],
)
def test_duration_forms(seconds: float, span: str, age: str, duration: str) -> None:
    assert (format_span(seconds), format_age(seconds), format_duration(seconds)) == (
        span,
        age,
        duration,
    )


def test_negative_durations() -> None:
    assert format_age(-1) == "future"
    assert format_duration(-100) == "0m"


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (512, "512 B"),
        (4096, "4.0 KiB"),
        (12.3 * 1024**2, "12.3 MiB"),
        (2**50, "1024.0 TiB"),
    ],
)
def test_one_size_formatter(size: float, text: str) -> None:
    assert format_size(size) == text
