"""A cloud run is restorable: sync validates before uploading, a dry run verifies like a
real restore, and restore-cloud previews until --yes (real GCS emulator)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from gcs_emulator import FAST, T0, Emulator, build_tree, sync_backups, tree_digest

from core import cloud
from core.cli.main import main
from core.config import load_config
from core.health import HealthScanner

T1 = T0 + dt.timedelta(hours=1)
PORTFOLIO = "data/portfolio.json"


def _sync(root: Path, client: Any, bucket: str, now: dt.datetime, **kw: Any) -> cloud.SyncResult:
    return sync_backups(root, client, bucket, now, prefix="b", **kw)


def test_sync_keeps_the_last_good_copy_of_a_corrupt_file(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    good = (root / PORTFOLIO).read_bytes()
    first = _sync(root, client, bucket, T0, write_status=False)
    assert first.ok and not first.degraded
    (root / PORTFOLIO).write_bytes(good[: len(good) // 2])  # truncated by a crash
    (root / "data/backtest_results/performance_report.md").write_text("# Report\n\nnew\n")
    second = _sync(root, client, bucket, T1)
    assert second.run is not None and second.run != first.run
    assert second.degraded and PORTFOLIO not in second.uploaded
    assert second.invalid[0].startswith(PORTFOLIO)
    assert f"keeps the copy of run {first.run}" in second.invalid[0]
    manifest = cloud.latest_manifest(client, bucket, "b", "bot-1")
    assert manifest is not None and manifest.run == second.run
    assert manifest.files[PORTFOLIO].sha256 == first_sha(good)
    # the newest run restores, with the last good portfolio
    restored = cloud.restore(bucket, tmp_path / "r", "b", client=client, host="bot-1", policy=FAST)
    assert restored.ok, restored.problems
    assert (tmp_path / "r" / PORTFOLIO).read_bytes() == good
    # the degraded run is a finding of the next scan
    (root / "botstore.toml").write_text(f'[cloud]\nbucket = "{bucket}"\n')
    report = HealthScanner(root, load_config(root)).full_scan()
    assert any(f.code == "backup" and "degraded" in f.message for f in report.findings)


def first_sha(payload: bytes) -> str:
    import hashlib

    return hashlib.sha256(payload).hexdigest()


def test_sync_never_uploads_a_corrupt_file_without_a_good_copy(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    (root / PORTFOLIO).write_bytes(b'{"trades_executed": ')
    result = _sync(root, client, bucket, T0, write_status=False)
    assert result.degraded and "no earlier copy" in result.invalid[0]
    manifest = cloud.latest_manifest(client, bucket, "b", "bot-1")
    assert manifest is not None and PORTFOLIO not in manifest.files


def test_sync_cli_exit_1_and_says_invalid(
    tmp_path: Path, gcs: Emulator, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(tmp_path / "bot")
    (root / PORTFOLIO).write_bytes(b"{")
    code = main(
        [
            "sync",
            "--root",
            str(root),
            "--bucket",
            f"gs://{bucket}",
            "--prefix",
            "b",
            "--endpoint",
            gcs.url,
            "--host",
            "bot-1",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert f"INVALID {PORTFOLIO}" in out and "degraded" in out
    assert f"gs://{bucket}/b/bot-1" in out and "gs://gs://" not in out


def test_dry_run_verifies_exactly_as_a_real_restore(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    (root / PORTFOLIO).write_bytes(b'{"trades_executed": "lots"}')
    _sync(root, client, bucket, T0, write_status=False, validate=False)  # an older botstore
    into = tmp_path / "live"
    dry = cloud.restore(bucket, into, "b", client=client, host="bot-1", policy=FAST, dry_run=True)
    real = cloud.restore(bucket, into, "b", client=client, host="bot-1", policy=FAST)
    assert not real.ok
    assert dry.dry_run and not dry.ok
    assert dry.problems == real.problems
    assert not into.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot"]  # no staging left


def test_restore_cloud_previews_until_yes(
    tmp_path: Path, gcs: Emulator, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(tmp_path / "bot")
    common = ["--bucket", bucket, "--prefix", "b", "--endpoint", gcs.url, "--host", "bot-1"]
    assert main(["sync", "--root", str(root), *common]) == 0
    live = build_tree(tmp_path / "live", trades=9)
    before = tree_digest(live)
    capsys.readouterr()
    assert main(["restore-cloud", *common, "--into", str(live)]) == 0
    out = capsys.readouterr().out
    assert "add --yes to restore" in out
    assert tree_digest(live) == before
    assert not any("pre-restore" in p.name for p in tmp_path.iterdir())
    assert main(["restore-cloud", *common, "--into", str(live), "--json"]) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["dry_run"] is True and doc["ok"] is True
    assert tree_digest(live) == before
    assert main(["restore-cloud", *common, "--into", str(live), "--yes"]) == 0
    assert (live / PORTFOLIO).read_bytes() == (root / PORTFOLIO).read_bytes()
    assert any("pre-restore" in p.name for p in tmp_path.iterdir())
