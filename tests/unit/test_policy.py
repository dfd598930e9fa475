"""The permission policy: one answer (core.standard.policy) for writers, the scan and the TUI."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from core.demo import build_demo_tree
from core.health import scan
from core.standard.policy import expected_file_mode, file_mode, format_policy
from tui.detail_model import load_detail


@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("data/portfolio.json", 0o640),
        ("logs/supervisor.log", 0o644),
        ("logs/daily_report_20260101.txt", 0o644),
        ("logs/supervisor.log.1", 0o644),
        ("logs/botstore_actions.log", 0o640),
        ("data/cache/exchange_credentials.json", 0o600),
        ("/srv/bot/data/api_token.json", 0o600),
    ],
)
def test_expected_file_mode(path: str, mode: int) -> None:
    assert expected_file_mode(path) == mode


def test_audit_log_is_group_only_in_the_health_scan_too(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    build_demo_tree(root)
    audit = root / "logs" / "botstore_actions.log"
    audit.write_text('{"action": "snapshot"}\n')
    os.chmod(audit, 0o640)
    assert not [f for f in scan(root).findings if f.path == "logs/botstore_actions.log"]
    os.chmod(audit, 0o644)
    found = [f for f in scan(root).findings if f.path == "logs/botstore_actions.log"]
    assert [(f.code, f.severity.value) for f in found] == [("permissions", "warning")]


#: Paths across the policy's cases -> the mode it asks for (None: the standard says nothing).
POLICY_CASES: dict[str, int | None] = {
    "README.md": None,
    "dashboard/data/backtest_results/summary.md": None,
    "notes.txt": 0o644,
    "logs/supervisor.log": 0o644,
    "logs/supervisor.log.1": 0o644,
    "logs/botstore_actions.log": 0o640,
    "data/portfolio.json": 0o640,
    "data/historical/notes.bin": 0o640,
    "reports/daily_health/report.json": 0o640,
    "data/cache/exchange_credentials.json": 0o600,
    "data/cache/api-key.json": 0o600,
    "data/cache/token_store.txt": 0o600,
}


def test_file_mode_table() -> None:
    assert {rel: file_mode(rel) for rel in POLICY_CASES} == POLICY_CASES
    assert file_mode("data/cache/state.json", sensitive=True) == 0o600
    assert expected_file_mode("README.md") == 0o640  # a writer still needs a mode


def test_scan_and_detail_view_apply_the_same_policy(tmp_path: Path) -> None:
    """Every path at 660: the scan's 'policy NNN' and the detail view's '(policy NNN)' agree."""
    root = tmp_path / "bot"
    for rel in POLICY_CASES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n" if rel.endswith(".json") else "text\n")
        os.chmod(path, 0o660)  # more than any policy mode grants
    report = scan(root)
    for rel, mode in POLICY_CASES.items():
        found = [f for f in report.findings if f.path == rel and f.code == "permissions"]
        scan_policy = [m[1] for f in found if (m := re.search(r"policy (\d+)", f.message))]
        detail = dict(load_detail(root, rel, time.time).metadata)
        shown = re.fullmatch(r"660 \(policy (\w+)\)", detail["mode"])
        assert shown is not None, detail["mode"]
        assert shown[1] == format_policy(mode), rel
        assert scan_policy == ([] if mode is None else [shown[1]]), (rel, found)


def test_the_real_bots_644_is_no_finding_where_the_standard_says_nothing(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "README.md").write_text("# bot\n")
    os.chmod(root / "README.md", 0o644)
    assert not [f for f in scan(root).findings if f.path == "README.md"]


@pytest.mark.parametrize("name", ["api-key.txt", "API_TOKEN.md", "notes-auth"])
def test_a_sensitive_name_is_judged_by_the_one_rule_on_the_scans_fast_path(
    tmp_path: Path, name: str
) -> None:
    """Outside data/ and logs/ the scan takes ordinary 644 files in bulk: never a secret."""
    root = tmp_path / "bot"
    batch = root / "reports" / "daily_health" / "b1"
    batch.mkdir(parents=True)
    for i in range(20):  # ordinary neighbours: the directory takes the bulk path
        (batch / f"report_{i:03}.txt").write_text("text\n")
        os.chmod(batch / f"report_{i:03}.txt", 0o644)
    (batch / name).write_text("text\n")
    os.chmod(batch / name, 0o644)
    rel = f"reports/daily_health/b1/{name}"
    found = [f for f in scan(root).findings if f.path == rel and f.code == "permissions"]
    assert [f.severity.value for f in found] == ["critical"], found  # world-readable secret
    assert "policy 600" in found[0].message
