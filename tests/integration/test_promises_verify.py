"""verify-backups counts what was expected, not only what was found, and compares
snapshot series by timestamp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from actions_testkit import demo_tree

from core.actions import verify
from core.cli.main import main

PORTFOLIO = "data/portfolio.json"
SNAPSHOTS = "data/performance/portfolio_snapshots.json"


def test_missing_critical_backup_fails_verification(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    found = len(list(root.rglob("*.bak")))
    (root / (PORTFOLIO + ".bak")).unlink()
    capsys.readouterr()
    assert main(["verify-backups", "--root", str(root)]) == 1
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert head.startswith("verify-backups: FAILED")
    assert f"{found - 1} of {found} expected backup(s) restorable" in head
    assert f"missing: {PORTFOLIO}.bak" in head
    assert main(["verify-backups", "--root", str(root), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    counts = doc["result"]["data"]["backups"]
    assert counts["expected"] == found and counts["found"] == found - 1
    assert counts["restorable"] == found - 1 and counts["missing"] == [PORTFOLIO + ".bak"]
    assert counts["critical_missing"] == [PORTFOLIO + ".bak"]
    assert doc["result"]["ok"] is False


def test_all_present_counts_expected_and_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    found = len(list(root.rglob("*.bak")))
    assert main(["verify-backups", "--root", str(root), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["result"]["data"]["backups"]
    assert counts == {
        "expected": found,
        "found": found,
        "restorable": found,
        "missing": [],
        "critical_missing": [],
        "cloud": None,
    }


def test_snapshots_backup_one_behind_says_one_snapshot_newer(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    doc = json.loads((root / SNAPSHOTS).read_text())
    items = doc["snapshots"] if isinstance(doc, dict) else doc
    assert len(items) > 10
    behind = dict(doc, snapshots=items[:-1]) if isinstance(doc, dict) else items[:-1]
    (root / (SNAPSHOTS + ".bak")).write_text(json.dumps(behind))
    plan = verify.plan(root)
    step = next(s for s in plan.steps if s.path == SNAPSHOTS + ".bak")
    assert step.detail == "restorable, 1 snapshot newer in primary"
    assert "field difference" not in plan.render().split(SNAPSHOTS + ".bak")[1].split("\n")[0]


def test_cloud_failure_is_in_the_summary_line(
    tmp_path: Path, gcs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    import uuid

    from gcs_emulator import Emulator

    assert isinstance(gcs, Emulator)
    root = demo_tree(tmp_path)
    bucket = f"no-such-{uuid.uuid4().hex[:12]}"
    code = main(
        [
            "verify-backups",
            "--root",
            str(root),
            "--cloud",
            f"gs://{bucket}",
            "--endpoint",
            gcs.url,
            "--host",
            "bot-1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    head = out.splitlines()[0]
    assert head.startswith("verify-backups: FAILED") and "cloud copy FAILED" in head
    assert "ERROR: cloud" in out
    assert f"gs://gs://{bucket}" not in out


def test_missing_backup_of_a_non_critical_file_is_counted_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = demo_tree(tmp_path)
    found = len(list(root.rglob("*.bak")))
    (root / (SNAPSHOTS + ".bak")).unlink()
    assert main(["verify-backups", "--root", str(root), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["result"]["data"]["backups"]
    assert counts["expected"] == found and counts["found"] == found - 1
    assert counts["missing"] == [SNAPSHOTS + ".bak"] and counts["critical_missing"] == []


def test_check_json_counts_backups_and_quarantine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.actions import apply, restore

    root = demo_tree(tmp_path)
    found = len(list(root.rglob("*.bak")))
    (root / PORTFOLIO).write_bytes(b"{")
    assert apply(restore.plan(root, PORTFOLIO)).ok  # quarantines the 1-byte file
    (root / (PORTFOLIO + ".bak")).unlink()
    capsys.readouterr()
    main(["check", "--root", str(root), "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert doc["backups"] == {
        "expected": found,
        "found": found - 1,
        "missing": [PORTFOLIO + ".bak"],
        "critical_missing": [PORTFOLIO + ".bak"],
    }
    quarantine = doc["quarantine"]
    on_disk = sum(p.stat().st_size for p in (root / "data/.quarantine").rglob("*") if p.is_file())
    assert quarantine["entries"] == 1 and quarantine["bytes"] == on_disk > 0
    assert quarantine["oldest"] is not None
