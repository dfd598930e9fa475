"""SIGKILL a child in the middle of restore, cleanup and reset — at every point of the
protocol (the Nth OS call kills the process) and at random moments — then let
recovery run: the tree holds the old or the new state, never a mix, and no
original bytes are lost."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from actions_testkit import SCENARIOS, assert_old_or_new, demo_tree, live_files, prepare

from core.actions import apply
from core.actions.rollforward import pending_journals, recover

TESTS_DIR = Path(__file__).resolve().parents[1]
CHILD = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from actions_testkit import FAULT_CALLS, SCENARIOS
from core.actions import apply
root, name, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
plan = SCENARIOS[name](__import__("pathlib").Path(root))
calls = 0
def arm(fn_name):
    original = getattr(os, fn_name)
    def wrapper(*args, **kwargs):
        global calls
        calls += 1
        if calls == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(*args, **kwargs)
    setattr(os, fn_name, wrapper)
if nth > 0:
    for fn_name in FAULT_CALLS:
        arm(fn_name)
else:
    sys.stdout.write("ready\\n"); sys.stdout.flush(); sys.stdin.readline()
result = apply(plan)
sys.stdout.write(f"done {{calls}} {{result.ok}}\\n")
"""


def _child(root: Path, name: str, nth: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=str(TESTS_DIR)), str(root), name, str(nth)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _reference(tmp_path: Path, name: str) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    pristine = demo_tree(tmp_path, f"{name}-pristine")
    prepare(pristine)
    new_root = tmp_path / f"{name}-new"
    shutil.copytree(pristine, new_root, symlinks=True)
    assert apply(SCENARIOS[name](new_root)).ok
    return pristine, live_files(pristine), live_files(new_root)


def _check_after_kill(root: Path, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    recover(root)
    assert not pending_journals(root)
    return assert_old_or_new(root, old, new)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["restore", "cleanup", "reset"])
def test_sigkill_at_every_protocol_step(tmp_path: Path, name: str) -> None:
    pristine, old, new = _reference(tmp_path, name)
    probe = tmp_path / "probe"
    shutil.copytree(pristine, probe, symlinks=True)
    out, _ = _child(probe, name, 10**9).communicate(timeout=60)
    total = int(out.split()[1])
    stride = max(1, total // 12)
    points = sorted({*range(1, total + 1, stride), total - 2, total - 1, total})
    seen = {"old": 0, "new": 0}
    for nth in points:
        root = tmp_path / f"kill-{nth}"
        shutil.copytree(pristine, root, symlinks=True)
        proc = _child(root, name, nth)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, (nth, proc.returncode)
        seen[_check_after_kill(root, old, new)] += 1
        shutil.rmtree(root)
    assert seen["old"] and seen["new"], seen


@pytest.mark.slow
@pytest.mark.parametrize("name", ["restore", "cleanup", "reset"])
def test_sigkill_at_random_moments(tmp_path: Path, name: str) -> None:
    pristine, old, new = _reference(tmp_path, name)
    rng = random.Random(7)
    # How long does apply take in a child? Kill within that window.
    probe = tmp_path / "probe"
    shutil.copytree(pristine, probe, symlinks=True)
    proc = _child(probe, name, 0)
    assert proc.stdout is not None and proc.stdin is not None
    proc.stdout.readline()
    start = time.monotonic()
    proc.stdin.write("go\n")
    proc.stdin.flush()
    proc.communicate(timeout=60)
    window = time.monotonic() - start
    for attempt in range(12):
        root = tmp_path / f"random-{attempt}"
        shutil.copytree(pristine, root, symlinks=True)
        proc = _child(root, name, 0)
        assert proc.stdout is not None and proc.stdin is not None
        proc.stdout.readline()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        time.sleep(rng.uniform(0, window))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        _check_after_kill(root, old, new)
        shutil.rmtree(root)
