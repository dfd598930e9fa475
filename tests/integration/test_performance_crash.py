"""SIGKILL a child appending snapshots (and resetting): config and snapshots stay consistent."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_run import kill_after, start_child

from core.standard.layout import PERFORMANCE_CONFIG, SNAPSHOTS
from core.storage.read import read_json
from core.tracking import performance as perf

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

CHILD = textwrap.dedent("""
    import datetime as dt, sys
    from core.tracking import performance as perf
    root = sys.argv[1]
    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    last = perf.load_tracking(root).config["last_snapshot_date"]
    i = int((perf.parse_ts(last) - t0).total_seconds() // 3600) + 1
    pf = {"EUR": {"amount": 100.0, "initial_amount": 100.0},
          "BTC": {"amount": 0.01, "initial_amount": 0.01, "last_price_eur": 40000.0}}
    print("ready", flush=True)
    while True:
        now = t0 + dt.timedelta(hours=i)
        if i % 9 == 0:
            perf.reset_tracking(root, pf, reason=f"reset {i}", now=now)
        else:
            perf.append_snapshot(root, perf.make_snapshot(pf, "scheduled", "crash", now=now))
        i += 1
""")


def _stamp(text: str) -> dt.datetime:
    """A timestamp the tracking files must hold (a crash never leaves an unparsable one)."""
    stamp = perf.parse_ts(text)
    assert stamp is not None, text
    return stamp


def _raw_state(root: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config = read_json(root / PERFORMANCE_CONFIG)  # both files always parse
    snapshots = read_json(root / SNAPSHOTS)  # the bot's bare list
    return config, snapshots


@pytest.mark.slow
def test_sigkill_during_appends_leaves_files_consistent(tmp_path: Path) -> None:
    pf = {"EUR": {"amount": 100.0, "initial_amount": 100.0}}
    perf.init_tracking(tmp_path, pf, now=T0)
    rng = random.Random(11)
    history_seen: list[bytes] = []
    lagging = 0
    count = 1
    for _ in range(60):
        child = start_child(CHILD, str(tmp_path))
        assert child.stdout is not None and child.stderr is not None
        ready = child.stdout.readline().strip()
        assert ready == "ready", f"child failed to start: {child.stderr.read()}"
        kill_after(child, rng.uniform(0.005, 0.15))

        config, snapshots = _raw_state(tmp_path)
        stamps = [_stamp(s["timestamp"]) for s in snapshots]
        assert stamps == sorted(stamps)
        assert len(stamps) == len(set(stamps))
        assert len(snapshots) >= count  # nothing committed was lost
        count = len(snapshots)
        # Invariant on disk: last_snapshot_date never ahead of the newest snapshot...
        last = _stamp(config["last_snapshot_date"])
        history = config["performance_reset_history"]
        pending = history and _stamp(history[-1]["snapshot"]["timestamp"]) > stamps[-1]
        assert last <= stamps[-1]
        # ...and lagging by at most the one in-flight snapshot (or a committed reset entry).
        assert last in stamps[-2:] or pending
        lagging += last != stamps[-1] or bool(pending)
        # Reset history only grows; earlier entries are byte-identical.
        encoded = [orjson.dumps(entry) for entry in history]
        assert encoded[: len(history_seen)] == history_seen
        history_seen = encoded
        # Reconciliation makes them agree, and repairing persists it.
        tracking = perf.load_tracking(tmp_path, repair=True)
        assert tracking.config["last_snapshot_date"] == tracking.snapshots[-1]["timestamp"]
        if history:
            assert history[-1]["snapshot"] in tracking.snapshots
        assert perf.load_tracking(tmp_path).consistent
        count = len(tracking.snapshots)
    assert count > 60
    assert history_seen  # resets happened under fire
    print(f"kills=60 snapshots={count} resets={len(history_seen)} inconsistent-on-kill={lagging}")
