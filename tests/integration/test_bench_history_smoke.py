"""bench/history.py --quick runs and prints every figure (no timing assertions)."""

from __future__ import annotations

from cli_run import run_bench_quick


def test_bench_history_quick_prints_expected_lines() -> None:
    result = run_bench_quick("history.py")
    out = result.stdout
    assert "snapshots: append one at 200: append_snapshot" in out
    assert "snapshots: append one at 2,000: append_snapshot" in out
    assert "jsonl append+fsync" in out
    assert "rows: write_ohlcv" in out and "pq.write_table" in out
    assert "rows: read_ohlcv" in out and "pq.read_table" in out
    assert "footer_summary per file (10 files)" in out and "pq.read_metadata" in out
    assert out.count("ratio") >= 6
    assert out.rstrip().endswith("done")
    assert result.stderr == ""
