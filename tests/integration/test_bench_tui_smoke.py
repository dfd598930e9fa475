"""bench/tui_latency.py --quick runs end to end and prints every figure (no timing assertions)."""

from __future__ import annotations

from cli_run import run_bench_quick


def test_bench_tui_quick_prints_every_figure() -> None:
    result = run_bench_quick("tui_latency.py", timeout=115)
    out = result.stdout
    assert "app   write->panel  n=20 " in out and "p50=" in out and "p99=" in out
    assert "base  write->watcher callback (no UI)" in out
    assert "ratio app p50 / watcher p50" in out
    assert "idle  cpu=" in out and "rss=" in out
    assert "target p99 < 100 ms:" in out and "target cpu < 1 %:" in out
