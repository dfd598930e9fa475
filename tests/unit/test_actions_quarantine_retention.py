"""Quarantine retention: the one place botstore deletes data, and only what the preview listed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from actions_testkit import demo_tree, tree_state

from core.actions import apply, cleanup
from core.actions.audit import entries
from core.cli.main import main

NOW = dt.datetime.now(dt.UTC)


def _entry(root: Path, age_days: float, suffix: str, payload: bytes) -> Path:
    stamp = (NOW - dt.timedelta(days=age_days)).strftime("%Y%m%dT%H%M%SZ")
    entry = root / "data" / ".quarantine" / f"{stamp}-{suffix}" / "data"
    entry.mkdir(parents=True)
    (entry / "portfolio.json").write_bytes(payload)
    return entry.parent


def test_old_quarantine_entries_listed_then_deleted(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("must survive")
    old = _entry(root, 120, "restore", b'{"old": 1}')
    os.symlink(outside, old / "link-out")  # a symlink inside: never followed by the purge
    young = _entry(root, 10, "restore", b'{"young": 1}')
    before = tree_state(root)

    plan = cleanup.plan(
        root,
        cleanup.Retention(
            snapshots=None, reports=None, daily_reports=None, rotated_logs=None, quarantine=90
        ),
    )
    deletes = [s for s in plan.steps if s.op == "delete"]
    assert [s.path for s in deletes] == [f"data/.quarantine/{old.name}"]
    assert deletes[0].size == len(b'{"old": 1}')
    assert "deleted for good" in plan.render()
    assert tree_state(root) == before  # the preview changed nothing

    result = apply(plan)
    assert result.ok, result.render()
    assert not old.exists()
    assert (young / "data" / "portfolio.json").read_bytes() == b'{"young": 1}'
    assert outside.read_text() == "must survive"
    audit = list(entries(root))
    assert audit[-1]["action"] == "cleanup"
    assert f"data/.quarantine/{old.name}" in audit[-1]["paths"]


def test_quarantine_days_from_botstore_toml_and_cli_dry_run(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    old = _entry(root, 8, "migrate", b"{}")
    (root / "botstore.toml").write_text("[retention]\nquarantine = 7\n")
    before = tree_state(root)
    assert main(["cleanup", "--root", str(root)]) == 0  # no --yes: plan only
    assert tree_state(root) == before
    assert main(["cleanup", "--root", str(root), "--yes"]) == 0
    assert not old.exists()


def test_quarantine_kept_forever_when_zero(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    old = _entry(root, 4000, "restore", b"{}")
    (root / "botstore.toml").write_text("[retention]\nquarantine = 0\n")
    plan = cleanup.plan(root)
    assert not [s for s in plan.steps if s.op == "delete"]
    assert old.exists()
