"""The action subcommands: dry run by default, --yes applies, --json, exit codes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from actions_testkit import demo_tree, tree_state

from core.cli.main import main
from core.standard.layout import ACTIONS_LOG, PORTFOLIO

COMMANDS = [
    ["restore", PORTFOLIO],
    ["fix-permissions"],
    ["cleanup", "--reports-days", "0"],
    ["reset-tracking"],
    ["migrate"],
    ["verify-backups"],
    ["snapshot"],
    ["clean-temp"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: a[0])
@pytest.mark.parametrize("as_json", [False, True])
def test_without_yes_nothing_changes(
    tmp_path: Path, argv: list[str], as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    (root / PORTFOLIO).chmod(0o666)
    before = tree_state(root)
    code = main([*argv, "--root", str(root), *(["--json"] if as_json else [])])
    assert code == 0
    out = capsys.readouterr().out
    if as_json:
        doc = orjson.loads(out)
        assert doc["plan"]["action"] in {argv[0], "restore"}
    assert tree_state(root) == before


def test_restore_yes_json_and_undo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = demo_tree(tmp_path)
    original = (root / PORTFOLIO).read_bytes()
    assert main(["restore", PORTFOLIO, "--root", str(root), "--yes", "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["applied"] and doc["result"]["ok"]
    action_id = doc["result"]["action_id"]
    assert main(["restore", "--undo", action_id, "--root", str(root)]) == 0
    assert "dry run" in capsys.readouterr().out
    assert main(["undo", action_id, "--root", str(root), "--yes"]) == 0
    assert (root / PORTFOLIO).read_bytes() == original
    lines = (root / ACTIONS_LOG).read_bytes().splitlines()
    assert [orjson.loads(x)["action"] for x in lines] == ["restore", "undo"]


def test_failures_exit_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = demo_tree(tmp_path)
    (root / (PORTFOLIO + ".bak")).write_text("{ broken")
    assert main(["restore", PORTFOLIO, "--root", str(root)]) == 1
    assert main(["restore", PORTFOLIO, "--root", str(root), "--yes"]) == 1
    capsys.readouterr()
    assert main(["verify-backups", "--root", str(root)]) == 1
    assert "NOT restorable" in capsys.readouterr().out
    assert main(["restore", "../etc/passwd", "--root", str(root)]) == 1
    assert main(["undo", "no-such-action", "--root", str(root)]) == 1
    assert main(["restore", "--recover", "--root", str(root)]) == 0


def test_verify_backups_reports_each_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    assert main(["verify-backups", "--root", str(root), "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    checks = doc["result"]["data"]["checks"]
    assert {c["backup"] for c in checks} >= {PORTFOLIO + ".bak"}
    assert all(c["restorable"] for c in checks)
