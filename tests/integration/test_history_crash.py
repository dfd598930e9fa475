"""SIGKILL a child rewriting a large Parquet file: readers always see one complete version."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pyarrow.compute as pc
import pytest
from cli_run import kill_after, start_child

from core.tracking.history import read_ohlcv

CHILD = textwrap.dedent("""
    import datetime as dt, sys
    import pyarrow as pa
    from core.tracking.history import write_ohlcv
    path = sys.argv[1]
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    base = pa.array(range(120_000), pa.int64())
    k = int(sys.argv[2])
    while True:
        n = 120_000 - k % 1000
        start = int(t0.timestamp() * 1000)
        ms = pa.compute.add(pa.compute.multiply(base.slice(0, n), 60_000), start)
        col = pa.array([float(k)] * n)
        write_ohlcv(path, pa.table({"timestamp": ms.cast(pa.timestamp("ms", "UTC")), "open": col,
                                    "high": col, "low": col, "close": col, "volume": col}))
        print(k, flush=True)
        k += 1
""")


def _check_version(path: Path) -> int:
    table = read_ohlcv(path)
    closes = table.column("close")
    version = int(closes[0].as_py())
    assert pc.all(pc.equal(closes, float(version))).as_py()
    assert table.num_rows == 120_000 - version % 1000
    return version


@pytest.mark.slow
def test_sigkill_during_parquet_rewrite_never_exposes_partial_file(tmp_path: Path) -> None:
    path = tmp_path / "BTC-EUR_minute_1y.parquet"
    rng = random.Random(7)
    version = 0
    kills = 0
    for _ in range(20):
        child = start_child(CHILD, str(path), str(version + 1))
        assert child.stdout is not None and child.stderr is not None
        first = child.stdout.readline()  # at least one complete write happened
        assert first, f"child died before its first write: {child.stderr.read()}"
        kill_after(child, rng.uniform(0.0, 0.4))
        kills += 1
        seen = _check_version(path)
        assert seen > version  # progress, and only ever a complete version
        version = seen
        expected = {path.name, f".{path.name}.lock", f".{path.name}.series.lock"}
        leftovers = [p.name for p in tmp_path.iterdir() if p.name not in expected]
        assert all(n.startswith(f".{path.name}.") and n.endswith(".tmp") for n in leftovers)
    assert kills == 20
