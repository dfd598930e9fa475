"""Smoke-run bench/atomic_write.py --quick: it runs and prints its ratio lines (no timings)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_atomic_write_bench_quick(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "atomic_write.py"),
            "--quick",
            "--dir",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    for label in ("2 KB", "2 MB"):
        assert re.search(rf"\[{label}\] write_json/baseline time = \d+\.\d\dx", out), out
        assert re.search(rf"\[{label}\] \.bak cost: .* time = \d+\.\d\dx", out), out
    for variant in ("baseline", r"write_json\(backup=False\)", r"write_json\(backup=True\)"):
        assert len(re.findall(rf"^\s+{variant}\s+[\d.]+ saves/s", out, re.M)) == 2, out
    assert list(tmp_path.iterdir()) == []  # the bench cleans up after itself
