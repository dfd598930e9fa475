"""core.documents.migrations: the registry, 0.9 -> 1.0 config, version errors, in-place migrate."""

from __future__ import annotations

import copy
import stat
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.documents.migrations import (
    LEGACY_LIST,
    detect_version,
    migrate,
    migrate_file,
    migration,
    needs_migration,
    registered_steps,
)
from core.documents.schemas import validate
from core.errors import SchemaViolation, VersionError

CONFIG_0_9: dict[str, Any] = {
    "version": "0.9",
    "start_date": "2024-01-01T00:00:00.000000",
    "frequency": "hourly",
    "initial_portfolio_value": 1000.0,
    "initial_portfolio_composition": {"EUR": 1000.0},
    "last_snapshot_date": "2024-01-02T00:00:00.000000",
    "created_date": "2024-01-01T00:00:00.000000",
}
SNAPSHOT: dict[str, Any] = {
    "timestamp": "2024-01-01T00:00:00.000000",
    "total_value_eur": 1000.0,
    "portfolio_composition": {},
    "asset_prices": {},
    "snapshot_type": "scheduled",
    "trading_session_id": "s",
}


def test_config_0_9_to_1_0() -> None:
    before = copy.deepcopy(CONFIG_0_9)
    assert needs_migration("performance_config", CONFIG_0_9)
    new, steps = migrate("performance_config", CONFIG_0_9)
    assert before == CONFIG_0_9  # pure
    assert new == {
        "version": "1.0",
        "tracking_start_date": "2024-01-01T00:00:00.000000",
        "snapshot_frequency": "hourly",
        "initial_portfolio_value": 1000.0,
        "initial_portfolio_composition": {"EUR": 1000.0},
        "last_snapshot_date": "2024-01-02T00:00:00.000000",
        "created_date": "2024-01-01T00:00:00.000000",
        "performance_reset_history": [],
        "tracking_enabled": True,
    }
    assert validate("performance_config", new) == []
    assert len(steps) == 1
    assert steps[0].startswith("performance_config 0.9 -> 1.0: rename start_date")
    assert not needs_migration("performance_config", new)
    assert migrate("performance_config", new) == (new, [])


def test_unversioned_0_9_config_is_detected_and_existing_values_win() -> None:
    data = {k: v for k, v in CONFIG_0_9.items() if k != "version"}
    data["tracking_enabled"] = False
    assert detect_version("performance_config", data) == ("0.9", False)
    new, _ = migrate("performance_config", data)
    assert new["tracking_enabled"] is False
    assert new["version"] == "1.0"


def test_unversioned_1_0_config_is_stamped() -> None:
    new, _ = migrate("performance_config", CONFIG_0_9)
    del new["version"]
    assert needs_migration("performance_config", new)
    stamped, steps = migrate("performance_config", new)
    assert stamped["version"] == "1.0"
    assert steps == ['performance_config: add the missing "version": "1.0"']


def test_bare_snapshot_list_is_current_and_never_wrapped() -> None:
    snaps = [dict(SNAPSHOT), dict(SNAPSHOT)]
    assert detect_version("snapshots", snaps) == ("1.0", True)
    assert not needs_migration("snapshots", snaps)
    assert migrate("snapshots", snaps) == (snaps, [])
    assert validate("snapshots", snaps) == []


def test_wrapped_snapshots_are_unwrapped_without_copying_items() -> None:
    snaps = [dict(SNAPSHOT), dict(SNAPSHOT)]
    wrapped = {"version": "1.0", "snapshots": snaps}
    assert detect_version("snapshots", wrapped) == (LEGACY_LIST, False)
    assert needs_migration("snapshots", wrapped)
    new, steps = migrate("snapshots", wrapped)
    assert new == snaps
    assert isinstance(new, list)
    assert new[0] is snaps[0]
    assert steps[0].startswith("snapshots wrapped object -> 1.0")
    assert validate("snapshots", new) == []


@pytest.mark.parametrize("kind", ["portfolio", "performance_metrics", "report"])
def test_unversioned_kinds_need_nothing(kind: str) -> None:
    data = {"anything": 1}
    assert not needs_migration(kind, data)
    assert migrate(kind, data) == (data, [])


@pytest.mark.parametrize("version", ["1.1", "2.0", "10.0"])
def test_newer_version_raises(version: str) -> None:
    data = dict(CONFIG_0_9, version=version)
    with pytest.raises(VersionError, match=r"newer than the supported 1\.0"):
        migrate("performance_config", data)
    with pytest.raises(VersionError):
        needs_migration("portfolio", {"version": version})


@pytest.mark.parametrize("version", ["0.8", "0.1", "0.5"])
def test_unknown_old_version_raises(version: str) -> None:
    with pytest.raises(VersionError, match=f"unknown version {version}: no migration"):
        migrate("performance_config", dict(CONFIG_0_9, version=version))
    with pytest.raises(VersionError, match="no migration"):
        needs_migration("portfolio", {"version": "0.9"})


@pytest.mark.parametrize("version", [1.0, "v1", "", None, "1.x", LEGACY_LIST])  # wrapped form
def test_malformed_version_raises(version: Any) -> None:
    with pytest.raises(VersionError, match="not a version string"):
        migrate("snapshots", {"version": version, "snapshots": []})


def test_registry_rejects_duplicates_and_unknown_kinds() -> None:
    assert [s.from_version for s in registered_steps("performance_config")] == ["0.9"]
    with pytest.raises(ValueError, match="already registered"):
        migration("performance_config", "0.9", "1.0", "again")(lambda d: d)
    with pytest.raises(ValueError, match="unknown kind"):
        migration("nope", "0.9", "1.0", "x")


# --------------------------------------------------------------------------- migrate_file


def test_migrate_file_writes_with_backup(tmp_path: Path) -> None:
    path = tmp_path / "data" / "performance" / "performance_config.json"
    path.parent.mkdir(parents=True)
    original = orjson.dumps(CONFIG_0_9)
    path.write_bytes(original)
    path.chmod(0o600)
    steps = migrate_file(path, "performance_config")
    assert len(steps) == 1
    assert orjson.loads(path.read_bytes())["version"] == "1.0"
    assert path.with_name(path.name + ".bak").read_bytes() == original
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert migrate_file(path, "performance_config") == []  # idempotent


def test_migrate_file_refuses_newer_and_invalid_results(tmp_path: Path) -> None:
    path = tmp_path / "performance_config.json"
    newer = orjson.dumps(dict(CONFIG_0_9, version="2.0"))
    path.write_bytes(newer)
    with pytest.raises(VersionError) as info:
        migrate_file(path, "performance_config")
    assert info.value.path == str(path)
    assert path.read_bytes() == newer

    broken = orjson.dumps(dict(CONFIG_0_9, frequency="weekly"))
    path.write_bytes(broken)
    with pytest.raises(SchemaViolation, match="after migration: snapshot_frequency"):
        migrate_file(path, "performance_config")
    assert path.read_bytes() == broken
    assert not path.with_name(path.name + ".bak").exists()


@pytest.mark.parametrize("data", ["text", 5, None, [1]])
def test_non_objects_are_left_to_validation(data: Any) -> None:
    assert not needs_migration("performance_config", data)
    assert migrate("performance_config", data) == (data, [])
