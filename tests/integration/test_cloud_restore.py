"""botstore restore-cloud / verify_cloud against a real fake-gcs-server (no mocked client)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest
from gcs_emulator import FAST, SYNCED, T0, build_tree, sync_backups, tree_digest

from core import cloud
from core.standard.findings import Severity
from core.storage.write import write_json

RUN = "20260110T120000Z"


@pytest.fixture
def synced(tmp_path: Path, client: Any, bucket: str) -> Path:
    root = build_tree(tmp_path / "bot")
    sync_backups(root, client, bucket, write_status=False)
    return root


def restore(client: Any, bucket: str, into: Path, **kw: Any) -> cloud.RestoreResult:
    return cloud.restore(bucket, into, "backups", client=client, host="bot-1", policy=FAST, **kw)


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_restore_into_fresh_dir_is_byte_for_byte(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    into = tmp_path / "restored" / "bot"
    result = restore(client, bucket, into)
    assert result.ok, result.problems
    assert result.run == RUN and result.moved_aside is None
    got = tree_digest(into)
    assert sorted(got) == sorted(SYNCED)
    for rel in SYNCED:
        assert got[rel][0] == (synced / rel).read_bytes()
    # modes per core.standard.policy: dirs 750, JSON 640 (and the report/parquet 640), no leftovers
    assert got["data/portfolio.json"][1] == 0o640
    assert got["data/historical/BTC-EUR_hour_180d.parquet"][1] == 0o640
    for directory in [into, *(p for p in into.rglob("*") if p.is_dir())]:
        assert directory.stat().st_mode & 0o777 == 0o750, directory
    assert (into / "data/portfolio.json").stat().st_mtime == pytest.approx(
        (synced / "data/portfolio.json").stat().st_mtime, abs=1e-3
    )
    assert siblings(into) == ["bot"]  # the staging dir is gone


def test_restore_of_a_demo_tree_round_trips(tmp_path: Path, client: Any, bucket: str) -> None:
    from core.demo import build_demo_tree

    root = tmp_path / "demo"
    build_demo_tree(root, now=T0)
    sync = cloud.sync_once(
        root, bucket, "p", client=client, host="demo", now=T0, policy=FAST, write_status=False
    )
    assert sync.ok and any(r.endswith(".parquet") for r in sync.uploaded)
    into = tmp_path / "again"
    result = cloud.restore(bucket, into, "p", client=client, policy=FAST)  # the only host
    assert result.ok, result.problems
    for rel in sync.uploaded:
        assert (into / rel).read_bytes() == (root / rel).read_bytes(), rel


def test_restore_refuses_a_tampered_cloud_copy(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    obj = f"backups/bot-1/{RUN}/data/historical/BTC-EUR_hour_180d.parquet"
    blob = client.bucket(bucket).blob(obj)
    data = bytearray(blob.download_as_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    blob.upload_from_string(bytes(data))  # overwrite in the bucket (an attacker, bit rot)

    into = tmp_path / "restored"
    result = restore(client, bucket, into)
    assert not result.ok
    assert any("BTC-EUR_hour_180d.parquet" in p and "sha256" in p for p in result.problems)
    assert not into.exists()
    assert siblings(into) == sorted(p.name for p in tmp_path.iterdir())
    assert not any(name.startswith(".restored.restore-") for name in siblings(into))

    # an existing tree is not touched either
    existing = build_tree(tmp_path / "live", trades=42)
    before = tree_digest(existing)
    again = restore(client, bucket, existing)
    assert not again.ok
    assert tree_digest(existing) == before
    assert not any("pre-restore" in n for n in siblings(existing))


def test_restore_refuses_schema_invalid_json(tmp_path: Path, client: Any, bucket: str) -> None:
    root = build_tree(tmp_path / "bot")
    write_json(root / "data/portfolio.json", {"trades_executed": "lots"})
    # as an older botstore would have:
    sync_backups(root, client, bucket, write_status=False, validate=False)
    result = restore(client, bucket, tmp_path / "restored")
    assert not result.ok
    assert any(p.startswith("data/portfolio.json: schema portfolio:") for p in result.problems)
    assert not (tmp_path / "restored").exists()


def test_dry_run_lists_and_changes_nothing(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    existing = build_tree(tmp_path / "live", trades=42)
    before = tree_digest(existing)
    listing = sorted(tmp_path.iterdir())
    result = restore(client, bucket, existing, dry_run=True)
    assert result.ok and result.dry_run
    assert sorted(f["path"] for f in result.files) == sorted(SYNCED)
    assert tree_digest(existing) == before
    assert sorted(tmp_path.iterdir()) == listing
    fresh = restore(client, bucket, tmp_path / "nothing-yet", dry_run=True)
    assert fresh.ok and not (tmp_path / "nothing-yet").exists()


def test_restore_over_existing_tree_moves_it_aside(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    live = build_tree(tmp_path / "live", trades=42)
    (live / "botstore.toml").write_text("[cloud]\n")
    old_portfolio = (live / "data/portfolio.json").read_bytes()
    result = restore(client, bucket, live, now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
    assert result.ok, result.problems
    assert result.swapped == ["dashboard", "data"]
    assert (live / "data/portfolio.json").read_bytes() == (
        synced / "data/portfolio.json"
    ).read_bytes()
    # not in the backup: left where it was
    assert (live / "logs/supervisor.log").read_text() == "started\n"
    assert (live / "botstore.toml").exists()
    # replaced directories moved aside whole, nothing deleted
    aside = Path(result.moved_aside or "")
    assert aside == tmp_path / "live.pre-restore-20260201T000000Z"
    assert (aside / "data/portfolio.json").read_bytes() == old_portfolio
    assert (aside / "data/cache/bot_startup.json").exists()
    assert (aside / "data/.quarantine").is_dir()


def test_restore_at_picks_the_newest_run_not_after_time(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    first = (synced / "data/portfolio.json").read_bytes()
    write_json(synced / "data/portfolio.json", {**orjson.loads(first), "trades_executed": 77})
    sync_backups(synced, client, bucket, T0 + dt.timedelta(hours=1), write_status=False)
    old = restore(client, bucket, tmp_path / "old", at=cloud.parse_time("2026-01-10T12:30:00Z"))
    assert old.run == RUN and (tmp_path / "old/data/portfolio.json").read_bytes() == first
    new = restore(client, bucket, tmp_path / "new")
    assert new.run == "20260110T130000Z"
    restored = orjson.loads((tmp_path / "new/data/portfolio.json").read_bytes())
    assert restored["trades_executed"] == 77
    with pytest.raises(cloud.CloudError, match="no complete backup"):
        restore(client, bucket, tmp_path / "x", at=cloud.parse_time("20260101T000000Z"))


def test_verify_cloud_compares_hashes_with_local(
    tmp_path: Path, synced: Path, client: Any, bucket: str
) -> None:
    def verify() -> list[Any]:
        return cloud.verify_cloud(
            synced, bucket, "backups", client=client, host="bot-1", policy=FAST
        )

    assert verify() == []
    write_json(synced / "data/portfolio.json", {"trades_executed": 1})
    findings = verify()
    assert [(f.code, f.severity, f.path) for f in findings] == [
        ("backup", Severity.WARNING, "data/portfolio.json")
    ]
    blob = client.bucket(bucket).blob(
        f"backups/bot-1/{RUN}/data/performance/performance_config.json"
    )
    blob.upload_from_string(b'{"version": "1.0"}\n')
    critical = [f for f in verify() if f.severity is Severity.CRITICAL]
    assert [f.path for f in critical] == ["data/performance/performance_config.json"]
    assert "differs from the manifest" in critical[0].message
    assert not any(p.name.startswith("botstore-verify-") for p in Path(tmp_path).iterdir())
