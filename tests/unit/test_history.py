"""core.tracking.history: names, atomic OHLCV writes, pruned reads, merge, gap checks, footers."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli.main import main as cli_main
from core.tracking import history
from core.tracking.history import (
    GRANULARITY_SECONDS,
    OHLCV_SCHEMA,
    HistoryName,
    footer_summary,
    history_filename,
    merge_ohlcv,
    parse_history_name,
    period_seconds,
    read_footer,
    read_ohlcv,
    scan_series,
    write_ohlcv,
)

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def candles(
    start: dt.datetime, n: int, step_s: int = 60, *, skip: range = range(0), price: float = 100.0
) -> pa.Table:
    stamps = [start + dt.timedelta(seconds=i * step_s) for i in range(n) if i not in skip]
    k = len(stamps)
    return pa.table(
        {
            "timestamp": pa.array(stamps, pa.timestamp("ms", tz="UTC")),
            "open": [price] * k,
            "high": [price + 1] * k,
            "low": [price - 1] * k,
            "close": [price] * k,
            "volume": [1.0] * k,
        }
    )


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BTC-EUR_hour_180d.parquet", HistoryName("BTC", "EUR", "hour", "180d")),
        ("ETH-EUR_daily_30d.parquet", HistoryName("ETH", "EUR", "daily", "30d")),
        ("SOL-EUR_minute_7d.parquet", HistoryName("SOL", "EUR", "minute", "7d")),
    ],
)
def test_standard_examples_parse(name: str, expected: HistoryName) -> None:
    parsed = parse_history_name(name)
    assert parsed == expected
    assert parsed.filename == name
    assert history_filename(parsed.asset, parsed.base, parsed.granularity, parsed.period) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("BTC-EUR_hour_180d.csv", "does not end with .parquet"),
        ("btc-EUR_hour_180d.parquet", "asset 'btc' must be 2-10 uppercase"),
        ("BTC-eur_hour_180d.parquet", "base 'eur' must be 2-10 uppercase"),
        ("BTCEUR_hour_180d.parquet", "must be ASSET-BASE with exactly one '-'"),
        ("BTC-EUR-X_hour_180d.parquet", "exactly one '-'"),
        ("BTC-EUR_fortnightly_180d.parquet", "unknown granularity 'fortnightly'"),
        ("BTC-EUR_hour_180.parquet", "period '180' must be a positive count then a unit"),
        ("BTC-EUR_hour_0d.parquet", "period '0d'"),
        ("BTC-EUR_hour.parquet", "three '_'-separated parts"),
        ("BTC-EUR_hour_180d_v2.parquet", "PAIR_granularity_period, found 4"),
        ("B-EUR_hour_7d.parquet", "asset 'B' must be 2-10"),
        ("VERYLONGASSET-EUR_hour_7d.parquet", "asset 'VERYLONGASSET'"),
        ("BTC-BTC_hour_7d.parquet", "asset and base are both 'BTC'"),
        ("data/BTC-EUR_hour_7d.parquet", "is a path"),
    ],
)
def test_malformed_names_rejected_with_reason(name: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_history_name(name)


def test_history_filename_validates_parts() -> None:
    with pytest.raises(ValueError, match="unknown granularity"):
        history_filename("BTC", "EUR", "fortnight", "7d")


def test_period_seconds_and_granularities() -> None:
    assert period_seconds("7d") == 7 * 86_400
    assert period_seconds("2w") == 14 * 86_400
    assert period_seconds("1m") == 30 * 86_400
    assert period_seconds("1y") == 365 * 86_400
    assert {"minute", "hour", "daily"} <= set(GRANULARITY_SECONDS)
    with pytest.raises(ValueError, match="period 'x'"):
        period_seconds("x")


# --------------------------------------------------------------------------- write/read


def test_write_is_snappy_sorted_640_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    table = candles(T0, 100)
    shuffled = table.take(pa.array(list(range(99, -1, -1))))
    write_ohlcv(path, shuffled)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    meta = pq.read_metadata(path)
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    back = read_ohlcv(path)
    assert back.schema == OHLCV_SCHEMA
    assert back.equals(table)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_accepts_mapping_and_widens_ints(tmp_path: Path) -> None:
    path = tmp_path / "ETH-EUR_daily_30d.parquet"
    write_ohlcv(
        path,
        {
            "timestamp": [T0, T0 + dt.timedelta(days=1)],
            "open": [1, 2],
            "high": [1, 2],
            "low": [1, 2],
            "close": [1, 2],
            "volume": [0, 0],
        },
    )
    assert read_ohlcv(path).column("open").to_pylist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.drop_columns(["volume"]), "missing column(s): volume"),
        (
            lambda t: t.append_column("extra", pa.array([1] * t.num_rows)),
            "unexpected column(s): extra",
        ),
        (
            lambda t: t.set_column(0, "timestamp", t.column("timestamp").cast(pa.timestamp("ms"))),
            "no time zone",
        ),
        (lambda t: t.set_column(1, "open", pa.array(["x"] * t.num_rows)), "'open' has type string"),
        (lambda t: t.set_column(0, "timestamp", pa.array([1] * t.num_rows)), "has type int64"),
    ],
)
def test_write_rejects_bad_schema_without_touching_file(
    tmp_path: Path, mutate: Callable[[pa.Table], pa.Table], message: str
) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 3))
    before = path.read_bytes()
    with pytest.raises(ValueError, match=re.escape(message)):
        write_ohlcv(path, mutate(candles(T0, 3)))
    assert path.read_bytes() == before


def test_read_range_prunes_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 5000), row_group_size=1000)
    assert pq.read_metadata(path).num_row_groups == 5
    read_groups: list[list[int]] = []
    original = pq.ParquetFile.read_row_groups

    def spy(self: pq.ParquetFile, row_groups: list[int], *args: Any, **kwargs: Any) -> pa.Table:
        read_groups.append(list(row_groups))
        return original(self, row_groups, *args, **kwargs)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    start, end = T0 + dt.timedelta(minutes=2100), T0 + dt.timedelta(minutes=2200)
    part = read_ohlcv(path, start, end)
    assert read_groups == [[2]]
    assert part.num_rows == 100
    assert part.column("timestamp")[0].as_py() == start
    assert part.column("timestamp")[-1].as_py() == end - dt.timedelta(minutes=1)
    # Half-open range crossing a row-group boundary; naive bounds are UTC.
    naive = read_ohlcv(path, dt.datetime(2024, 1, 1, 16, 0), dt.datetime(2024, 1, 1, 17, 0))
    assert read_groups[-1] == [0, 1]
    assert naive.num_rows == 60
    assert read_ohlcv(path, T0 + dt.timedelta(days=30)).num_rows == 0


# --------------------------------------------------------------------------- merge


def test_merge_dedupes_keeping_newest_and_sorts(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 10, price=100.0))
    newer = candles(T0 + dt.timedelta(minutes=8), 5, price=200.0)  # minutes 8..12, 2 overlap
    older_tail = candles(T0 - dt.timedelta(minutes=2), 2, price=50.0)
    merged = merge_ohlcv(path, pa.concat_tables([newer, older_tail]))
    assert merged.num_rows == 15
    on_disk = read_ohlcv(path)
    assert on_disk.equals(merged)
    stamps = on_disk.column("timestamp").to_pylist()
    assert stamps == sorted(stamps) and len(set(stamps)) == 15
    closes = dict(zip(stamps, on_disk.column("close").to_pylist(), strict=True))
    assert closes[T0 + dt.timedelta(minutes=8)] == 200.0
    assert closes[T0 + dt.timedelta(minutes=7)] == 100.0
    assert closes[T0 - dt.timedelta(minutes=2)] == 50.0
    check = scan_series(on_disk, "minute")
    assert (check.gaps, check.duplicates, check.out_of_order) == ([], 0, 0)


def test_merge_within_input_keeps_last_row_and_creates_file(tmp_path: Path) -> None:
    path = tmp_path / "SOL-EUR_minute_7d.parquet"
    batch = pa.concat_tables([candles(T0, 1, price=1.0), candles(T0, 1, price=2.0)])
    merged = merge_ohlcv(path, batch)
    assert merged.num_rows == 1
    assert read_ohlcv(path).column("close").to_pylist() == [2.0]


def test_merge_refuses_to_overwrite_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "SOL-EUR_minute_7d.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(pa.ArrowInvalid):
        merge_ohlcv(path, candles(T0, 1))
    assert path.read_bytes() == b"not parquet at all"


# --------------------------------------------------------------------------- gaps


def test_gap_detection_minute_series_with_hole(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 3000, skip=range(1500, 1530)), row_group_size=1000)
    full = scan_series(read_ohlcv(path), "minute")
    assert full.gaps == [(T0 + dt.timedelta(minutes=1500), T0 + dt.timedelta(minutes=1529))]
    assert full.missing == 30
    assert (full.duplicates, full.out_of_order) == (0, 0)
    now = T0 + dt.timedelta(minutes=3000)
    summary = footer_summary(path, now=now)
    assert summary.error is None
    assert summary.rows == 2970
    assert summary.gaps == 30
    assert summary.duplicates == 0
    assert summary.start == T0.isoformat()
    assert summary.end == (T0 + dt.timedelta(minutes=2999)).isoformat()
    assert summary.last_candle_age_s == 60.0
    assert summary.compression == "snappy"
    assert (summary.asset, summary.base, summary.granularity, summary.period) == (
        "BTC",
        "EUR",
        "minute",
        "7d",
    )


def test_footer_summary_reads_no_data_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 100))

    def forbidden(*args: Any, **kwargs: Any) -> NoReturn:
        raise AssertionError("data pages read")

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", forbidden)
    monkeypatch.setattr(pq.ParquetFile, "read", forbidden)
    monkeypatch.setattr(pq, "read_table", forbidden)
    assert footer_summary(path, now=T0).rows == 100


def test_scan_series_duplicates_and_out_of_order() -> None:
    table = candles(T0, 5)
    messy = pa.concat_tables([table, table.slice(1, 2)])  # 2 dups, 1 step backwards
    check = scan_series(messy, "minute")
    assert check.duplicates == 2
    assert check.out_of_order == 1
    assert check.gaps == []


def test_footer_duplicates_and_out_of_order_row_groups(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    table = candles(T0, 10)
    pq.write_table(pa.concat_tables([table, table.slice(0, 5)]), path, row_group_size=10)
    summary = footer_summary(path, now=T0)
    assert summary.duplicates == 5
    assert summary.gaps == 0
    assert summary.error is not None and "out of order" in summary.error
    assert read_footer(path).out_of_order


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "header_only", "directory"])
def test_corrupt_files_give_error_not_exception(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 2000))
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(data[:-12] + b"\xff" * 8 + b"PAR1")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "header_only":
        path.write_bytes(b"PAR1")
    else:
        path.unlink()
        path.mkdir()
    summary = footer_summary(path, now=T0)
    assert summary.error
    assert summary.rows is None
    assert summary.asset == "BTC"


def test_footer_summary_fifo_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    os.mkfifo(path)
    assert "not a regular file" in (footer_summary(path).error or "")


def test_nonstandard_name_still_summarized(tmp_path: Path) -> None:
    path = tmp_path / "prices.parquet"
    write_ohlcv(path, candles(T0, 10))
    summary = footer_summary(path, now=T0)
    assert summary.rows == 10 and summary.error is None
    assert summary.granularity is None and summary.gaps is None


# --------------------------------------------------------------------------- CLI


def test_cli_history_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = tmp_path / "data" / "historical"
    hist.mkdir(parents=True)
    write_ohlcv(hist / "BTC-EUR_minute_7d.parquet", candles(T0, 100, skip=range(10, 15)))
    write_ohlcv(hist / "ETH-EUR_hour_30d.parquet", candles(T0, 24, step_s=3600))
    assert cli_main(["history", "--root", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:6] == ["file", "asset", "base", "gran", "period", "rows"]
    assert lines[1].startswith("BTC-EUR_minute_7d.parquet")
    assert lines[1].split()[5] == "95"
    assert lines[0].index("rows") + len("rows") == lines[1].index(" 95") + 3  # right-aligned
    assert cli_main(["history", "--root", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    files = {Path(f["path"]).name: f for f in out["files"]}
    assert files["BTC-EUR_minute_7d.parquet"]["gaps"] == 5
    assert files["ETH-EUR_hour_30d.parquet"]["rows"] == 24
    assert files["ETH-EUR_hour_30d.parquet"]["path"] == "data/historical/ETH-EUR_hour_30d.parquet"
    (hist / "XRP-EUR_daily_30d.parquet").write_bytes(b"junk")
    assert cli_main(["history", "--root", str(tmp_path)]) == 1
    assert "ArrowInvalid" in capsys.readouterr().out


def test_module_exports() -> None:
    assert set(history.__all__) <= set(dir(history))


# --------------------------------------------------------------------------- faults, concurrency


def test_failed_fsync_leaves_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from core.errors import WriteFailed

    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    write_ohlcv(path, candles(T0, 10))
    before = path.read_bytes()
    real_fsync = os.fsync

    def failing(fd: int) -> None:
        raise OSError(errno.EIO, "injected EIO")

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(WriteFailed, match="injected EIO"):
        merge_ohlcv(path, candles(T0 + dt.timedelta(hours=1), 5))
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert path.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_concurrent_merges_lose_no_candles(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "BTC-EUR_minute_7d.parquet"
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            for i in range(15):
                merge_ohlcv(path, candles(T0 + dt.timedelta(minutes=offset + 4 * i), 1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    table = read_ohlcv(path)
    assert table.num_rows == 60
    assert scan_series(table, "minute") == history.SeriesCheck()
