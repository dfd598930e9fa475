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
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
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
    assert doc["result"]["ok"] is False


def test_all_present_counts_expected_and_found(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    root = demo_tree(tmp_path)
    found = len(list(root.rglob("*.bak")))
    assert main(["verify-backups", "--root", str(root), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)["result"]["data"]["backups"]
    assert counts == {"expected": found, "found": found, "restorable": found, "missing": [],
                      "cloud": None}


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


def test_cloud_failure_is_in_the_summary_line(tmp_path: Path, gcs: object,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import uuid

    from gcs_emulator import Emulator

    assert isinstance(gcs, Emulator)
    root = demo_tree(tmp_path)
    bucket = f"no-such-{uuid.uuid4().hex[:12]}"
    code = main(["verify-backups", "--root", str(root), "--cloud", f"gs://{bucket}",
                 "--endpoint", gcs.url, "--host", "bot-1"])
    out = capsys.readouterr().out
    assert code == 1
    head = out.splitlines()[0]
    assert head.startswith("verify-backups: FAILED") and "cloud copy FAILED" in head
    assert "ERROR: cloud" in out
    assert f"gs://gs://{bucket}" not in out
