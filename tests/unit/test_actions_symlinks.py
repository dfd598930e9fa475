"""Symlink safety: nothing outside the root is ever changed, whatever the links say."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.actions import permissions, restore
from core.actions.base import ActionError
from core.actions.safety import OutsideRoot
from core.cli.main import main
from core.standard.layout import PORTFOLIO


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    target = tmp_path / "outside"
    target.mkdir()
    secret = target / "secret.json"
    secret.write_text('{"x": 1}\n')
    secret.chmod(0o666)
    return secret


def test_fix_permissions_never_follows_symlink_out_of_root(
    tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    (root / "data" / "linked.json").symlink_to(outside)
    (root / "data" / "linked_dir").symlink_to(outside.parent, target_is_directory=True)
    (root / PORTFOLIO).chmod(0o666)
    assert main(["fix-permissions", "--root", str(root), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "data/linked.json" in out and "symlink" in out
    assert outside.stat().st_mode & 0o777 == 0o666
    assert (root / PORTFOLIO).stat().st_mode & 0o777 == 0o640
    # The link itself is untouched too.
    assert os.readlink(root / "data" / "linked.json") == str(outside)


def test_fix_permissions_refuses_file_swapped_for_symlink_after_preview(
    tmp_path: Path, outside: Path
) -> None:
    root = demo_tree(tmp_path)
    target = root / "data" / "cache" / "latest_decisions.json"
    target.chmod(0o666)
    plan = permissions.plan(root)
    assert "data/cache/latest_decisions.json" in plan.paths
    target.unlink()
    target.symlink_to(outside)  # the race: swapped in after the preview
    result = permissions.apply(plan)
    assert not result.ok
    assert outside.stat().st_mode & 0o777 == 0o666


def test_fix_permissions_refuses_directory_swapped_for_symlink(
    tmp_path: Path, outside: Path
) -> None:
    root = demo_tree(tmp_path)
    cache = root / "data" / "cache"
    (cache / "bot_startup.json").chmod(0o666)
    plan = permissions.plan(root)
    os.rename(cache, root / "data" / "cache.real")
    cache.symlink_to(outside.parent, target_is_directory=True)
    (outside.parent / "bot_startup.json").write_text("{}")
    (outside.parent / "bot_startup.json").chmod(0o666)
    result = permissions.apply(plan)
    assert not result.ok
    assert (outside.parent / "bot_startup.json").stat().st_mode & 0o777 == 0o666


def test_restore_refuses_paths_outside_the_root(tmp_path: Path, outside: Path) -> None:
    root = demo_tree(tmp_path)
    with pytest.raises(OutsideRoot):
        restore.plan(root, PORTFOLIO, source=str(outside))
    with pytest.raises(OutsideRoot):
        restore.plan(root, "../outside/secret.json")
    (root / "data" / "escape").symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(ActionError):
        restore.plan(root, "data/escape/secret.json")
    assert outside.read_text() == '{"x": 1}\n'


def test_restore_refuses_symlinked_target(tmp_path: Path, outside: Path) -> None:
    root = demo_tree(tmp_path)
    (root / "data" / "cache" / "x.json").symlink_to(outside)
    (root / "data" / "cache" / "x.json.bak").write_text('{"x": 2}\n')
    plan = restore.plan(root, "data/cache/x.json")
    assert not plan.ok and "symlink" in plan.errors[0]
    assert not restore.apply(plan).ok
    assert outside.read_text() == '{"x": 1}\n'
