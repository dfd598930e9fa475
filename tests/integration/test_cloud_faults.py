"""Failure paths of the cloud backup: the emulator dies mid-sync, the extra is missing,
the key file is too open, the --every loop meets failures. Real emulator, real files."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import stat
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gcs_emulator import SYNCED, T0, Emulator, build_tree, sync_backups, tree_digest

from core import cloud
from core.cli import cloud_cmd
from core.cloud.upload import LARGE_FILE

FAST = cloud.RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, timeout=5)


def sync(
    root: Path, client: Any, bucket: str, now: dt.datetime = T0, **kw: Any
) -> cloud.SyncResult:
    """A sync of host ``h`` under ``b/``, with this module's quicker timeout."""
    return sync_backups(root, client, bucket, now, prefix="b", host="h", policy=FAST, **kw)


@pytest.fixture
def own_gcs() -> Iterator[Emulator]:
    """A private emulator this test may stop and restart without disturbing the others."""
    server = Emulator()
    server.start()
    yield server
    server.close()


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="botstore")
    cloud_cmd.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_emulator_stopped_mid_sync_then_next_sync_completes(
    tmp_path: Path, own_gcs: Emulator
) -> None:
    root = build_tree(tmp_path / "bot")
    bucket = f"bkt-{uuid.uuid4().hex[:8]}"
    client = cloud.make_client(endpoint=own_gcs.url)
    try:
        client.create_bucket(bucket)
        before = tree_digest(root)
        done: list[str] = []

        def kill_after_first(rel: str, sent: int, total: int) -> None:
            if sent == total:
                done.append(rel)
                if len(done) == 1:
                    own_gcs.stop()  # the endpoint vanishes between two uploads

        with pytest.raises(cloud.CloudUnavailable) as info:
            sync(root, client, bucket, progress=kill_after_first)
        message = str(info.value)
        assert "unreachable after 3 attempts" in message and "connection refused" in message
        assert f"gs://{bucket}/b/h/20260110T120000Z/" in message
        assert len(done) == 1
        status = cloud.read_status(root)
        assert status is not None and status["ok"] is False and "unreachable" in status["error"]
        assert status["last_success"] is None

        # local data untouched (only botstore's own status file is new)
        after = tree_digest(root)
        new = set(after) - set(before)
        assert new <= {
            "data/cache/cloud_sync_status.json",
            "data/cache/.cloud_sync_status.json.lock",
        }
        assert {k: v for k, v in after.items() if k in before} == before

        own_gcs.start()  # same port, same stored objects
        # the interrupted run is there but incomplete (no manifest): never used for a restore
        assert cloud.list_runs(client, bucket, "b", "h") == ["20260110T120000Z"]
        assert cloud.latest_manifest(client, bucket, "b", "h") is None
        result = sync(root, client, bucket, T0 + dt.timedelta(minutes=15))
        assert result.ok and sorted(result.uploaded) == sorted(SYNCED)
        assert cloud.read_status(root)["ok"] is True  # type: ignore[index]

        restored = cloud.restore(bucket, tmp_path / "restored", "b", client=client, policy=FAST)
        assert restored.ok and restored.run == "20260110T121500Z"
        for rel in SYNCED:
            assert (tmp_path / "restored" / rel).read_bytes() == (root / rel).read_bytes()
    finally:
        client.close()


def test_sync_loop_survives_a_dead_endpoint(tmp_path: Path, own_gcs: Emulator) -> None:
    root = build_tree(tmp_path / "bot")
    bucket = f"bkt-{uuid.uuid4().hex[:8]}"
    client = cloud.make_client(endpoint=own_gcs.url)
    client.create_bucket(bucket)
    outcomes: list[str] = []
    calls = {"n": 0}

    def once() -> cloud.SyncResult:
        calls["n"] += 1
        if calls["n"] == 1:
            own_gcs.stop()
        elif calls["n"] == 2:
            own_gcs.start()
        return sync(root, client, bucket, T0 + dt.timedelta(minutes=calls["n"]))

    def on_result(result: cloud.SyncResult | None, exc: BaseException | None) -> None:
        outcomes.append("ok" if result is not None and result.ok else type(exc).__name__)

    try:
        failed = cloud.run_every(0.001, once, on_result, stop=threading.Event(), max_runs=3)
    finally:
        client.close()
    assert outcomes == ["CloudUnavailable", "ok", "ok"]
    assert failed == 1


def test_missing_extra_exits_3_with_install_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "google.cloud.storage", None)  # import now fails
    assert not cloud.gcs_available()
    args = parse(["sync", "--root", str(tmp_path), "--bucket", "b"])
    assert args.func(args) == 3
    assert "pip install 'botstore[gcs]'" in capsys.readouterr().err
    args = parse(["restore-cloud", "--bucket", "b", "--into", str(tmp_path / "x")])
    assert args.func(args) == 3
    with pytest.raises(cloud.GcsMissing, match=r"botstore\[gcs\]"):
        cloud.make_client(endpoint="http://127.0.0.1:9")


def test_core_cloud_import_does_not_load_google() -> None:
    import subprocess

    code = (
        "import sys, core.cloud, core.cli.cloud_cmd; "
        "print(any(m.startswith('google') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_key_file_must_be_mode_600_and_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    key = tmp_path / "sa.json"
    secret = '{"type": "service_account", "private_key": "-----BEGIN SECRET-----zzz"}'  # noqa: S105
    key.write_text(secret)
    key.chmod(0o644)
    with pytest.raises(cloud.CredentialsError, match="mode 644; it must be 600") as info:
        cloud.make_client(key)
    assert "SECRET" not in str(info.value)
    args = parse(["sync", "--root", str(tmp_path), "--bucket", "b", "--credentials", str(key)])
    assert args.func(args) == 1
    err = capsys.readouterr().err
    assert "chmod 600" in err and "SECRET" not in err

    key.chmod(0o600)
    assert cloud.check_key_file(key) == key
    with pytest.raises(cloud.CredentialsError, match="not a valid service-account key") as bad:
        cloud.make_client(key)
    assert "SECRET" not in str(bad.value) and "zzz" not in str(bad.value)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    with pytest.raises(cloud.CredentialsError, match="does not exist"):
        cloud.check_key_file(tmp_path / "nope.json")


def test_changed_while_uploading_is_reported_not_snapshotted(
    tmp_path: Path, own_gcs: Emulator
) -> None:
    """A large file rewritten *in place* (not atomically) during its upload."""
    root = build_tree(tmp_path / "bot")
    big = root / "data/historical/ETH-EUR_minute_7d.parquet"
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    # a valid OHLCV Parquet file (sync validates it first: footer and content probe), large
    # enough to be streamed: random prices do not compress
    rows = LARGE_FILE // 40 + 1024
    rng = np.random.default_rng(7)
    prices = {
        name: pa.array(rng.random(rows) * 1e6)
        for name in ("open", "high", "low", "close", "volume")
    }
    stamps = pa.array(np.arange(rows, dtype=np.int64) * 60_000, pa.timestamp("ms", tz="UTC"))
    pq.write_table(pa.table({"timestamp": stamps, **prices}), big, compression="none")
    assert big.stat().st_size > LARGE_FILE
    original = hashlib.sha256(big.read_bytes()).hexdigest()
    bucket = f"bkt-{uuid.uuid4().hex[:8]}"
    client = cloud.make_client(endpoint=own_gcs.url)
    client.create_bucket(bucket)

    def scribble(rel: str, sent: int, total: int) -> None:
        if rel == "data/historical/ETH-EUR_minute_7d.parquet" and 0 < sent < total:
            fd = os.open(big, os.O_WRONLY)
            try:
                os.pwrite(fd, b"\1" * 16, total - 16)
            finally:
                os.close(fd)

    try:
        result = sync(root, client, bucket, progress=scribble, write_status=False)
        assert not result.ok
        assert result.failures and "changed while it was uploading" in result.failures[0]
        manifest = cloud.latest_manifest(client, bucket, "b", "h")
        assert manifest is not None
        assert "data/historical/ETH-EUR_minute_7d.parquet" not in manifest.files
        assert sorted(manifest.files) == sorted(SYNCED)
        assert hashlib.sha256(big.read_bytes()).hexdigest() != original
    finally:
        client.close()


def test_wrong_root_is_refused_before_any_upload(tmp_path: Path) -> None:
    client = cloud.make_client(endpoint="http://127.0.0.1:9")  # never contacted
    try:
        with pytest.raises(cloud.CloudError, match="nothing to back up"):
            cloud.sync_once(tmp_path, "b", client=client, policy=FAST, write_status=False)
    finally:
        client.close()
    assert list(tmp_path.iterdir()) == []


def test_parse_interval_and_time() -> None:
    assert cloud.parse_interval("15m") == 900
    assert cloud.parse_interval("2h") == 7200
    assert cloud.parse_interval("90") == 90
    with pytest.raises(ValueError, match="bad interval"):
        cloud.parse_interval("often")
    assert cloud.parse_time("20260110T120000Z") == T0
    assert cloud.parse_time("2026-01-10T12:00:00Z") == T0
    assert cloud.parse_time("2026-01-10T13:00:00+01:00") == T0
    assert cloud.parse_time("2026-01-10T12:00:00") == T0  # naive means UTC


def test_a_sync_leaves_no_client_thread_behind(tmp_path: Path, own_gcs: Emulator) -> None:
    """google-cloud-storage 3.x fetches bucket metadata in daemon threads that keep retrying
    (with the global ``random`` for jitter) after a failed sync has returned: a stray request
    needing ``storage.buckets.get`` and, in this suite, a flaky hypothesis test. Not ours."""
    root = build_tree(tmp_path / "bot")
    bucket = f"bkt-{uuid.uuid4().hex[:8]}"
    before = set(threading.enumerate())
    own_gcs.stop()  # the endpoint is down for the first call that names the bucket
    client = cloud.make_client(endpoint=own_gcs.url)
    try:
        with pytest.raises(cloud.CloudUnavailable):
            sync(root, client, bucket)
    finally:
        client.close()
    stray = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert stray == []
