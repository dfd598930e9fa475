"""``bench/scan.py --quick`` runs and prints its figures (timing is not asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_quick() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / "scan.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=110,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ratio check/baseline" in result.stdout
    assert "parquet footers summarized" in result.stdout
    assert "status ok" in result.stdout
