"""Benchmarks for core.tracking.performance snapshots and core.tracking.history Parquet files.

Usage: ``.venv/bin/python bench/history.py [--quick]``. Prints medians and the
ratio to a bare baseline measured in the same run; no thresholds.

* append one snapshot (``append_snapshot``: load + append + 2 atomic writes) at
  8,760 and 87,600 stored snapshots, next to a JSON-Lines append of the same
  snapshot (open O_APPEND + write + fsync) for the format recommendation;
* a 525,600-row minute file: ``write_ohlcv``/``read_ohlcv`` vs bare
  ``pyarrow.parquet.write_table``/``read_table``;
* ``footer_summary`` per file over 200 files vs bare ``pyarrow.parquet.read_metadata``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.tracking import performance as perf
from core.tracking.history import footer_summary, read_ohlcv, write_ohlcv

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PORTFOLIO = {
    "portfolio_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
    "EUR": {"amount": 150.0, "initial_amount": 150.0},
    "BTC": {"amount": 0.012, "initial_amount": 0.012, "last_price_eur": 58_000.0},
    "ETH": {"amount": 0.15, "initial_amount": 0.15, "last_price_eur": 3_100.0},
    "SOL": {"amount": 2.5, "initial_amount": 2.5, "last_price_eur": 140.0},
}


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:9.2f} ms"


def bench_snapshots(work: Path, sizes: tuple[int, ...], runs: int) -> None:
    for size in sizes:
        root = work / f"snap{size}"
        perf.init_tracking(root, PORTFOLIO, now=T0)
        snaps = [
            perf.make_snapshot(PORTFOLIO, "scheduled", "bench", now=T0 + dt.timedelta(hours=i))
            for i in range(size)
        ]
        perf.write_snapshots(root, snaps)
        path = root / "data/performance/portfolio_snapshots.json"
        counter = [size]

        def append(root: Path = root, counter: list[int] = counter) -> None:
            moment = T0 + dt.timedelta(hours=counter[0])
            perf.append_snapshot(
                root, perf.make_snapshot(PORTFOLIO, "scheduled", "bench", now=moment)
            )
            counter[0] += 1

        t_append = median_time(append, runs)
        t_load = median_time(functools.partial(perf.load_tracking, root), runs)
        jsonl = root / "snapshots.jsonl"
        line = orjson.dumps(snaps[-1], option=orjson.OPT_APPEND_NEWLINE)

        def append_line(jsonl: Path = jsonl, line: bytes = line) -> None:
            fd = os.open(jsonl, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

        t_line = median_time(append_line, runs)
        mb = path.stat().st_size / 1e6
        print(
            f"snapshots: append one at {size:,}: append_snapshot {fmt(t_append)}"
            f" | load_tracking {fmt(t_load)} | file {mb:.1f} MB"
            f" | jsonl append+fsync {fmt(t_line)} | ratio {t_append / t_line:,.0f}x"
        )


def make_minutes(rows: int) -> pa.Table:
    base = int(T0.timestamp() * 1000)
    ms = pa.array(range(base, base + rows * 60_000, 60_000), pa.int64())
    price = pa.array([100.0 + (i % 977) * 0.01 for i in range(rows)])
    return pa.table(
        {
            "timestamp": ms.cast(pa.timestamp("ms", "UTC")),
            "open": price,
            "high": price,
            "low": price,
            "close": price,
            "volume": pa.array([float(i % 13) for i in range(rows)]),
        }
    )


def bench_parquet(work: Path, rows: int, runs: int) -> None:
    table = make_minutes(rows)
    ours = work / "BTC-EUR_minute_1y.parquet"
    bare = work / "bare.parquet"
    t_w = median_time(lambda: write_ohlcv(ours, table), runs)
    t_wb = median_time(lambda: pq.write_table(table, bare, compression="snappy"), runs)

    def bare_durable() -> None:
        with open(bare, "wb") as handle:
            pq.write_table(table, handle, compression="snappy")
            handle.flush()
            os.fsync(handle.fileno())

    t_wd = median_time(bare_durable, runs)
    t_r = median_time(lambda: read_ohlcv(ours), runs)
    t_rb = median_time(lambda: pq.read_table(bare), runs)
    day = (T0 + dt.timedelta(days=100), T0 + dt.timedelta(days=101))
    t_rr = median_time(lambda: read_ohlcv(ours, *day), runs)
    print(
        f"parquet {rows:,} rows: write_ohlcv {fmt(t_w)} | pq.write_table {fmt(t_wb)}"
        f" | ratio {t_w / t_wb:.2f}x | {ours.stat().st_size / 1e6:.1f} MB"
        f" | pq.write_table+fsync {fmt(t_wd)} (ratio {t_w / t_wd:.2f}x)"
    )
    print(
        f"parquet {rows:,} rows: read_ohlcv {fmt(t_r)} | pq.read_table {fmt(t_rb)}"
        f" | ratio {t_r / t_rb:.2f}x | one-day range read {fmt(t_rr)}"
    )


def bench_footers(work: Path, files: int, runs: int) -> None:
    directory = work / "footers"
    directory.mkdir()
    table = make_minutes(1440)
    paths = []
    for i in range(files):
        path = directory / f"A{i:04d}-EUR_minute_7d.parquet"
        write_ohlcv(path, table)
        paths.append(path)
    now = T0 + dt.timedelta(days=2)
    t_sum = median_time(lambda: [footer_summary(p, now=now) for p in paths], runs) / files
    t_meta = median_time(lambda: [pq.read_metadata(p) for p in paths], runs) / files
    print(
        f"footer_summary per file ({files} files): {fmt(t_sum)} | pq.read_metadata"
        f" {fmt(t_meta)} | ratio {t_sum / t_meta:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one run (smoke test)")
    args = parser.parse_args()
    if args.quick:
        sizes, rows, files, runs = (200, 2_000), 20_000, 10, 1
    else:
        sizes, rows, files, runs = (8_760, 87_600), 525_600, 200, 5
    print(
        f"bench/history.py {'--quick ' if args.quick else ''}python {sys.version.split()[0]}"
        f" pyarrow {pa.__version__} cpus {os.cpu_count()}"
    )
    with tempfile.TemporaryDirectory(prefix="botstore-bench-") as tmp:
        work = Path(tmp)
        bench_snapshots(work, sizes, runs)
        bench_parquet(work, rows, runs)
        bench_footers(work, files, runs)
    print("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
