"""Acceptance 2: a writer SIGKILLed at random moments never leaves a torn file.

A writer process (``python -c`` using ``core.storage.write.write_json``) saves two
different large portfolios (~300 KB each) alternately in a loop; the parent
SIGKILLs it at a random moment 0-30 ms after it is ready, 300 times, reusing one
data directory. After every kill, ``read_json`` of the file and of its ``.bak``
succeeds and each equals one of the two versions; after a later successful save
(by the parent, a long-lived process, and finally by a fresh child) no
``.<name>.*.tmp`` survives.

Every 10th victim is a freshly spawned interpreter; the others are forked from
one spawned "zygote" interpreter that has already imported everything, which
keeps 300 kills to a few seconds instead of 300 interpreter start-ups (a forked
writer is as killable, mid-syscall, as a spawned one).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.storage.codec import dumps
from core.storage.names import backup_path
from core.storage.read import read_json
from core.storage.write import write_json

REPO = Path(__file__).resolve().parents[2]
KILLS = 300
NAME = "portfolio.json"

COLD_EVERY = 10  # every 10th victim is a freshly spawned interpreter

# The writer script. Modes:
#   cold:     print "ready", then save alternately forever (until SIGKILLed);
#   finish N: save N times and exit normally;
#   zygote:   for each "fork" line on stdin, fork a writer (a process with
#             everything imported and both versions loaded, so it is saving within
#             microseconds), print its pid, reap it once killed and print its status.
CHILD = r"""
import os
import sys
import orjson
from core.storage.write import write_json

target, a_path, b_path, mode = sys.argv[1:5]
versions = [orjson.loads(open(a_path, "rb").read()), orjson.loads(open(b_path, "rb").read())]

def save_loop(limit=None):
    i = 0
    while limit is None or i < limit:
        write_json(target, versions[i % 2])
        i += 1

if mode == "finish":
    save_loop(int(sys.argv[5]))
elif mode == "cold":
    os.write(1, b"ready\n")
    save_loop()
else:
    while sys.stdin.readline() == "fork\n":
        pid = os.fork()
        if pid == 0:
            try:
                save_loop()
            finally:
                os._exit(1)
        os.write(1, b"%d\n" % pid)
        _, status = os.waitpid(pid, 0)
        os.write(1, b"%d\n" % status)
"""


def big_portfolio(seed: int, n_assets: int = 1500) -> dict[str, Any]:
    """A standard-shaped portfolio with many assets (a few hundred KB indented)."""
    rng = random.Random(seed)
    data: dict[str, Any] = {
        "trades_executed": 1000 + seed,
        "portfolio_value_eur": {"amount": 250_000.0 + seed, "last_price_eur": 1.0},
        "initial_value_eur": {"amount": 100_000.0, "last_price_eur": 1.0},
        "last_updated": f"2024-03-0{seed + 1}T12:00:00.000000",
        "EUR": {"amount": 5_000.0 + seed, "initial_amount": 10_000.0},
    }
    for k in range(n_assets):
        data[f"A{k:04d}X"] = {
            "amount": rng.uniform(0, 1000),
            "initial_amount": rng.uniform(0, 1000),
            "last_price_eur": rng.uniform(0.0001, 60_000),
        }
    return data


def temp_files(directory: Path) -> list[str]:
    pattern = re.compile(rf"^\.{re.escape(NAME)}\..*\.tmp$")
    return [n for n in os.listdir(directory) if pattern.match(n)]


def spawn(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def kill_cold_writer(args: list[str], delay: float) -> None:
    """Spawn a fresh ``python -c`` writer, SIGKILL it ``delay`` s after it is ready."""
    child = spawn([*args, "cold"])
    assert child.stdout is not None and child.stderr is not None
    try:
        line = child.stdout.readline()
        assert line == b"ready\n", child.stderr.read()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
        if child.stdin is not None:
            child.stdin.close()
    assert child.returncode == -signal.SIGKILL, f"writer exited by itself: {child.returncode}"


def kill_forked_writer(zygote: subprocess.Popen[bytes], delay: float) -> None:
    """Have the zygote fork a writer; SIGKILL it ``delay`` s later; check how it died."""
    assert zygote.stdin is not None and zygote.stdout is not None
    zygote.stdin.write(b"fork\n")
    zygote.stdin.flush()
    line = zygote.stdout.readline()
    assert line.strip().isdigit(), line
    time.sleep(delay)
    os.kill(int(line), signal.SIGKILL)
    status = int(zygote.stdout.readline())
    assert os.WIFSIGNALED(status), f"writer exited by itself: {status}"
    assert os.WTERMSIG(status) == signal.SIGKILL


@pytest.mark.slow
def test_sigkill_storm_never_tears_the_portfolio(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    target = data_dir / NAME
    versions = [big_portfolio(0), big_portfolio(1)]
    assert versions[0] != versions[1]
    sizes = [len(dumps(v)) for v in versions]
    assert all(size > 200_000 for size in sizes), sizes
    a_path, b_path = tmp_path / "a.json", tmp_path / "b.json"
    a_path.write_bytes(dumps(versions[0]))
    b_path.write_bytes(dumps(versions[1]))
    # Start from a state where both the file and its .bak exist.
    write_json(target, versions[1])
    write_json(target, versions[0])
    args = [str(target), str(a_path), str(b_path)]

    rng = random.Random(20240301)
    kills_with_debris = cleanups = 0
    next_cleanup = 25
    started = time.monotonic()

    def check_after_kill(kill: int) -> None:
        nonlocal kills_with_debris, cleanups, next_cleanup
        # After every kill: both the file and its backup are complete versions.
        assert read_json(target) in versions, f"kill {kill}: target is neither version"
        assert read_json(backup_path(target)) in versions, f"kill {kill}: .bak is neither version"
        debris = temp_files(data_dir)
        if debris:
            kills_with_debris += 1
        if debris and kill >= next_cleanup:
            # A later successful save by another, long-lived process (this one, which
            # already wrote the path) cleans the dead writer's debris.
            current = read_json(target)
            write_json(target, versions[1] if current == versions[0] else versions[0])
            assert temp_files(data_dir) == [], f"after kill {kill}: {debris} survived"
            assert read_json(backup_path(target)) == current
            cleanups += 1
            next_cleanup = kill + 25

    zygote = spawn([*args, "zygote"])
    try:
        for kill in range(1, KILLS + 1):
            delay = rng.uniform(0, 0.030)
            if kill % COLD_EVERY == 0:
                kill_cold_writer(args, delay)
            else:
                kill_forked_writer(zygote, delay)
            check_after_kill(kill)
    finally:
        zygote.kill()
        zygote.communicate(timeout=30)

    elapsed = time.monotonic() - started
    # Kills landed inside saves (otherwise the test proves nothing), and the parent
    # cleaned up after them several times.
    assert kills_with_debris > 0
    assert cleanups >= 3

    # A fresh writer that completes its saves leaves no temp file and consistent versions.
    finisher = subprocess.run(
        [sys.executable, "-c", CHILD, *args, "finish", "3"],
        cwd=REPO,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert finisher.returncode == 0, finisher.stderr
    assert temp_files(data_dir) == []
    assert read_json(target) == versions[0]  # saves 0, 1, 2 -> last is versions[0]
    assert read_json(backup_path(target)) == versions[1]
    assert sorted(os.listdir(data_dir)) == [f".{NAME}.lock", NAME, f"{NAME}.bak"]
    print(
        f"\n{KILLS} SIGKILLs in {elapsed:.1f}s, {kills_with_debris} left temp debris, "
        f"{cleanups} cleaned by a later save"
    )
