"""``bench/sanitize.py`` and ``bench/scan_rss.py`` run in quick mode and print their figures
(timings and memory are reported, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_sanitize_bench_quick() -> None:
    out = _run("sanitize.py")
    for size in ("1 KB", "64 KB", "1 MB"):
        assert f"sanitize_text {size:>5} line" in out
    assert "ratio time(1 MB)/time(1 KB)" in out


def test_scan_rss_bench_quick() -> None:
    out = _run("scan_rss.py")
    assert "scan peak RSS, demo tree" in out
    assert "findings on it: permissions,size" in out or "findings on it: size" in out
