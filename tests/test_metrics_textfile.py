"""Acceptance 4: ``botstore metrics --textfile`` output parses with prometheus_client's parser."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import layout
from core.cli.main import main
from core.demo import build_demo_tree
from core.health import scan
from core.metrics import ReportCollector, serve


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


def test_textfile_parses(root: Path, tmp_path: Path) -> None:
    (root / layout.LATEST_DECISIONS).unlink()
    target = tmp_path / "textfile" / "botstore.prom"
    target.parent.mkdir()
    assert main(["metrics", "--root", str(root), "--textfile", str(target)]) == 0
    samples = parse(target.read_text())
    assert samples["botstore_status"] == [({}, 1.0)]
    findings = {(s["code"], s["severity"]): v for s, v in samples["botstore_findings"]}
    assert findings[("missing", "warning")] == 1.0
    assert findings[("invalid_json", "critical")] == 0.0
    for name in (
        "botstore_portfolio_file_exists",
        "botstore_portfolio_file_size_bytes",
        "botstore_performance_snapshots_count",
        "botstore_disk_usage_mb",
        "botstore_oldest_snapshot_age_days",
        "botstore_scan_duration_seconds",
        "botstore_portfolio_last_modified_timestamp_seconds",
    ):
        assert name in samples, name
    backup = {s["status"]: v for s, v in samples["botstore_backup_status"]}
    assert backup["ok"] == 1.0 and backup["missing"] == 0.0
    ages = {s["path"]: v for s, v in samples["botstore_file_age_seconds"]}
    assert layout.PORTFOLIO in ages
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]


def test_missing_prometheus_client(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "prometheus_client", None)
    code = main(["metrics", "--root", str(root), "--textfile", str(tmp_path / "x.prom")])
    assert code == 3
    assert "pip install" in capsys.readouterr().err
    assert not (tmp_path / "x.prom").exists()


def test_listen_serves_metrics(root: Path) -> None:
    collector_calls: list[int] = []

    def produce() -> object:
        collector_calls.append(1)
        return scan(root)

    server = serve(0, produce, addr="127.0.0.1")  # type: ignore[arg-type]
    try:
        port = server[0].server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            body = response.read().decode()
        assert parse(body)["botstore_status"] == [({}, 0.0)]
        assert collector_calls
    finally:
        server[0].shutdown()
        server[0].server_close()
        server[1].join(10)
    assert isinstance(ReportCollector, type)
    assert os.path.isdir(root)
