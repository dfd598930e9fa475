"""Retention never deletes everything by accident; cleanup says what it really does."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from actions_testkit import demo_tree, tree_state

from core.actions import ActionError, cleanup
from core.cli.main import main
from core.tracking import performance

NOW = dt.datetime.now(dt.UTC)


def _entry(root: Path, age_hours: float, payload: bytes = b"{}") -> Path:
    stamp = (NOW - dt.timedelta(hours=age_hours)).strftime("%Y%m%dT%H%M%SZ")
    entry = root / "data" / ".quarantine" / f"{stamp}-restore-{int(age_hours)}" / "data"
    entry.mkdir(parents=True)
    (entry / "portfolio.json").write_bytes(payload)
    return entry.parent


@pytest.mark.parametrize("flag", ["--snapshots-days", "--quarantine-days", "--reports-days"])
def test_negative_days_are_refused(
    tmp_path: Path, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    before = tree_state(root)
    with pytest.raises(SystemExit) as exc:
        main(["cleanup", "--root", str(root), flag, "-5", "--yes"])
    assert exc.value.code == 2
    assert "must be >= 0" in capsys.readouterr().err
    assert tree_state(root) == before
    with pytest.raises(ActionError, match=">= 0"):
        cleanup.Retention(snapshots=-5)


def test_zero_means_forever_on_the_command_line_as_in_botstore_toml(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    young = _entry(root, 0.1)
    old = _entry(root, 24 * 400)
    count = len(performance.load_snapshots(root))
    assert (
        main(
            [
                "cleanup",
                "--root",
                str(root),
                "--snapshots-days",
                "0",
                "--quarantine-days",
                "0",
                "--yes",
            ]
        )
        == 0
    )
    assert len(performance.load_snapshots(root)) == count
    assert young.exists() and old.exists()
    (root / "botstore.toml").write_text(
        "[retention]\nquarantine = 0\n[snapshots]\nretention_days = 0\n"
    )
    plan = cleanup.plan(root)
    assert not [s for s in plan.steps if s.op == "delete" or s.path.endswith("snapshots.json")]


def test_keep_none_is_the_explicit_delete_all_and_respects_the_24h_floor(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    young = _entry(root, 0.1)
    old = _entry(root, 30)
    capsys.readouterr()
    assert main(["cleanup", "--root", str(root), "--keep-none", "quarantine", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    deleted = [s["path"] for s in doc["plan"]["steps"] if s["op"] == "delete"]
    assert deleted == [f"data/.quarantine/{old.name}"]
    assert any("younger than 24 h kept" in n for n in doc["plan"]["notes"])
    assert main(["cleanup", "--root", str(root), "--keep-none", "quarantine", "--yes"]) == 0
    assert young.exists() and not old.exists()
    assert (
        main(["cleanup", "--root", str(root), "--keep-none", "quarantine", "--force", "--yes"]) == 0
    )
    assert not young.exists()


def test_young_quarantine_entry_survives_any_days_value_without_force(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    young = _entry(root, 2)
    plan = cleanup.plan(root, cleanup.Retention(snapshots=None, quarantine=0.01))
    assert not [s for s in plan.steps if s.op == "delete"]
    assert young.exists()
    plan = cleanup.plan(root, cleanup.Retention(snapshots=None, quarantine=0.01), force=True)
    assert [s.path for s in plan.steps if s.op == "delete"] == [f"data/.quarantine/{young.name}"]


def test_cleanup_says_moves_to_quarantine_and_reports_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    old = _entry(root, 24 * 200, b'{"old": true}')
    snaps = root / "data/performance/portfolio_snapshots.json"
    capsys.readouterr()
    assert main(["cleanup", "--root", str(root), "--snapshots-days", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    summary = doc["plan"]["summary"]
    assert "frees" not in summary
    assert "moves" in summary and "to quarantine" in summary and "purged after 90 days" in summary
    params = doc["plan"]["params"]
    steps = doc["plan"]["steps"]
    moved = [s for s in steps if s["op"] != "delete"]
    assert any(s["path"] == "data/performance/portfolio_snapshots.json" for s in moved)
    # the whole old snapshots file is kept in the quarantine, not only the removed share
    assert params["bytes_to_quarantine"] == snaps.stat().st_size + sum(
        s["size"] for s in moved if s["op"] == "move"
    )
    assert params["bytes_purged"] == len(b'{"old": true}')
    assert main(["cleanup", "--root", str(root), "--snapshots-days", "1", "--yes", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"]["data"]["bytes_to_quarantine"] == params["bytes_to_quarantine"]
    assert doc["result"]["data"]["bytes_purged"] == params["bytes_purged"]
    assert not old.exists()


def test_zero_snapshot_retention_in_toml_raises_no_retention_finding(tmp_path: Path) -> None:
    from core.config import load_config
    from core.health import HealthScanner

    root = demo_tree(tmp_path)
    (root / "botstore.toml").write_text("[snapshots]\nretention_days = 0\n")
    later = NOW + dt.timedelta(days=30)
    payload = json.loads((root / "data/performance/portfolio_snapshots.json").read_text())
    items = payload if isinstance(payload, list) else payload["snapshots"]
    items[0]["timestamp"] = (later - dt.timedelta(days=3000)).isoformat()
    (root / "data/performance/portfolio_snapshots.json").write_text(json.dumps(payload))
    report = HealthScanner(root, load_config(root)).full_scan()
    assert not [f for f in report.findings if f.code == "retention"]
