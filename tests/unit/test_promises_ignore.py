"""An ignore glob never turns a present critical file into a false "missing"."""

from __future__ import annotations

from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.config import load_config
from core.health import HealthScanner

PORTFOLIO = "data/portfolio.json"


@pytest.mark.parametrize(
    "globs", [['"data/**"'], ['"data/portfolio.json"'], ['"*.json"'], ['"data/*"', '"*.bak"']]
)
def test_ignored_critical_file_is_checked_and_warned(tmp_path: Path, globs: list[str]) -> None:
    root = demo_tree(tmp_path)
    (root / "botstore.toml").write_text(f"ignore = [{', '.join(globs)}]\n")
    scanner = HealthScanner(root, load_config(root))
    report = scanner.full_scan()
    assert not [f for f in report.findings if f.code == "missing" and f.path == PORTFOLIO]
    assert report.health["portfolio_file_exists"] is True
    assert report.health["backup_status"] == "ok"
    ignored = [f for f in report.findings if f.code == "ignored"]
    assert PORTFOLIO in {f.path for f in ignored}
    assert all(f.severity == "warning" for f in ignored)
    # an incremental update of the critical file is not dropped either
    (root / PORTFOLIO).write_bytes(b"{")
    report = scanner.update([PORTFOLIO])
    assert {f.code for f in report.findings if f.path == PORTFOLIO} >= {"invalid_json"}


def test_data_glob_still_hides_the_rest_of_data(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    (root / "data" / "scratch.json").write_bytes(b"{ not json")
    (root / "botstore.toml").write_text('ignore = ["data/**"]\n')
    report = HealthScanner(root, load_config(root)).full_scan()
    paths = {f.path for f in report.findings}
    assert "data/scratch.json" not in paths
    # expected files under data/ are ignored, so their absence is no finding either
    assert not [f for f in report.findings if f.code == "missing"]


def test_ignored_expected_file_missing_is_not_reported(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    (root / "logs" / "supervisor.log").unlink()
    (root / "botstore.toml").write_text('ignore = ["logs/supervisor.log"]\n')
    report = HealthScanner(root, load_config(root)).full_scan()
    assert not [f for f in report.findings if f.path == "logs/supervisor.log"]
