"""``botstore metrics --textfile``: base units, timestamps, new scan metrics, and UNKNOWN on a
failed scan (the previous good file is replaced, never left standing)."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import __version__
from core.cli.main import main
from core.cloud.sync import STATUS_FILE
from core.demo import build_demo_tree
from core.standard import layout
from core.standard.times import parse_timestamp


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    build_demo_tree(base)
    return base


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def state(
    samples: dict[str, list[tuple[dict[str, str], float]]], name: str, label: str
) -> dict[str, float]:
    return {labels[label]: value for labels, value in samples[name]}


def test_textfile_parses(root: Path, tmp_path: Path) -> None:
    (root / layout.LATEST_DECISIONS).unlink()
    target = tmp_path / "textfile" / "botstore.prom"
    target.parent.mkdir()
    assert main(["metrics", "--root", str(root), "--textfile", str(target)]) == 0
    samples = parse(target.read_text())
    assert samples["botstore_status"] == [({}, 1.0)]
    assert state(samples, "botstore_status_state", "status") == {
        "ok": 0.0,
        "warning": 1.0,
        "critical": 0.0,
        "unknown": 0.0,
    }
    assert samples["botstore_build_info"] == [({"version": __version__}, 1.0)]
    assert samples["botstore_scan_errors_total"] == [({}, 0.0)]
    assert set(state(samples, "botstore_scan_error", "reason").values()) == {0.0}
    assert samples["botstore_scan_interval_seconds"] == [({}, 60.0)]
    findings = {(s["code"], s["severity"]): v for s, v in samples["botstore_findings"]}
    assert findings[("missing", "warning")] == 1.0
    assert findings[("invalid_json", "critical")] == 0.0
    backup = state(samples, "botstore_backup_status", "status")
    assert backup["ok"] == 1.0 and backup["missing"] == 0.0
    portfolio = root / layout.PORTFOLIO
    mtimes = {s["path"]: v for s, v in samples["botstore_file_mtime_seconds"]}
    assert mtimes[layout.PORTFOLIO] == pytest.approx(portfolio.stat().st_mtime)
    sizes = {s["path"]: v for s, v in samples["botstore_file_size_bytes"]}
    assert sizes[layout.PORTFOLIO] == portfolio.stat().st_size
    assert samples["botstore_portfolio_last_modified_timestamp_seconds"][0][1] == pytest.approx(
        portfolio.stat().st_mtime
    )
    data_bytes = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
    assert samples["botstore_disk_usage_bytes"] == [({}, float(data_bytes))]
    snapshots = orjson.loads((root / layout.SNAPSHOTS).read_bytes())
    items = snapshots["snapshots"] if isinstance(snapshots, dict) else snapshots
    assert samples["botstore_snapshots"] == [({}, float(len(items)))]
    oldest = min(parse_timestamp(item["timestamp"]) or 0 for item in items)
    assert samples["botstore_oldest_snapshot_timestamp_seconds"] == [({}, oldest)]
    scan_at = samples["botstore_last_scan_timestamp_seconds"][0][1]
    assert scan_at >= portfolio.stat().st_mtime
    assert samples["botstore_scan_duration_seconds"][0][1] > 0
    for gone in (
        "botstore_portfolio_file_size_bytes",
        "botstore_performance_snapshots_count",
        "botstore_disk_usage_mb",
        "botstore_oldest_snapshot_age_days",
        "botstore_file_age_seconds",
    ):
        assert gone not in samples, gone
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_bad_config_replaces_good_file_with_unknown(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "botstore.prom"
    argv = ["metrics", "--root", str(root), "--textfile", str(target), "--interval", "300"]
    assert main(argv) == 0
    assert parse(target.read_text())["botstore_status"] == [({}, 0.0)]
    (root / "botstore.toml").write_text("[thresholds]\nstale_seconds = 5\n")
    for attempt in (1, 2):
        assert main(argv) == 3
        samples = parse(target.read_text())
        assert samples["botstore_status"] == [({}, 3.0)]
        assert state(samples, "botstore_status_state", "status")["unknown"] == 1.0
        assert state(samples, "botstore_scan_error", "reason") == {
            "config": 1.0,
            "root": 0.0,
            "scan": 0.0,
        }
        assert samples["botstore_scan_errors_total"] == [({}, float(attempt))]
        assert samples["botstore_scan_interval_seconds"] == [({}, 300.0)]
        assert "botstore_findings" not in samples  # no report, no stale tree figures
    (root / "botstore.toml").unlink()
    assert main(argv) == 0
    samples = parse(target.read_text())
    assert samples["botstore_status"] == [({}, 0.0)]
    assert samples["botstore_scan_errors_total"] == [({}, 2.0)]  # a counter never goes back


def test_missing_root_writes_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "botstore.prom"
    target.write_text("botstore_status 0\n")  # the last good file
    assert main(["metrics", "--root", str(tmp_path / "gone"), "--textfile", str(target)]) == 3
    samples = parse(target.read_text())
    assert samples["botstore_status"] == [({}, 3.0)]
    assert state(samples, "botstore_scan_error", "reason")["root"] == 1.0
    assert "does not exist" in capsys.readouterr().err


def test_missing_prometheus_client(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    code = main(["metrics", "--root", str(root), "--textfile", str(tmp_path / "x.prom")])
    assert code == 3
    assert "pip install" in capsys.readouterr().err
    assert not (tmp_path / "x.prom").exists()


def test_cloud_sync_metrics(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "botstore.prom"
    argv = ["metrics", "--root", str(root), "--textfile", str(target)]
    assert main(argv) == 0
    assert "botstore_cloud_sync_ok" not in parse(target.read_text())  # never synced
    status = root / STATUS_FILE
    status.write_bytes(orjson.dumps({
        "last_attempt": "2026-01-31T13:00:00Z", "last_success": "2026-01-31T12:00:00Z",
        "ok": False, "error": "503 from the bucket",
    }))  # fmt: skip
    main(argv)
    samples = parse(target.read_text())
    assert samples["botstore_cloud_sync_ok"] == [({}, 0.0)]
    assert samples["botstore_cloud_last_success_timestamp_seconds"] == [
        ({}, parse_timestamp("2026-01-31T12:00:00Z"))
    ]
