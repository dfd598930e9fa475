"""Acceptance 2: a writer SIGKILLed at random moments never leaves a torn file.

A child process (``python -c`` using ``core.atomic.write_json``) saves two
different large portfolios alternately in a loop; the parent SIGKILLs it at a
random moment 0-30 ms after the child says it is ready, 300+ times, reusing one
data directory. After every kill, ``read_json`` of the file and of its ``.bak``
succeeds and each equals one of the two versions; after a later successful save
(by the parent, or by a fresh child) no ``.<name>.*.tmp`` survives.
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

from core.atomic import backup_path, dumps, read_json, write_json

REPO = Path(__file__).resolve().parents[1]
KILLS = 300
NAME = "portfolio.json"

CHILD = r"""
import sys
import orjson
from core.atomic import write_json
target, a_path, b_path = sys.argv[1:4]
versions = [orjson.loads(open(a_path, "rb").read()), orjson.loads(open(b_path, "rb").read())]
limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
sys.stdout.write("ready\n")
sys.stdout.flush()
i = 0
while limit is None or i < limit:
    write_json(target, versions[i % 2])
    i += 1
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
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


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
    kills_with_debris = 0
    started = time.monotonic()
    for kill in range(1, KILLS + 1):
        child = spawn(args)
        try:
            assert child.stdout is not None
            line = child.stdout.readline()
            assert line == b"ready\n", child.stderr.read() if child.stderr else line
            time.sleep(rng.uniform(0, 0.030))
            child.send_signal(signal.SIGKILL)
        finally:
            child.kill()
            child.wait(30)
            child.stdout.close()  # type: ignore[union-attr]
            child.stderr.close()  # type: ignore[union-attr]
        assert child.returncode == -signal.SIGKILL, f"child exited by itself: {child.returncode}"

        # After every kill: both the file and its backup are complete versions.
        assert read_json(target) in versions, f"kill {kill}: target is neither version"
        assert read_json(backup_path(target)) in versions, f"kill {kill}: .bak is neither version"
        if temp_files(data_dir):
            kills_with_debris += 1

        if kill % 50 == 0:
            # A later successful save by another (long-lived) process cleans the debris.
            current = read_json(target)
            write_json(target, versions[1] if current == versions[0] else versions[0])
            assert temp_files(data_dir) == [], f"after kill {kill}"
            assert read_json(backup_path(target)) == current

    elapsed = time.monotonic() - started
    # Kills landed inside saves (otherwise the test proves nothing).
    assert kills_with_debris > 0

    # A fresh writer that completes its saves leaves no temp file and consistent versions.
    finisher = subprocess.run(
        [sys.executable, "-c", CHILD, *args, "3"], cwd=REPO, capture_output=True, timeout=60
    )
    assert finisher.returncode == 0, finisher.stderr
    assert temp_files(data_dir) == []
    assert read_json(target) == versions[0]  # saves 0, 1, 2 -> last is versions[0]
    assert read_json(backup_path(target)) == versions[1]
    assert sorted(os.listdir(data_dir)) == [f".{NAME}.lock", NAME, f"{NAME}.bak"]
    print(f"\n{KILLS} SIGKILLs in {elapsed:.1f}s, {kills_with_debris} left temp debris")
