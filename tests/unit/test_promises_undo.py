"""Undo is exact: the bytes an action replaced come back, even when they do not validate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.actions import apply, restore
from core.cli.main import main

PORTFOLIO = "data/portfolio.json"


def _restore_over_truncated(root: Path) -> tuple[bytes, str]:
    broken = (root / PORTFOLIO).read_bytes()[:40]
    (root / PORTFOLIO).write_bytes(broken)
    result = apply(restore.plan(root, PORTFOLIO))
    assert result.ok, result.render()
    assert result.action_id is not None
    return broken, result.action_id


def test_undo_of_restore_brings_back_the_exact_invalid_bytes(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    broken, action_id = _restore_over_truncated(root)
    assert (root / PORTFOLIO).read_bytes() != broken
    plan = restore.plan_undo(root, action_id)
    assert plan.ok, plan.render()
    assert "do not validate" in plan.render()
    result = apply(plan)
    assert result.ok, result.render()
    assert (root / PORTFOLIO).read_bytes() == broken
    assert result.data["unvalidated"] == [PORTFOLIO]
    assert "do not validate" in result.render()


def test_undo_cli_json_never_applied_true_with_ok_false(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    broken, action_id = _restore_over_truncated(root)
    capsys.readouterr()
    assert main(["undo", action_id, "--root", str(root), "--yes", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["applied"] is True and doc["ok"] is True and doc["result"]["ok"] is True
    assert any("do not validate" in n for n in doc["plan"]["notes"])
    assert (root / PORTFOLIO).read_bytes() == broken
    # a plan that cannot be applied: applied false, ok false, exit 1, nothing changed
    (root / "data/portfolio.json.bak").write_bytes(b"{")
    assert main(["restore", PORTFOLIO, "--root", str(root), "--yes", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is False and doc["applied"] is False
    assert (root / PORTFOLIO).read_bytes() == broken
