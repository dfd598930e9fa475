"""botstore sync against a real fake-gcs-server started by this suite (no mocked client)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from gcs_emulator import NOT_SYNCED, PORTFOLIO, SYNCED, T0, build_tree
from gcs_emulator import sync_backups as sync

from core import cloud
from core.cloud.manifest import Manifest
from core.cloud.upload import LARGE_FILE
from core.storage.write import write_json


def names(client: Any, bucket: str) -> list[str]:
    return sorted(b.name for b in client.list_blobs(bucket))


def test_first_sync_uploads_the_standard_files_with_metadata(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    result = sync(root, client, bucket)

    assert result.ok and result.run == "20260110T120000Z"
    assert sorted(result.uploaded) == sorted(SYNCED)
    base = "backups/bot-1/20260110T120000Z/"
    assert names(client, bucket) == sorted(
        [base + ".claim", base + "manifest.json", *(base + rel for rel in SYNCED)]
    )
    for rel in NOT_SYNCED:
        assert rel not in result.uploaded
    assert any("credentials.json" in note for note in result.skipped)

    # metadata round trip
    blob = client.bucket(bucket).get_blob(base + "data/performance/performance_config.json")
    payload = (root / "data/performance/performance_config.json").read_bytes()
    meta = blob.metadata
    assert meta["sha256"] == hashlib.sha256(payload).hexdigest()
    assert meta["source_host"] == "bot-1"
    assert meta["original_path"] == "data/performance/performance_config.json"
    assert meta["schema_version"] == "1.0"
    mtime = (root / "data/performance/performance_config.json").stat().st_mtime
    assert dt.datetime.fromisoformat(
        meta["mtime"].replace("Z", "+00:00")
    ).timestamp() == pytest.approx(mtime, abs=1e-5)
    assert blob.content_type == "application/json"
    assert blob.download_as_bytes() == payload
    parquet = client.bucket(bucket).get_blob(base + "data/historical/BTC-EUR_hour_180d.parquet")
    assert "schema_version" not in parquet.metadata
    assert (
        parquet.metadata["sha256"]
        == hashlib.sha256(
            (root / "data/historical/BTC-EUR_hour_180d.parquet").read_bytes()
        ).hexdigest()
    )

    # the manifest is a complete snapshot
    manifest = Manifest.from_bytes(
        client.bucket(bucket).blob(base + "manifest.json").download_as_bytes(), "m"
    )
    assert sorted(manifest.files) == sorted(SYNCED)
    for rel, entry in manifest.files.items():
        assert entry.object == base + rel
        assert entry.sha256 == hashlib.sha256((root / rel).read_bytes()).hexdigest()
        assert entry.size == (root / rel).stat().st_size


def test_symlinks_and_special_files_are_never_followed(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    outside = tmp_path / "secret.txt"
    outside.write_text("not for the cloud")
    (root / "data/performance/linked.json").symlink_to(outside)
    (root / "data/historical/dir-link").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(root / "data/backtest_results/pipe.json")
    write_json(root / "dashboard/data/exchange.json", {"api_secret": "s3cr3t", "rate": 1})
    result = sync(root, client, bucket)
    assert sorted(result.uploaded) == sorted(SYNCED)
    assert "data/performance/linked.json (symlink, not followed)" in result.skipped
    assert "data/historical/dir-link (symlink, not followed)" in result.skipped
    assert "data/backtest_results/pipe.json (not a regular file)" in result.skipped
    assert (
        "dashboard/data/exchange.json (holds secret-looking keys, never uploaded)" in result.skipped
    )
    assert (
        "data/performance/credentials.json (sensitive file name, never uploaded)" in result.skipped
    )


def test_second_sync_uploads_nothing(tmp_path: Path, client: Any, bucket: str) -> None:
    root = build_tree(tmp_path / "bot")
    sync(root, client, bucket)
    before = names(client, bucket)
    # touching mtimes is not a change: the comparison is by sha256
    for rel in SYNCED:
        os.utime(root / rel, (1e9, 1e9))
    again = sync(root, client, bucket, now=T0 + dt.timedelta(minutes=15))
    assert again.ok
    assert again.uploaded == [] and again.run is None and again.bytes_uploaded == 0
    assert sorted(again.unchanged) == sorted(SYNCED)
    assert names(client, bucket) == before


def test_changed_file_only_and_manifest_references_earlier_objects(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    sync(root, client, bucket)
    write_json(
        root / "data/portfolio.json",
        {**orjson.loads((root / "data/portfolio.json").read_bytes()), "trades_executed": 9},
    )
    (root / "data/backtest_results/performance_report.md").unlink()
    second = sync(root, client, bucket, now=T0 + dt.timedelta(minutes=15))
    assert second.uploaded == ["data/portfolio.json"]
    assert second.removed == ["data/backtest_results/performance_report.md"]
    manifest = cloud.latest_manifest(client, bucket, "backups", "bot-1")
    assert manifest is not None and manifest.run == "20260110T121500Z"
    assert manifest.files["data/portfolio.json"].object.startswith(
        "backups/bot-1/20260110T121500Z/"
    )
    assert manifest.files["data/historical/BTC-EUR_hour_180d.parquet"].object.startswith(
        "backups/bot-1/20260110T120000Z/"
    )
    assert "data/backtest_results/performance_report.md" not in manifest.files


def test_conditional_write_refuses_to_overwrite_another_writers_object(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    # another host with the same name already wrote this run's portfolio object
    theirs = client.bucket(bucket).blob("backups/bot-1/20260110T120000Z/data/portfolio.json")
    theirs.upload_from_string(b'{"theirs": true}\n')
    with pytest.raises(cloud.SyncConflict, match="already exists"):
        sync(root, client, bucket)
    assert theirs.download_as_bytes() == b'{"theirs": true}\n'  # not overwritten
    # no manifest: the failed run is never taken for a snapshot
    assert cloud.latest_manifest(client, bucket, "backups", "bot-1") is None


def test_two_syncs_claiming_the_same_run_conflict(tmp_path: Path, client: Any, bucket: str) -> None:
    first = build_tree(tmp_path / "a")
    second = build_tree(tmp_path / "b", trades=7)
    sync(first, client, bucket)
    write_json(second / "data/portfolio.json", {**PORTFOLIO, "trades_executed": 99})
    with pytest.raises(cloud.SyncConflict, match=r"\.claim already exists"):
        # same host name, same second, different data (a cloned VM, say)
        sync(second, client, bucket, write_status=False)
    manifest = cloud.latest_manifest(client, bucket, "backups", "bot-1")
    assert manifest is not None
    obj = manifest.files["data/portfolio.json"].object
    assert (
        client.bucket(bucket).blob(obj).download_as_bytes()
        == (first / "data/portfolio.json").read_bytes()
    )


def test_large_file_goes_up_in_chunks_with_progress(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    big = root / "dashboard/data/backtest_results/equity_curve.bin"
    big.write_bytes(os.urandom(LARGE_FILE + 300_000))
    seen: list[tuple[str, int, int]] = []
    result = sync(
        root, client, bucket, progress=lambda rel, done, total: seen.append((rel, done, total))
    )
    assert "dashboard/data/backtest_results/equity_curve.bin" in result.uploaded
    big_events = [s for s in seen if s[0].endswith("equity_curve.bin")]
    assert len(big_events) >= 2
    assert big_events[-1][1] == big_events[-1][2] == big.stat().st_size
    blob = client.bucket(bucket).get_blob(
        "backups/bot-1/20260110T120000Z/dashboard/data/backtest_results/equity_curve.bin"
    )
    assert blob.size == big.stat().st_size
    assert blob.metadata["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()


def test_prune_drops_old_runs_but_keeps_referenced_objects(
    tmp_path: Path, client: Any, bucket: str
) -> None:
    root = build_tree(tmp_path / "bot")
    sync(root, client, bucket, now=T0)
    for day in (1, 2):
        write_json(
            root / "data/portfolio.json",
            {
                **orjson.loads((root / "data/portfolio.json").read_bytes()),
                "trades_executed": 10 + day,
            },
        )
        sync(root, client, bucket, now=T0 + dt.timedelta(days=day))
    assert cloud.list_runs(client, bucket, "backups", "bot-1") == [
        "20260110T120000Z",
        "20260111T120000Z",
        "20260112T120000Z",
    ]
    third = client.bucket(bucket).get_blob("backups/bot-1/20260112T120000Z/manifest.json")
    # which earlier runs it references, so pruning need not read unrelated manifests
    assert third.metadata["botstore_ref_runs"] == "20260110T120000Z"

    write_json(
        root / "data/portfolio.json",
        {**orjson.loads((root / "data/portfolio.json").read_bytes()), "trades_executed": 50},
    )
    result = sync(root, client, bucket, now=T0 + dt.timedelta(days=3), retention_days=1.5)
    assert result.pruned_runs == ["20260110T120000Z", "20260111T120000Z"]
    left = names(client, bucket)
    # the first run's portfolio/claim/manifest are gone; its unchanged files survive
    assert "backups/bot-1/20260110T120000Z/data/portfolio.json" not in left
    assert "backups/bot-1/20260110T120000Z/manifest.json" not in left
    assert "backups/bot-1/20260110T120000Z/data/historical/BTC-EUR_hour_180d.parquet" in left
    assert not any(n.startswith("backups/bot-1/20260111T120000Z/") for n in left)
    # every kept manifest still resolves completely
    for run in ("20260112T120000Z", "20260113T120000Z"):
        manifest = cloud.remote.load_manifest(client, bucket, "backups", "bot-1", run)
        assert manifest is not None
        for entry in manifest.files.values():
            assert entry.object in left


def test_status_file_records_the_outcome(tmp_path: Path, client: Any, bucket: str) -> None:
    root = build_tree(tmp_path / "bot")
    sync(root, client, bucket)
    status = cloud.read_status(root)
    assert status is not None and status["ok"] is True and status["run"] == "20260110T120000Z"
    assert status["last_success"] == status["last_attempt"]
    assert (root / "data/cache/cloud_sync_status.json").stat().st_mode & 0o777 == 0o640


def test_missing_bucket_is_a_clear_error(tmp_path: Path, client: Any) -> None:
    root = build_tree(tmp_path / "bot")
    with pytest.raises(cloud.CloudDenied, match="does not exist"):
        sync(root, client, "no-such-bucket-here")
