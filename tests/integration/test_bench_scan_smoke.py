"""``bench/scan.py --quick`` runs and prints its figures (timing is not asserted)."""

from __future__ import annotations

from cli_run import run_bench_quick


def test_bench_quick() -> None:
    result = run_bench_quick("scan.py")
    assert "ratio check/baseline" in result.stdout
    assert "parquet footers summarized" in result.stdout
    assert "status ok" in result.stdout
