"""History from the exchange: ``refetch-history`` against the local fake Coinbase (real ccxt):
missing files recreated, gaps filled, every failure mode leaves the old file byte-identical."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from fake_exchange import (
    GRANULARITY,
    FakeCoinbase,
    candle,
    exchange_tree,
    run,
    sha,
    write_config,
    write_credentials,
)

from core.cli.main import main
from core.standard.layout import ACTIONS_LOG, QUARANTINE_DIR
from core.storage.names import is_temp_name
from core.tracking import history

SERIES = "BTC-EUR_hour_30d.parquet"
HOUR = 3600


pytestmark = pytest.mark.usefixtures("no_secret_leaks")  # tests/conftest.py


@pytest.fixture
def tree(tmp_path: Path, fake: FakeCoinbase) -> Path:
    return exchange_tree(tmp_path, fake, "data/historical", series=["BTC-EUR_hour_30d"])


def server_table(fake: FakeCoinbase, product: str, starts: list[int]) -> pa.Table:
    rows = [candle(product, "ONE_HOUR", t) for t in starts if fake.has_candle(product, t)]
    return pa.table(
        {
            "timestamp": pa.array(
                [int(r["start"]) * 1000 for r in rows], pa.timestamp("ms", tz="UTC")
            ),
            **{
                k: pa.array([float(r[k]) for r in rows], pa.float64())
                for k in history.PRICE_COLUMNS
            },
        }
    )


def hours_before_now(count: int, skip: range | None = None) -> list[int]:
    last = int(dt.datetime.now(dt.UTC).timestamp()) // HOUR * HOUR - 10 * HOUR
    starts = [last - i * HOUR for i in range(count)][::-1]
    return [t for i, t in enumerate(starts) if skip is None or i not in skip]


def gapped_table(fake: FakeCoinbase) -> pa.Table:
    """The server's BTC-EUR candles of the 200 hours before now, without hours 80-127."""
    return server_table(fake, "BTC-EUR", hours_before_now(200, range(80, 128)))


def write_gapped(tree: Path, fake: FakeCoinbase) -> tuple[Path, list[int]]:
    """The tree's series file written as :func:`gapped_table`; its path and the 200 hours."""
    path = tree / "data" / "historical" / SERIES
    full = hours_before_now(200)
    history.write_ohlcv(path, gapped_table(fake))
    return path, full


def test_deleted_history_file_is_recreated_with_exactly_the_servers_candles(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    before = int(dt.datetime.now(dt.UTC).timestamp())
    code, _, err = run(capsys, "refetch-history", "--missing", "--yes", "--root", str(tree))
    after = int(dt.datetime.now(dt.UTC).timestamp())
    assert code == 0, err
    path = tree / "data" / "historical" / SERIES
    table = history.read_ohlcv(path)
    assert table.schema == history.OHLCV_SCHEMA
    starts = [int(t.timestamp()) for t in table.column("timestamp").to_pylist()]
    expected_ends = {moment // HOUR * HOUR for moment in (before, after)}
    assert starts[-1] + HOUR in expected_ends  # up to the last closed candle
    assert len(starts) == 30 * 24
    assert table.equals(server_table(fake, "BTC-EUR", starts))
    assert starts == sorted(set(starts))
    info = history.read_footer(path)
    assert info.compression == "snappy"
    assert path.stat().st_mode & 0o777 == 0o640
    assert len(fake.paths("/candles")) == 3  # 720 candles in pages of 300
    audit = [json.loads(line) for line in (tree / ACTIONS_LOG).read_text().splitlines()]
    assert [(a["action"], a["result"]) for a in audit] == [("refetch-history", "ok")]


def test_a_48_candle_gap_is_filled_in_place(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    path, full = write_gapped(tree, fake)
    old = sha(path)
    code, out, _ = run(capsys, "refetch-history", "--gaps", "--root", str(tree))
    assert code == 0 and "rows: 152 → 200" in out and sha(path) == old  # dry run
    code, _, err = run(capsys, "refetch-history", "--gaps", "--yes", "--root", str(tree))
    assert code == 0, err
    table = history.read_ohlcv(path)
    assert table.num_rows == 200
    check = history.scan_series(table, "hour")
    assert (check.gaps, check.duplicates, check.out_of_order) == ([], 0, 0)
    assert table.equals(server_table(fake, "BTC-EUR", full))
    gap = f"start={full[80]}&end={full[128]}"  # only the 48 missing candles were asked for
    assert [p.rpartition("&start=")[2] for p in fake.paths("/candles")] == [
        gap.removeprefix("start=")
    ] * 2  # once by the dry run, once by --yes
    # the old bytes are kept in the action's quarantine
    kept = list((tree / QUARANTINE_DIR).glob(f"*-refetch-history/data/historical/{SERIES}"))
    assert [sha(p) for p in kept] == [old]


def test_interrupted_download_leaves_the_old_file_byte_identical(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree / "data" / "historical" / SERIES
    history.write_ohlcv(path, server_table(fake, "BTC-EUR", hours_before_now(700, range(5, 695))))
    old = sha(path)
    fake.fault("drop", "/candles", after=1)  # page 1 arrives, then every page is cut halfway
    code, out, err = run(capsys, "refetch-history", "--yes", "--root", str(tree))
    assert code == 1 and out == ""
    assert err.startswith("botstore: ") and len(err.strip().splitlines()) == 1
    assert "network error (unreachable or connection dropped); gave up after 2 attempt(s)" in err
    assert sha(path) == old
    assert [n for n in os.listdir(path.parent) if is_temp_name(n)] == []  # no temp file left
    assert not (tree / QUARANTINE_DIR).exists()


@pytest.mark.parametrize(
    ("fault", "series", "expected"),
    [
        (
            "429",
            SERIES,
            "rate limited (HTTP 429, server asks to retry after 1 s); gave up after 2 attempt(s)",
        ),
        ("500", SERIES, "exchange error: coinbase"),
        (
            "hostile",
            SERIES,
            "exchange unavailable (HTTP 5xx or refused); gave up after 2 attempt(s)",
        ),
        ("503", SERIES, "exchange unavailable (HTTP 5xx or refused); gave up after 2 attempt(s)"),
        ("slow", SERIES, "no answer within the timeout; gave up after 2 attempt(s)"),
        ("truncated", SERIES, "malformed response"),
        ("unknown_product", SERIES, "ProductID is invalid"),
        (None, "DOGE-EUR_hour_30d", "has no market DOGE/EUR (unknown symbol)"),
        (None, "BTC-EUR_4hour_30d", "coinbase has no 4hour candles (timeframe 4h)"),
        ("no-daily", "BTC-EUR_daily_30d", "Unsupported granularity ONE_DAY"),
    ],
)
def test_each_failure_is_one_clear_line_and_replaces_nothing(  # noqa: PLR0917
    tmp_path: Path,
    fake: FakeCoinbase,
    capsys: pytest.CaptureFixture[str],
    fault: str | None,
    series: str,
    expected: str,
) -> None:
    root = tmp_path / "bot"
    directory = root / "data" / "historical"
    directory.mkdir(parents=True)
    write_config(root, fake.url, write_credentials(tmp_path / "etc", fake), timeout=0.5)
    path = directory / series
    path.write_bytes(b"PAR1 not really parquet PAR1")  # unreadable: whole period refetched
    old = sha(path)
    if fault == "no-daily":
        fake.granularities.discard("ONE_DAY")
    elif fault == "slow":
        fake.fault("slow", "/candles", delay=3)
    elif fault is not None:
        fake.fault(fault, "/candles")
    code, out, err = run(
        capsys, "refetch-history", series.removesuffix(".parquet"), "--yes", "--root", str(root)
    )
    assert code == 1 and out == ""
    assert err.startswith("botstore: ") and len(err.strip().splitlines()) == 1, err
    assert expected in err
    assert "\x1b" not in err
    assert sha(path) == old and sorted(os.listdir(directory)) == [series]  # no temp/lock
    if fault == "hostile":  # the exchange's text is shown, its control characters are not
        assert "down" in err and "\x07" not in err and "fake: line" in err
    if fault in {"429", "503", "slow", "hostile"}:  # ccxt's own bounded retry: 1 + retries
        assert len(fake.paths("/candles")) == 2
    fake.release.set()


def test_rate_limit_then_success_is_retried_by_ccxt(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fault("429", "/candles", times=1)
    code, _, err = run(capsys, "refetch-history", "--missing", "--yes", "--root", str(tree))
    assert code == 0, err
    assert history.read_ohlcv(tree / "data" / "historical" / SERIES).num_rows == 720
    assert len(fake.paths("/candles")) == 4  # one page asked twice


def test_progress_bar_only_on_a_terminal(
    tree: Path,
    fake: FakeCoinbase,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        monkeypatch.setattr(sys, "stderr", terminal)
        code = main(["refetch-history", "--missing", "--root", str(tree)])
        terminal.flush()
    monkeypatch.undo()
    chunks = []
    while True:  # one read returns what the pty has buffered so far, not all of it
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal side is closed and everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    drawn = b"".join(chunks).decode()
    assert code == 0
    assert f"\r{SERIES} [" in drawn and "] 720/720" in drawn
    capsys.readouterr()
    code, out, err = run(capsys, "refetch-history", "--missing", "--json", "--root", str(tree))
    assert code == 0 and err == ""
    assert json.loads(out)["plan"]["steps"][0]["path"] == f"data/historical/{SERIES}"


def test_fits_history_findings() -> None:
    from core.actions import refetch_history

    assert refetch_history.fits(f"data/historical/{SERIES}", {"gap"})
    assert refetch_history.fits(f"data/historical/{SERIES}", {"parquet"})
    assert not refetch_history.fits("data/historical/notes.parquet", {"gap"})
    assert not refetch_history.fits(f"data/historical/{SERIES}", {"stale"})
    assert GRANULARITY["ONE_HOUR"] == HOUR


def test_what_the_exchange_lacks_stays_a_gap(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    path, full = write_gapped(tree, fake)
    fake.holes["BTC-EUR"] = [(full[100], full[110])]  # the exchange has no candles there either
    code, out, err = run(capsys, "refetch-history", "--gaps", "--yes", "--root", str(tree))
    assert code == 0, err
    assert "the exchange lacks 10 candle(s) inside the series too; they stay a gap" in out
    table = history.read_ohlcv(path)
    assert table.num_rows == 190
    check = history.scan_series(table, "hour")
    assert check.missing == 10 and check.duplicates == 0


def test_without_an_exchange_table_it_says_how_to_configure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "bot"
    (root / "data").mkdir(parents=True)
    code, out, err = run(capsys, "refetch-history", "--missing", "--root", str(root))
    assert code == 1 and out == ""
    assert "no [exchange] table" in err and len(err.strip().splitlines()) == 1


def test_unreadable_history_file_is_replaced_and_its_bytes_quarantined(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree / "data" / "historical" / SERIES
    path.write_bytes(b"PAR1\x00garbage")
    path.chmod(0o600)
    old = sha(path)
    code, _, err = run(capsys, "refetch-history", SERIES, "--missing", "--yes", "--root", str(tree))
    assert code == 0, err
    table = history.read_ohlcv(path)
    assert table.num_rows == 720
    starts = [int(t.timestamp()) for t in table.column("timestamp").to_pylist()]
    assert table.equals(server_table(fake, "BTC-EUR", starts))
    assert path.stat().st_mode & 0o777 == 0o600  # the file's mode is kept
    kept = list((tree / QUARANTINE_DIR).glob(f"*-refetch-history/data/historical/{SERIES}"))
    assert [sha(p) for p in kept] == [old]


def test_a_gap_in_a_pandas_written_file_is_filled_in_the_bots_layout(
    tree: Path, fake: FakeCoinbase, capsys: pytest.CaptureFixture[str]
) -> None:
    """The bot writes history with pandas (naive ``time`` index, gzip) and reads it with
    ``pd.read_parquet``: after a refetch it must get the same kind of frame back, with the
    missing candles in it — never a file in our ``timestamp``-column layout."""
    import pandas as pd

    path = tree / "data" / "historical" / SERIES
    full = hours_before_now(200)
    have = gapped_table(fake).to_pandas()
    frame = have.set_index(
        pd.DatetimeIndex(have.pop("timestamp").dt.tz_localize(None), name="time")
    )[["low", "high", "open", "close", "volume"]]
    frame.to_parquet(path, compression="gzip")
    code, _, err = run(capsys, "refetch-history", "--gaps", "--yes", "--root", str(tree))
    assert code == 0, err
    back = pd.read_parquet(path)  # exactly what the bot does
    assert back.index.name == "time" and back.index.tz is None
    assert list(back.columns) == ["low", "high", "open", "close", "volume"]
    want = server_table(fake, "BTC-EUR", full).to_pandas()
    assert len(back) == 200 and back.index.is_monotonic_increasing
    assert list(back.index) == list(want["timestamp"].dt.tz_localize(None))
    assert back["close"].tolist() == want["close"].tolist()
    # our own reader still sees the same candles
    assert history.read_ohlcv(path).equals(server_table(fake, "BTC-EUR", full))


def test_merge_ohlcv_keeps_a_pandas_written_layout(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "BTC-EUR_hour_30d.parquet"
    times = pd.date_range("2026-11-01", periods=4, freq="h", name="time")
    frame = pd.DataFrame(
        {"low": 1.0, "high": 2.0, "open": 1.5, "close": 1.7, "volume": 9.0}, index=times
    )
    frame.iloc[[0, 1, 3]].to_parquet(path, compression="gzip")
    missing = frame.iloc[[2]].reset_index()
    history.merge_ohlcv(
        path,
        {
            "timestamp": pa.array(
                [int(missing["time"][0].timestamp() * 1000)], pa.timestamp("ms", tz="UTC")
            ),
            **{k: pa.array([float(missing[k][0])]) for k in history.PRICE_COLUMNS},
        },
    )
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame, check_freq=False)
