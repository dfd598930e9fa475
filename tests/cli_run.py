"""Run botstore's code in a fresh interpreter, as the start-up and bench smoke tests do.

A fresh process is the point: its ``sys.modules`` shows what an import really loads, a
bench script runs exactly as an operator runs it (from the repository root, ``--quick``),
and a writer can be SIGKILLed at a random moment (the crash tests).
"""

from __future__ import annotations

import contextlib
import os
import signal
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


def start_child(code: str, *args: str) -> subprocess.Popen[str]:
    """``python -c code args…`` in the background, the repository importable, its stdout and
    stderr piped as text (the crash tests' writer)."""
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def kill_after(child: subprocess.Popen[str], seconds: float) -> None:
    """Let ``child`` run for up to ``seconds`` more, then SIGKILL it, reap it and close its
    pipes."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=seconds)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    child.stderr.close()
