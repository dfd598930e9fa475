"""The standard's names, imported from ``core`` and used exactly as its snippets use them."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from cli_run import run_python
from samples import sample_portfolio, sample_snapshot

import core
from core.errors import VersionError
from core.standard import layout

PORTFOLIO = sample_portfolio(trades_executed=2)  # saved over with trades_executed=3 below


def test_all_names_are_exported() -> None:
    assert sorted(core.__all__) == sorted(
        [
            "save_data_atomically",
            "validate_and_load_json",
            "load_with_recovery",
            "migrate_data_version",
            "sanitize_for_logging",
            "get_storage_health",
            "sync_to_cloud",
            "DataManager",
        ]
    )
    for name in core.__all__:
        assert callable(getattr(core, name)), name
    with pytest.raises(AttributeError):
        core.nothing_like_this  # noqa: B018


def test_save_data_atomically_keeps_bak_and_sets_mode(tmp_path: Path) -> None:
    from core import save_data_atomically

    file_path = tmp_path / "data" / "portfolio.json"
    file_path.parent.mkdir()
    save_data_atomically(str(file_path), PORTFOLIO)
    save_data_atomically(str(file_path), dict(PORTFOLIO, trades_executed=3))
    assert json.loads(file_path.read_text())["trades_executed"] == 3
    assert json.loads((tmp_path / "data" / "portfolio.json.bak").read_text()) == PORTFOLIO
    assert file_path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in file_path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_validate_and_load_json_returns_validated_or_none(tmp_path: Path) -> None:
    from core import validate_and_load_json

    path = tmp_path / "data" / "portfolio.json"
    path.parent.mkdir()
    assert validate_and_load_json(str(path), dict) is None  # missing
    path.write_text(json.dumps(PORTFOLIO))

    def validate_schema(data: dict[str, Any]) -> dict[str, Any]:
        if "trades_executed" not in data:
            raise ValueError("no trades_executed")
        return {**data, "checked": True}

    assert validate_and_load_json(str(path), validate_schema)["checked"] is True
    assert validate_and_load_json(str(path), "portfolio") == PORTFOLIO
    path.write_text('{"trades_executed": 1, "portfo')
    assert validate_and_load_json(str(path), validate_schema) is None
    path.write_text(json.dumps(dict(PORTFOLIO, trades_executed="many")))
    assert validate_and_load_json(str(path), None) is None  # the path's schema rejects it


def test_load_with_recovery_the_standard_way_and_the_keyword_way(tmp_path: Path) -> None:
    from core import load_with_recovery

    primary = tmp_path / "data" / "portfolio.json"
    primary.parent.mkdir()
    backup = tmp_path / "data" / "portfolio.json.bak"
    backup.write_text(json.dumps(PORTFOLIO))
    primary.write_text("{ torn")
    calls: list[int] = []

    def default_factory() -> dict[str, Any]:  # e.g. rebuilt from the exchange
        calls.append(1)
        return dict(PORTFOLIO, trades_executed=0)

    assert load_with_recovery(str(primary), str(backup), default_factory) == PORTFOLIO
    assert calls == []
    backup.write_text(json.dumps(dict(PORTFOLIO, trades_executed=-1)))  # off-schema backup
    fresh = load_with_recovery(str(primary), str(backup), default_factory)
    assert fresh["trades_executed"] == 0 and calls == [1]
    result = load_with_recovery(primary, validate="portfolio", fallback=default_factory)
    assert result.source == "fallback" and result.data["trades_executed"] == 0


def test_migrate_data_version_upgrades_a_0_9_config_and_keeps_current_data() -> None:
    from core import migrate_data_version

    old = {"start_date": "2025-01-01T00:00:00", "frequency": "daily", "version": "0.9"}
    new = migrate_data_version(old, "1.0")
    assert new["version"] == "1.0" and new["tracking_start_date"] == "2025-01-01T00:00:00"
    assert old["version"] == "0.9"  # input untouched
    snaps = [{"timestamp": "2026-01-01T00:00:00+00:00"}]
    assert migrate_data_version(snaps, "1.0") is snaps  # the bot's list is current
    assert migrate_data_version(PORTFOLIO, "1.0") is PORTFOLIO
    with pytest.raises(VersionError):
        migrate_data_version(old, "2.0")


def test_sanitize_for_logging_redacts_nested_secrets(caplog: pytest.LogCaptureFixture) -> None:
    from core import sanitize_for_logging

    data = {"COINBASE_API_KEY": "live-key-123", "nested": {"password": "hunter2"}, "ok": 1}
    clean = sanitize_for_logging(data)
    logging.getLogger("bot").warning("config %s", clean)
    assert "live-key-123" not in caplog.text and "hunter2" not in caplog.text
    assert clean["ok"] == 1 and data["COINBASE_API_KEY"] == "live-key-123"


def test_get_storage_health_has_the_standard_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core import get_storage_health
    from core.demo import build_demo_tree

    build_demo_tree(tmp_path / "bot")
    monkeypatch.chdir(tmp_path / "bot")
    health = get_storage_health()
    assert list(health) == [
        "portfolio_file_exists",
        "portfolio_file_size",
        "portfolio_last_modified",
        "performance_snapshots_count",
        "disk_usage_mb",
        "oldest_snapshot_age_days",
        "backup_status",
    ]
    assert health["portfolio_file_exists"] is True
    assert health["portfolio_file_size"] == (tmp_path / "bot" / layout.PORTFOLIO).stat().st_size


def test_sync_to_cloud_uploads_with_metadata(tmp_path: Path, client: Any, bucket: str) -> None:
    from core import sync_to_cloud

    local_path = tmp_path / "portfolio.json"
    local_path.write_text(json.dumps(PORTFOLIO))
    token = "t0ps3cret"  # noqa: S105 - a fake secret that must not reach the bucket
    assert sync_to_cloud(
        str(local_path),
        f"gs://{bucket}/bot/portfolio.json",
        {"host": "bot-1", "api_token": token},
        client=client,
    )
    blob = client.bucket(bucket).get_blob("bot/portfolio.json")
    assert blob.download_as_bytes() == local_path.read_bytes()
    assert blob.metadata["host"] == "bot-1" and blob.metadata["api_token"] != token
    assert not sync_to_cloud(str(tmp_path / "missing.json"), f"gs://{bucket}/x", client=client)


def test_data_manager_caches_like_the_standard(tmp_path: Path) -> None:
    from core import DataManager

    manager = DataManager()
    assert manager.cache_ttl == 300
    loads: list[int] = []

    def loader() -> dict[str, int]:
        loads.append(1)
        return {"n": len(loads)}

    assert manager.get_data("portfolio", loader) == {"n": 1}
    assert manager.get_data("portfolio", loader) == {"n": 1}
    assert loads == [1]


def test_pandas_parquet_through_atomic_write_reads_back_everywhere(tmp_path: Path) -> None:
    """The README's Parquet line: the bot's DataFrame, written atomically, stays the bot's."""
    import pandas as pd

    from core.storage.write import atomic_write
    from core.tracking.history import footer_summary, read_ohlcv

    times = pd.date_range("2026-01-01", periods=48, freq="h", name="time")
    df = pd.DataFrame(
        {"low": 1.0, "high": 2.0, "open": 1.5, "close": 1.6, "volume": 3.0}, index=times
    )
    path = tmp_path / "data" / "historical" / "BTC-EUR_hour_2d.parquet"
    path.parent.mkdir(parents=True)
    atomic_write(path, lambda f: df.to_parquet(f, compression="snappy"))
    back = pd.read_parquet(path)
    assert back.index.name == "time" and back.equals(df)
    summary = footer_summary(path)
    assert summary.error is None and summary.rows == 48 and summary.gaps == 0
    assert summary.compression == "snappy"
    assert read_ohlcv(path).num_rows == 48


def test_validate_and_load_json_names_the_bad_snapshot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The README's tracker line: ``validate_and_load_json(snapshots_file, "snapshots") or []``."""
    from core import validate_and_load_json

    snap = sample_snapshot()
    path = tmp_path / layout.SNAPSHOTS
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([snap, snap]))
    assert validate_and_load_json(path, "snapshots") == [snap, snap]
    path.write_text(json.dumps({"version": "1.0", "snapshots": [snap]}))  # old wrapped form
    assert validate_and_load_json(path, "snapshots") == [snap]
    path.write_text(json.dumps([snap, dict(snap, total_value_eur="3k")]))
    with caplog.at_level(logging.ERROR, logger="botstore"):
        assert (validate_and_load_json(path, "snapshots") or []) == []
    assert "[1].total_value_eur: expected a number" in caplog.text


def test_saving_imports_no_validator() -> None:
    """A bot that only saves pays for the write path, not for pydantic and the schemas."""
    result = run_python(
        "import sys\n"
        "from core import save_data_atomically\n"
        "print(sorted(m for m in ('pydantic', 'pyarrow', 'core.documents.schemas')"
        " if m in sys.modules))"
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
