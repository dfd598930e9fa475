"""A lock-free bot writer (plain ``open(path, "w"); json.dump``) races 200 restores.

The real bot rewrites ``portfolio.json`` in place without any lock, so the file
can change (or be empty, half written) between any two reads. Each restore
reads the current file once: the bytes it verifies, hashes into the journal and
quarantines are the same bytes. So every journal hash equals its quarantined
copy, and undo never finds "quarantined copy does not match its journal".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.actions import apply, restore
from core.actions.safety import sha256
from core.actions.txn import Transaction
from core.errors import StorageError
from core.standard.layout import PORTFOLIO
from core.storage.codec import parse_json

RESTORES = 200
WRITER = """
import json, sys, time
path, stop = sys.argv[1], sys.argv[2]
data = json.load(open(path))
n = 0
while True:
    n += 1
    with open(path, "w") as handle:  # truncate + write: no lock, no temp, no rename
        json.dump(data, handle, indent=n % 3 or None)  # the same data, other bytes
    time.sleep(0.002)
"""


@pytest.mark.slow
def test_journal_hash_equals_quarantined_bytes_under_a_lock_free_writer(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root / PORTFOLIO), "x"])
    done: list[str] = []
    refused = 0
    try:
        for _ in range(RESTORES):
            plan = restore.plan(root, PORTFOLIO)
            if not plan.steps or plan.errors:
                continue
            result = apply(plan)
            if result.ok and result.action_id:
                done.append(result.action_id)
            else:
                refused += 1
                assert "changed since preview" in result.message, result.render()
    finally:
        writer.kill()
        writer.wait()
    assert done, f"no restore got through ({refused} refused)"
    for action_id in done:
        tx = Transaction.load(root, action_id)
        (entry,) = tx.entries
        copy = (root / str(entry["copy"])).read_bytes()
        assert sha256(copy) == entry["old_sha"], action_id
    for action_id in reversed(done):  # newest first, each one undone
        plan = restore.plan_undo(root, action_id)
        assert not any("does not match its journal" in e for e in plan.errors), plan.errors
        copy = (root / str(Transaction.load(root, action_id).entries[0]["copy"])).read_bytes()
        try:
            parse_json(copy, PORTFOLIO)
        except StorageError:  # the writer had just truncated it: back exactly, with a warning
            assert any("do not validate" in note for note in plan.notes), plan.notes
        if plan.steps:
            result = apply(plan)
            assert result.ok, result.render()
        assert (root / PORTFOLIO).read_bytes() == copy
