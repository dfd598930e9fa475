"""Audit log mode, temp-file age rule, and recovery of an interrupted action via the CLI."""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson
import pytest
from actions_testkit import demo_tree
from samples import sample_portfolio

from core.actions import apply, restore, temp
from core.actions.audit import record
from core.actions.rollforward import pending_journals
from core.actions.txn import Transaction
from core.cli.main import main
from core.documents import schemas
from core.documents.checks import check_payload
from core.standard.layout import ACTIONS_LOG, PORTFOLIO


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_audit_log_is_created_640_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        record(
            tmp_path,
            action="x",
            action_id=None,
            result="ok",
            message="token=abc123",
            paths=["a"],
            before={"a": None},
            after={"a": "f" * 64},
            extra={"password": "hunter2"},
        )
    finally:
        os.umask(old)
    log = tmp_path / ACTIONS_LOG
    assert log.stat().st_mode & 0o777 == 0o640
    entry = orjson.loads(log.read_bytes())
    assert "abc123" not in log.read_text() and "hunter2" not in log.read_text()
    assert {"time", "user", "host", "action", "paths", "before", "after", "result"} <= entry.keys()


def test_clean_temp_leaves_young_temps(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    young = root / "data" / ".portfolio.json.aaaaaaaaaaaa.tmp"
    old = root / "data" / ".portfolio.json.bbbbbbbbbbbb.tmp"
    young.write_bytes(b"a writer may still own this")
    old.write_bytes(b"crash debris")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    plan = temp.plan(root)
    assert plan.paths == ["data/.portfolio.json.bbbbbbbbbbbb.tmp"]
    assert any("a writer may own it" in s.reason for s in plan.skipped)
    result = apply(plan)
    assert result.ok and young.exists() and not old.exists()
    assert (root / result.quarantined[plan.paths[0]]).read_bytes() == b"crash debris"


def test_interrupted_action_is_rolled_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    original = (root / PORTFOLIO).read_bytes()
    debris = root / "data/.portfolio.json.aaaaaaaaaaaa.tmp"
    debris.write_bytes(b"crash debris")
    os.utime(debris, (time.time() - 3600, time.time() - 3600))
    plan = restore.plan(root, PORTFOLIO)
    move = temp.plan(root).steps
    # A process killed after its first change, before its second (and before the commit).
    tx = Transaction.create(root, "restore")
    tx.begin([*plan.steps, *move])
    tx.replace(plan.steps[0], (root / (PORTFOLIO + ".bak")).read_bytes())
    assert pending_journals(root) == [tx.action_id]
    assert (root / PORTFOLIO).read_bytes() != original
    assert main(["fix-permissions", "--root", str(root)]) == 0
    assert "settled first" in capsys.readouterr().out
    assert main(["restore", "--recover", "--root", str(root)]) == 0
    assert "rolled back" in capsys.readouterr().out
    assert (root / PORTFOLIO).read_bytes() == original
    assert debris.read_bytes() == b"crash debris"
    assert pending_journals(root) == []


def test_interrupted_action_that_made_every_change_rolls_forward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    plan = restore.plan(root, PORTFOLIO)
    restored = (root / (PORTFOLIO + ".bak")).read_bytes()
    # Killed after its only change, before the journal said "done": it had committed.
    tx = Transaction.create(root, "restore")
    tx.begin(plan.steps)
    tx.replace(plan.steps[0], restored)
    assert main(["restore", "--recover", "--root", str(root)]) == 0
    assert "completed (marked done)" in capsys.readouterr().out
    assert (root / PORTFOLIO).read_bytes() == restored
    assert Transaction.load(root, tx.action_id).state == "done"
    assert pending_journals(root) == []


def test_schema_errors_never_repeat_secret_values(tmp_path: Path) -> None:
    from core.actions import snapshot
    from core.actions import verify as verify_backups

    root = demo_tree(tmp_path)
    data = orjson.loads((root / PORTFOLIO).read_bytes())
    data["exchange_api_key"] = "sk-live-do-not-show"
    (root / PORTFOLIO).write_bytes(orjson.dumps(data))
    (root / (PORTFOLIO + ".bak")).write_bytes(orjson.dumps(data))
    plans = [snapshot.plan(root), verify_backups.plan(root), restore.plan(root, PORTFOLIO)]
    for plan in plans:
        text = plan.render() + orjson.dumps(plan.to_dict()).decode()
        text += orjson.dumps(apply(plan).to_dict()).decode()
        assert "sk-live-do-not-show" not in text, plan.action
    log = root / ACTIONS_LOG
    assert not log.exists() or b"sk-live" not in log.read_bytes()


def test_fix_permissions_audit_keeps_modes_of_sensitive_names(tmp_path: Path) -> None:
    """The audit line says which mode a credentials file got; only secret *values* are hidden."""
    root = demo_tree(tmp_path)
    creds = root / "data" / "cache" / "exchange_credentials.json"
    creds.write_text('{"api_key": "sk-live-123"}')
    os.chmod(creds, 0o644)
    assert main(["fix-permissions", "--root", str(root), "--yes"]) == 0
    entry = orjson.loads((root / ACTIONS_LOG).read_bytes().splitlines()[-1])
    assert entry["action"] == "fix-permissions"
    changed = {"path": "data/cache/exchange_credentials.json", "mode": "644->600"}
    assert changed in entry["extra"]["modes"]
    assert "sk-live-123" not in (root / ACTIONS_LOG).read_text()


def test_the_shared_sample_portfolio_passes_as_the_bots_portfolio() -> None:
    """tests/samples.py (what these tests write as the bot's newer data) is a valid
    portfolio, as the real bot's is; each call is a fresh copy."""
    data = sample_portfolio()
    assert schemas.validate("portfolio", data) == []
    _, problems = check_payload(PORTFOLIO, orjson.dumps(data))
    assert problems == []
    data["EUR"]["amount"] = 0.0
    assert sample_portfolio()["EUR"]["amount"] == 100.0
    assert sample_portfolio(trades_executed=4)["trades_executed"] == 4
