"""verify-backups --cloud against the real GCS emulator (core.cloud.verify_cloud)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from gcs_emulator import Emulator, build_tree, sync_backups
from samples import sample_portfolio

from core import cloud
from core.cli.main import main
from core.storage.write import write_json


def test_verify_backups_cloud(
    tmp_path: Path, gcs: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    client: Any = cloud.make_client(endpoint=gcs.url)
    try:
        bucket = f"bkt-{uuid.uuid4().hex[:12]}"
        client.create_bucket(bucket)
        root = build_tree(tmp_path / "bot")
        sync_backups(root, client, bucket, write_status=False)
    finally:
        client.close()
    argv = [
        "verify-backups",
        "--root",
        str(root),
        "--cloud",
        bucket,
        "--prefix",
        "backups",
        "--endpoint",
        gcs.url,
        "--host",
        "bot-1",
        "--json",
    ]
    assert main(argv) == 0
    doc = orjson.loads(capsys.readouterr().out)
    assert doc["plan"]["ok"] and doc["plan"]["notes"][-1].startswith("cloud: newest snapshot")
    write_json(root / "data/portfolio.json", sample_portfolio(trades_executed=1))
    assert main(argv) == 0  # a local change since the sync is a warning, not a failure
    doc = orjson.loads(capsys.readouterr().out)
    assert any("cloud:" in note for note in doc["plan"]["notes"])
    missing = [*argv[:4], "no-such-bucket-x", *argv[5:]]
    assert main(missing) == 1
