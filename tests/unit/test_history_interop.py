"""Interop: pandas/polars files read with core.tracking.history; ours read in pandas/polars."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from core.tracking.history import OHLCV_SCHEMA, footer_summary, read_ohlcv, scan_series, write_ohlcv

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
N = 3000


def _frame_data() -> dict[str, list[Any]]:
    stamps = [T0 + dt.timedelta(minutes=i) for i in range(N) if not 100 <= i < 104]
    k = len(stamps)
    return {
        "timestamp": stamps,
        "open": [1.0] * k,
        "high": [2.0] * k,
        "low": [0.5] * k,
        "close": [1.5] * k,
        "volume": [float(i) for i in range(k)],
    }


def _check_foreign(path: Path) -> None:
    table = read_ohlcv(path)
    assert table.schema == OHLCV_SCHEMA
    assert table.num_rows == N - 4
    assert table.column("timestamp")[0].as_py() == T0
    assert scan_series(table, "minute").missing == 4
    part = read_ohlcv(path, T0 + dt.timedelta(minutes=10), T0 + dt.timedelta(minutes=20))
    assert part.num_rows == 10
    summary = footer_summary(path, now=T0 + dt.timedelta(minutes=N))
    assert summary.error is None
    assert (summary.rows, summary.gaps, summary.duplicates) == (N - 4, 4, 0)
    assert summary.start == T0.isoformat()
    assert summary.last_candle_age_s == 60.0


@pytest.mark.parametrize("index", ["range", "timestamp"])
def test_pandas_written_file_reads_back(tmp_path: Path, index: str) -> None:
    df = pd.DataFrame(_frame_data())
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)  # datetime64[ns, UTC]
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    if index == "timestamp":
        # index stored as a regular column named "timestamp" by pandas' writer
        df.set_index("timestamp").to_parquet(path, engine="pyarrow", row_group_size=1000)
    else:
        df.to_parquet(path, engine="pyarrow", row_group_size=1000)
    _check_foreign(path)


@pytest.mark.parametrize("unit", ["us", "ns", "ms"])
def test_polars_written_file_reads_back(tmp_path: Path, unit: Literal["us", "ns", "ms"]) -> None:
    df = pl.DataFrame(_frame_data()).with_columns(
        pl.col("timestamp").dt.cast_time_unit(unit).dt.replace_time_zone("UTC")
    )
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    df.write_parquet(path, row_group_size=1000, statistics=True)
    _check_foreign(path)


def test_naive_foreign_timestamps_are_read_as_utc(tmp_path: Path) -> None:
    df = pd.DataFrame(_frame_data())
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.tz_localize(None)
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    df.to_parquet(path, engine="pyarrow")
    _check_foreign(path)


def _ours(tmp_path: Path) -> tuple[Path, pa.Table]:
    data = _frame_data()
    table = pa.table({**data, "timestamp": pa.array(data["timestamp"], pa.timestamp("ms", "UTC"))})
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, table)
    return path, table


def test_our_file_reads_in_pandas(tmp_path: Path) -> None:
    path, _ = _ours(tmp_path)
    df = pd.read_parquet(path, engine="pyarrow")
    assert list(df.columns) == ["timestamp", "open", "high", "low", "close", "volume"]
    assert len(df) == N - 4
    assert str(df["timestamp"].dt.tz) == "UTC"
    assert df["timestamp"].iloc[0] == pd.Timestamp(T0)
    assert df["timestamp"].is_monotonic_increasing
    assert df["volume"].dtype == "float64"


def test_our_file_reads_in_polars(tmp_path: Path) -> None:
    path, _ = _ours(tmp_path)
    df = pl.read_parquet(path)
    assert df.columns == ["timestamp", "open", "high", "low", "close", "volume"]
    assert df.height == N - 4
    assert df.schema["timestamp"] == pl.Datetime("ms", "UTC")
    assert df["timestamp"][0] == T0
    assert df["timestamp"].is_sorted()
    lazy = pl.scan_parquet(path).filter(pl.col("timestamp") >= T0 + dt.timedelta(minutes=2000))
    assert lazy.collect().height == N - 2000
