"""Run botstore's code in a fresh interpreter, as the start-up and bench smoke tests do.

A fresh process is the point: its ``sys.modules`` shows what an import really loads, and a
bench script runs exactly as an operator runs it (from the repository root, ``--quick``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_python(
    code: str, *, check: bool = True, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -c code`` in the repository root, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=check,
        timeout=timeout,
        env=env,
    )


def run_bench_quick(script: str, *, timeout: float = 110) -> subprocess.CompletedProcess[str]:
    """``bench/<script> --quick`` from the repository root; asserts it exited 0 (showing its
    stderr otherwise) and returns the finished process."""
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result
