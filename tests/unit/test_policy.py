"""The permission policy: one answer for writers (core.standard.policy) and the health scan."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.demo import build_demo_tree
from core.health import scan
from core.standard.policy import expected_file_mode


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
