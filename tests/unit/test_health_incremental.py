"""``HealthScanner.update`` reaches the same findings as a fresh full scan."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from core.demo import build_demo_tree
from core.health import HealthScanner, checks_json, scan
from core.standard import layout


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    build_demo_tree(base)
    return base


def keys(report: object) -> set[tuple[str, str, str]]:
    """Findings, without ``size`` (a change *between scans*: a one-shot scan has none)."""
    return {(f.code, f.path, f.severity.value) for f in report.findings if f.code != "size"}  # type: ignore[attr-defined]


def test_incremental_matches_full(root: Path, tmp_path: Path) -> None:
    scanner = HealthScanner(root)
    assert keys(scanner.full_scan()) == set()
    # break a few things
    (root / layout.PORTFOLIO).write_text("{")
    (root / layout.LATEST_DECISIONS).unlink()
    os.chmod(root / layout.BOT_STARTUP, 0o666)  # noqa: S103 - the mode under test
    outside = tmp_path / "moved-in"
    (outside / "deeper").mkdir(parents=True)
    (outside / "deeper" / "bad.json").write_text("[")
    os.chmod(outside, 0o750)  # noqa: S103 - the mode under test
    os.chmod(outside / "deeper", 0o750)  # noqa: S103 - the mode under test
    shutil.move(str(outside), str(root / "data" / "cache" / "moved-in"))
    changed = {layout.PORTFOLIO, layout.LATEST_DECISIONS, layout.BOT_STARTUP, "data/cache/moved-in"}
    incremental = scanner.update(changed)
    assert keys(incremental) == keys(scan(root))
    assert [f.path for f in incremental.findings if f.code == "size"] == [layout.PORTFOLIO]
    assert ("invalid_json", "data/cache/moved-in/deeper/bad.json", "warning") in keys(incremental)
    # remove a whole directory
    shutil.rmtree(root / "data" / "cache" / "moved-in")
    assert keys(scanner.update({"data/cache/moved-in"})) == keys(scan(root))
    # a file path inside a brand-new directory (only the file event arrived)
    (root / "reports" / "new").mkdir(mode=0o750)
    (root / "reports" / "new" / "x.json").write_text("nope")
    assert keys(scanner.update({"reports/new/x.json"})) == keys(scan(root))
    # disk bytes stay consistent with a fresh scan
    fresh = scan(root)
    assert scanner.update(set()).disk.tree_bytes == fresh.disk.tree_bytes  # type: ignore[union-attr]


def test_unchanged_files_are_not_reread(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scanner = HealthScanner(root)
    scanner.full_scan()
    calls: list[str] = []
    original = checks_json.check_json

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[1]))
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("core.health.scan_content.check_json", counting)
    scanner.full_scan()
    assert calls == []
    data = json.loads((root / layout.PORTFOLIO).read_text())
    data["trades_executed"] += 1
    (root / layout.PORTFOLIO).write_text(json.dumps(data))
    report = scanner.update({layout.PORTFOLIO})
    assert calls == [layout.PORTFOLIO]
    listed = {f.path: f for f in report.files}
    assert listed[layout.PORTFOLIO].size_delta is not None


def test_report_contents(root: Path) -> None:
    report = scan(root)
    assert report.snapshots is not None and report.snapshots.count > 0
    assert report.snapshots.frequency == "hourly"
    assert len(report.snapshots.values) <= 240
    assert {p.path for p in report.parquet} >= {"data/historical/BTC-EUR_hour_180d.parquet"}
    assert report.disk is not None and report.disk.tree_bytes > 0
    assert "data" in report.disk.by_top_dir
    roles = {f.path: f.role for f in report.files if f.role}
    assert roles[layout.PORTFOLIO] == "critical"
    assert report.scan_seconds > 0


def test_root_missing_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        scan(tmp_path / "nope")


def test_time_to_full_from_growth(root: Path) -> None:
    from core.config import Config, Threshold

    base = Config()
    thresholds = {**base.thresholds, "time_to_full_hours": Threshold(1e12, 0)}
    config = Config(thresholds=thresholds, growth_window_seconds=0)
    scanner = HealthScanner(root, config)
    first = scanner.full_scan()
    assert first.disk is not None and first.disk.time_to_full_s is None
    (root / "data" / "cache" / "grow.bin").write_bytes(b"x" * 1_000_000)
    report = scanner.update({"data/cache/grow.bin"})
    assert report.disk is not None
    assert report.disk.growth_bytes_per_s is not None and report.disk.growth_bytes_per_s > 0
    assert report.disk.time_to_full_s is not None
    assert [(f.code, f.path, f.severity.value) for f in report.findings if f.code == "disk"] == [
        ("disk", ".", "warning")
    ]


def test_mode_change_on_an_unchanged_clean_file_is_seen(root: Path) -> None:
    """Clean files keep only a compact key; a chmod (same mtime/size/inode) must still count."""
    scanner = HealthScanner(root)
    scanner.full_scan()
    target = root / layout.BOT_STARTUP
    os.chmod(target, 0o666)  # noqa: S103 - the mode under test
    for report in (scanner.update({layout.BOT_STARTUP}), scanner.full_scan()):
        assert ("permissions", layout.BOT_STARTUP, "critical") in keys(report)  # world-writable
    os.chmod(target, 0o640)
    assert not [f for f in scanner.full_scan().findings if f.path == layout.BOT_STARTUP]


def test_size_shrink_finding_survives_a_full_rescan(root: Path) -> None:
    scanner = HealthScanner(root)
    scanner.full_scan()
    snapshots = root / layout.SNAPSHOTS
    data = json.loads(snapshots.read_text())[-10:]  # 840 -> 10: a >90 % shrink
    snapshots.write_text(json.dumps(data))
    shrunk = [f for f in scanner.update({layout.SNAPSHOTS}).findings if f.code == "size"]
    assert [(f.path, f.severity.value) for f in shrunk] == [(layout.SNAPSHOTS, "critical")]
    again = [f for f in scanner.full_scan().findings if f.code == "size"]
    assert again == shrunk
