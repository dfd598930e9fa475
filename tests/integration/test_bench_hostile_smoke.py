"""``bench/sanitize.py`` and ``bench/scan_rss.py`` run in quick mode and print their figures
(timings and memory are reported, never asserted)."""

from __future__ import annotations

from cli_run import run_bench_quick


def _run(script: str) -> str:
    return run_bench_quick(script).stdout


def test_sanitize_bench_quick() -> None:
    out = _run("sanitize.py")
    for size in ("1 KB", "64 KB", "1 MB"):
        assert f"sanitize_text {size:>5} line" in out
    assert "ratio time(1 MB)/time(1 KB)" in out


def test_scan_rss_bench_quick() -> None:
    out = _run("scan_rss.py")
    assert "scan peak RSS, demo tree" in out
    assert "findings on it: permissions,size" in out or "findings on it: size" in out
