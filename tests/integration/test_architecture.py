"""The import-linter contracts hold on the tree, and fail when a cycle comes back.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``); CI runs ``lint-imports``.
These tests run it on a copy of ``core/`` and ``tui/`` with one deliberate break each, so a
contract that no longer catches what it was written for fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in ("core", "tui"):
        shutil.copytree(
            REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def inject(path: Path, line: str) -> None:
    """Add ``line`` after the ``from __future__`` import of ``path``."""
    text = path.read_text(encoding="utf-8")
    marker = "from __future__ import annotations\n"
    assert marker in text, path
    path.write_text(text.replace(marker, marker + line + "\n", 1), encoding="utf-8")


def test_the_tree_keeps_every_contract(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert result.stdout.count("KEPT") >= 6


def test_migrations_and_recovery_importing_each_other_is_a_broken_contract(tree: Path) -> None:
    inject(tree / "core/documents/migrations.py", "from core.documents import recovery")
    result = lint(tree)
    assert result.returncode == 1
    assert "no two sibling modules import each other" in result.stdout
    assert "core.documents" in result.stdout


def test_a_screen_importing_the_app_is_a_broken_contract(tree: Path) -> None:
    inject(tree / "tui/screens/detail.py", "import tui.app")
    result = lint(tree)
    assert result.returncode == 1
    assert "tui.screens is not allowed to import tui.app" in result.stdout


def test_storage_importing_an_action_is_a_broken_layer(tree: Path) -> None:
    inject(tree / "core/storage/write.py", "import core.actions.base")
    result = lint(tree)
    assert result.returncode == 1
    assert "core.storage is not allowed to import core.actions" in result.stdout


def test_core_importing_textual_is_a_broken_contract(tree: Path) -> None:
    inject(tree / "core/health/report.py", "import textual")
    result = lint(tree)
    assert result.returncode == 1
    assert "core never imports the TUI or textual BROKEN" in result.stdout
