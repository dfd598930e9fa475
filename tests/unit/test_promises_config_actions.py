"""Every action uses the same resolved configuration as the scan, and accepts ``--config``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.actions import temp
from core.cli.main import main
from core.config import load_config
from core.health import HealthScanner

ACTION_COMMANDS = (
    ["restore", "data/portfolio.json"],
    ["fix-permissions"],
    ["cleanup"],
    ["reset-tracking"],
    ["migrate"],
    ["verify-backups"],
    ["snapshot"],
    ["clean-temp"],
)


def _scratch_temp(root: Path) -> str:
    (root / "scratch").mkdir()
    leftover = root / "scratch" / ".notes.txt.0123456789ab.tmp"
    leftover.write_text("half written")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    return "scratch/.notes.txt.0123456789ab.tmp"


def test_clean_temp_honours_the_scan_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    rel = _scratch_temp(root)
    ops = tmp_path / "ops.toml"
    ops.write_text('ignore = ["scratch/**"]\n')
    config = load_config(root, ops)
    report = HealthScanner(root, config).full_scan()
    assert not [f for f in report.findings if f.path.startswith("scratch/")]
    assert temp.plan(root, config=config).steps == []
    assert [s.path for s in temp.plan(root).steps] == [rel]  # the root's own config
    capsys.readouterr()
    assert main(["clean-temp", "--root", str(root), "--config", str(ops), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["steps"] == []


@pytest.mark.parametrize("argv", ACTION_COMMANDS, ids=lambda a: a[0])
def test_every_action_accepts_config(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    ops = tmp_path / "ops.toml"
    ops.write_text("[thresholds]\nsize_max_mb = { warning = 900, critical = 100 }\n")
    assert main([*argv, "--root", str(root), "--config", str(ops)]) == 2
    assert "inverted" in capsys.readouterr().err
    ops.write_text("[permissions]\ncheck_owner = false\n")
    assert main([*argv, "--root", str(root), "--config", str(ops)]) in (0, 1)


def test_tui_actions_use_the_config_the_scan_used(tmp_path: Path) -> None:
    """``botstore tui --config ops.toml``: "Remove leftover temp files" plans with ops.toml."""
    from tui.engine import Engine
    from tui.screens.confirm_action import choices_for

    root = demo_tree(tmp_path)
    rel = _scratch_temp(root)
    ops = tmp_path / "ops.toml"
    ops.write_text('ignore = ["scratch/**"]\n')
    engine = Engine(root, str(ops), time.time)
    engine.full_scan()
    assert engine.config is not None and "scratch/**" in engine.config.ignore
    by_key = {c.key: c for c in choices_for(root, None, [], config=engine.config)}
    assert by_key["clean-temp"].planner().steps == []
    unconfigured = {c.key: c for c in choices_for(root, None, [])}
    assert [s.path for s in unconfigured["clean-temp"].planner().steps] == [rel]
