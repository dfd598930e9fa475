"""``botstore sync`` / ``botstore restore-cloud`` end to end against a real fake-gcs-server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from gcs_emulator import SYNCED, Emulator, build_tree, tree_digest

from core import cloud
from core.cli import main as cli_main


@pytest.fixture
def bucket(gcs: Emulator) -> Iterator[str]:
    client = cloud.make_client(endpoint=gcs.url)
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    client.create_bucket(name)
    yield name
    client.close()


def botstore(*argv: str) -> int:
    return cli_main.main(list(argv))


def test_cloud_cmd_is_registered() -> None:
    assert "core.cli.cloud_cmd" in cli_main.SUBCOMMAND_MODULES


def test_sync_then_restore_cloud_from_the_command_line(
    tmp_path: Path, gcs: Emulator, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(tmp_path / "bot")
    common = ["--bucket", bucket, "--prefix", "team/bots", "--endpoint", gcs.url]
    assert botstore("sync", "--root", str(root), *common, "--host", "vm1", "--json") == 0
    first = orjson.loads(capsys.readouterr().out)
    assert first["ok"] is True and sorted(first["uploaded"]) == sorted(SYNCED)
    assert first["manifest"].startswith("team/bots/vm1/") and first["run"]

    assert botstore("sync", "--root", str(root), *common, "--host", "vm1") == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"sync: nothing changed ({len(SYNCED)} files) — gs://{bucket}/team/bots/vm1"
    )
    assert "skipped data/performance/credentials.json (sensitive file name" in out
    assert "REDACTED" not in out and "k3y-s3cr3t" not in out

    assert botstore("restore-cloud", *common, "--into", str(tmp_path / "r"), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "would restore run" in out and "data/portfolio.json" in out
    assert not (tmp_path / "r").exists()

    assert botstore("restore-cloud", *common, "--into", str(tmp_path / "r"), "--yes", "--json") == 0
    restored = orjson.loads(capsys.readouterr().out)
    assert restored["ok"] is True and restored["source_host"] == "vm1"
    got = tree_digest(tmp_path / "r")
    assert {rel: data for rel, (data, _mode) in got.items()} == {
        rel: (root / rel).read_bytes() for rel in SYNCED
    }


def test_restore_cloud_refusal_exits_1_and_touches_nothing(
    tmp_path: Path, gcs: Emulator, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(tmp_path / "bot")
    common = ["--bucket", bucket, "--endpoint", gcs.url]
    assert botstore("sync", "--root", str(root), *common, "--host", "vm1") == 0
    client = cloud.make_client(endpoint=gcs.url)
    try:
        manifest = cloud.latest_manifest(client, bucket, "botstore", "vm1")
        assert manifest is not None
        obj = manifest.files["data/portfolio.json"].object
        client.bucket(bucket).blob(obj).upload_from_string(b'{"trades_executed": 0}\n')
    finally:
        client.close()
    live = build_tree(tmp_path / "live", trades=5)
    before = tree_digest(live)
    capsys.readouterr()
    assert botstore("restore-cloud", *common, "--into", str(live), "--yes") == 1
    captured = capsys.readouterr()
    assert "REFUSED" in captured.out and "data/portfolio.json" in captured.out
    assert "was not touched" in captured.err
    assert tree_digest(live) == before


def test_bucket_and_prefix_from_botstore_toml(
    tmp_path: Path, gcs: Emulator, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_tree(tmp_path / "bot")
    (root / "botstore.toml").write_text(
        f'[cloud]\nbucket = "{bucket}"\nprefix = "cfg"\nhost = "from-config"\n'
        f'endpoint = "{gcs.url}"\n'
    )
    assert botstore("sync", "--root", str(root), "--json") == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["prefix"] == "cfg" and result["source_host"] == "from-config"


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert botstore("sync", "--root", str(tmp_path)) == 2
    assert "no bucket" in capsys.readouterr().err
    assert botstore("sync", "--root", str(tmp_path), "--bucket", "b", "--every", "soon") == 2
    assert (
        botstore(
            "restore-cloud", "--bucket", "b", "--into", str(tmp_path / "x"), "--at", "yesterday"
        )
        == 2
    )
    (tmp_path / "botstore.toml").write_text('[cloud]\nbukket = "typo"\n')
    assert botstore("sync", "--root", str(tmp_path)) == 2
    assert "unknown [cloud] key(s) ['bukket']" in capsys.readouterr().err


def test_unreachable_endpoint_is_a_clear_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = build_tree(tmp_path / "bot")
    before = tree_digest(root)
    code = botstore(
        "sync", "--root", str(root), "--bucket", "b", "--endpoint", f"http://127.0.0.1:{port}"
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "sync failed:" in err and "unreachable" in err
    assert {k: v for k, v in tree_digest(root).items() if k in before} == before


def test_sync_every_loops_until_interrupted(tmp_path: Path, gcs: Emulator, bucket: str) -> None:
    import signal
    import subprocess
    import sys

    root = build_tree(tmp_path / "bot")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core.cli.main",
            "sync",
            "--root",
            str(root),
            "--bucket",
            bucket,
            "--endpoint",
            gcs.url,
            "--host",
            "loop",
            "--every",
            "1s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        reports: list[str] = []
        for line in proc.stdout:
            if line.startswith("sync:"):
                reports.append(line)
                if len(reports) == 2:
                    break
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert reports[0].startswith("sync: run ") and "uploaded" in reports[0]
    assert reports[1].startswith("sync: nothing changed")
    assert proc.returncode == 130
    assert "syncing every 1s" in err
