"""load_with_recovery / quarantine on real files (issue 3, acceptance 5)."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from samples import sample_portfolio

from core.documents.recovery import (
    RecoveryFailed,
    default_root,
    load_with_recovery,
    quarantine,
    write_json_locked,
)
from core.errors import (
    EmptyFile,
    FileMissing,
    InvalidJson,
    NotUtf8,
    SchemaViolation,
    StorageError,
    TooDeep,
    VersionError,
)
from core.storage.write import write_json

GOOD: dict[str, Any] = sample_portfolio()
OLDER = {**GOOD, "trades_executed": 2}
FALLBACK = {**GOOD, "trades_executed": 0}

_good_bytes = orjson.dumps(GOOD, option=orjson.OPT_INDENT_2)
_wrong_typed = dict(GOOD, BTC={"amount": "lots", "initial_amount": 0.01})

BAD_PRIMARIES: dict[str, tuple[bytes, type[StorageError]]] = {
    "truncated": (_good_bytes[: len(_good_bytes) // 2], InvalidJson),
    "empty": (b"", EmptyFile),
    "wrong_typed": (orjson.dumps(_wrong_typed), SchemaViolation),
    "deeply_nested": (b"[" * 200_000 + b"]" * 200_000, TooDeep),
    "non_utf8": (b'{"trades_executed": "\xff\xfe"}', NotUtf8),
}
STAMP = re.compile(r"\d{8}T\d{6}Z(-\d+)?")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir(mode=0o750)
    return tmp_path


def _primary(root: Path, payload: bytes, *, bak: Any = OLDER, mode: int = 0o640) -> Path:
    path = root / "data" / "portfolio.json"
    if bak is not None:
        bak_path = path.with_name("portfolio.json.bak")
        bak_path.write_bytes(bak if isinstance(bak, bytes) else orjson.dumps(bak))
        bak_path.chmod(0o640)
    path.write_bytes(payload)
    path.chmod(mode)
    return path


def _quarantined(root: Path) -> list[Path]:
    base = root / "data" / ".quarantine"
    return sorted(p for p in base.rglob("*") if p.is_file()) if base.exists() else []


@pytest.mark.parametrize("case", sorted(BAD_PRIMARIES))
def test_bad_primary_recovers_from_backup(root: Path, case: str) -> None:
    payload, error = BAD_PRIMARIES[case]
    path = _primary(root, payload)
    result = load_with_recovery(path, validate="portfolio")
    assert result.source == "backup"
    assert result.data == OLDER
    assert len(result.problems) == 1
    assert isinstance(result.problems[0], error)
    assert result.problems[0].path == os.fspath(path)
    assert path.read_bytes() == payload  # no repair asked: nothing moved
    assert not result.repaired
    assert result.quarantined is None


@pytest.mark.parametrize("case", sorted(BAD_PRIMARIES))
def test_bad_primary_and_backup_use_fallback(root: Path, case: str) -> None:
    payload, error = BAD_PRIMARIES[case]
    path = _primary(root, payload, bak=payload)
    result = load_with_recovery(path, validate="portfolio", fallback=lambda: dict(FALLBACK))
    assert result.source == "fallback"
    assert result.data == FALLBACK
    assert [type(p) for p in result.problems] == [error, error]


@pytest.mark.parametrize("case", sorted(BAD_PRIMARIES))
def test_repair_quarantines_bad_primary_and_restores(root: Path, case: str) -> None:
    payload, _ = BAD_PRIMARIES[case]
    path = _primary(root, payload, mode=0o600)
    bak_before = path.with_name("portfolio.json.bak").read_bytes()
    result = load_with_recovery(path, validate="portfolio", repair=True)
    assert result.source == "backup"
    assert result.repaired
    moved = result.quarantined
    assert moved is not None
    # Moved, not lost: same bytes, same mode, under data/.quarantine/<stamp>/data/portfolio.json.
    assert moved.read_bytes() == payload
    assert stat.S_IMODE(moved.stat().st_mode) == 0o600
    rel = moved.relative_to(root / "data" / ".quarantine")
    assert STAMP.fullmatch(rel.parts[0])
    assert rel.parts[1:] == ("data", "portfolio.json")
    for directory in (root / "data" / ".quarantine", moved.parent.parent):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o750
    # The primary holds the recovered data, keeps its mode; the .bak is untouched.
    assert orjson.loads(path.read_bytes()) == OLDER
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_name("portfolio.json.bak").read_bytes() == bak_before
    assert _quarantined(root) == [moved]
    again = load_with_recovery(path, validate="portfolio")
    assert again.source == "primary"
    assert again.problems == []


def test_repair_from_fallback_quarantines_primary_only(root: Path) -> None:
    path = _primary(root, b"{", bak=b"")
    result = load_with_recovery(path, validate="portfolio", fallback=lambda: FALLBACK, repair=True)
    assert result.source == "fallback"
    assert result.quarantined is not None
    assert result.quarantined.read_bytes() == b"{"
    assert orjson.loads(path.read_bytes()) == FALLBACK
    assert path.with_name("portfolio.json.bak").read_bytes() == b""


def test_good_primary_is_used(root: Path) -> None:
    path = _primary(root, _good_bytes)
    result = load_with_recovery(path, validate="portfolio", repair=True)
    assert (result.source, result.data, result.problems) == ("primary", GOOD, [])
    assert not result.repaired
    assert _quarantined(root) == []


def test_missing_primary_repaired_from_backup_without_quarantine(root: Path) -> None:
    path = root / "data" / "portfolio.json"
    path.with_name("portfolio.json.bak").write_bytes(orjson.dumps(OLDER))
    result = load_with_recovery(path, repair=True)
    assert result.source == "backup"
    assert isinstance(result.problems[0], FileMissing)
    assert result.quarantined is None
    assert result.repaired
    assert orjson.loads(path.read_bytes()) == OLDER
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_everything_bad_raises_with_every_problem(root: Path) -> None:
    path = _primary(root, b"", bak=b"{")
    with pytest.raises(RecoveryFailed) as info:
        load_with_recovery(path)
    assert [type(p) for p in info.value.problems] == [EmptyFile, InvalidJson]
    assert isinstance(info.value, StorageError)


def test_failing_or_invalid_fallback_is_a_problem(root: Path) -> None:
    path = _primary(root, b"", bak=None)

    def broken() -> Any:
        raise RuntimeError("exchange unreachable")

    with pytest.raises(RecoveryFailed, match="exchange unreachable") as info:
        load_with_recovery(path, fallback=broken)
    assert len(info.value.problems) == 3
    with pytest.raises(RecoveryFailed, match="trades_executed"):
        load_with_recovery(path, validate="portfolio", fallback=lambda: {"EUR": {}})


def test_callable_validator_any_exception_is_schema_violation(root: Path) -> None:
    path = _primary(root, _good_bytes)

    def not_three(data: Any) -> None:
        if data["trades_executed"] == 3:
            raise ValueError("3 trades not allowed")

    result = load_with_recovery(path, validate=not_three)
    assert result.source == "backup"
    assert isinstance(result.problems[0], SchemaViolation)
    assert "ValueError: 3 trades not allowed" in str(result.problems[0])


def test_newer_version_is_never_replaced(root: Path) -> None:
    path = root / "data" / "performance" / "performance_config.json"
    path.parent.mkdir()
    newer = orjson.dumps({"version": "2.0", "tracking_start_date": "2024-01-01T00:00:00"})
    path.write_bytes(newer)
    path.with_name(path.name + ".bak").write_bytes(b"{}")
    with pytest.raises(VersionError, match="newer"):
        load_with_recovery(path, validate="performance_config", repair=True, fallback=dict)
    assert path.read_bytes() == newer
    assert _quarantined(root) == []


def test_old_version_is_migrated_in_memory_not_rejected(root: Path) -> None:
    path = root / "data" / "performance" / "performance_config.json"
    path.parent.mkdir()
    old = {
        "version": "0.9",
        "start_date": "2024-01-01T00:00:00",
        "frequency": "daily",
        "initial_portfolio_value": 1000.0,
        "initial_portfolio_composition": {},
        "last_snapshot_date": None,
        "created_date": "2024-01-01T00:00:00",
    }
    path.write_bytes(orjson.dumps(old))
    result = load_with_recovery(path, validate="performance_config", repair=True)
    assert result.source == "primary"
    assert result.data["version"] == "1.0"
    assert result.data["snapshot_frequency"] == "daily"
    assert orjson.loads(path.read_bytes()) == old  # loading never rewrites


def test_repair_leaves_a_directory_primary_alone(root: Path) -> None:
    path = root / "data" / "portfolio.json"
    path.mkdir()
    path.with_name("portfolio.json.bak").write_bytes(orjson.dumps(OLDER))
    result = load_with_recovery(path, repair=True)
    assert result.source == "backup"
    assert not result.repaired
    assert path.is_dir()


def test_explicit_backup_path(root: Path) -> None:
    path = _primary(root, b"", bak=None)
    other = root / "elsewhere.json"
    other.write_bytes(orjson.dumps(OLDER))
    assert load_with_recovery(path, backup=other).data == OLDER


# --------------------------------------------------------------------------- quarantine


def test_quarantine_keeps_bytes_and_mode_and_never_collides(root: Path) -> None:
    path = root / "data" / "performance" / "portfolio_snapshots.json"
    path.parent.mkdir()
    now = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    moved: list[Path] = []
    for content in (b"first", b"second"):
        path.write_bytes(content)
        path.chmod(0o604)
        moved.append(quarantine(path, now=now))
        assert not path.exists()
    assert moved[0] == (
        root / "data/.quarantine/20240506T070809Z/data/performance/portfolio_snapshots.json"
    )
    assert moved[1] == (
        root / "data/.quarantine/20240506T070809Z-1/data/performance/portfolio_snapshots.json"
    )
    assert [p.read_bytes() for p in moved] == [b"first", b"second"]
    assert {stat.S_IMODE(p.stat().st_mode) for p in moved} == {0o604}


def test_quarantine_outside_a_data_dir_uses_parent(tmp_path: Path) -> None:
    path = tmp_path / "loose.json"
    path.write_bytes(b"x")
    assert default_root(path) == tmp_path
    moved = quarantine(path)
    assert moved.parent.parent == tmp_path / "data" / ".quarantine"
    assert moved.name == "loose.json"
    assert moved.read_bytes() == b"x"


def test_quarantine_explicit_root_and_outside_path(tmp_path: Path) -> None:
    bot = tmp_path / "bot"
    outside = tmp_path / "other" / "x.json"
    outside.parent.mkdir()
    outside.write_bytes(b"1")
    moved = quarantine(outside, root=bot)
    assert moved.relative_to(bot / "data" / ".quarantine").parts[1:] == ("x.json",)


def test_quarantine_missing_file_raises(root: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        quarantine(root / "data" / "nope.json")


def test_default_root_is_nearest_data_ancestor(tmp_path: Path) -> None:
    assert default_root(tmp_path / "bot" / "data" / "cache" / "x.json") == tmp_path / "bot"


# --------------------------------------------------------------------------- locked write


def test_write_json_locked_keeps_backup_and_mode(root: Path) -> None:
    path = root / "data" / "portfolio.json"
    write_json(path, OLDER)
    path.chmod(0o600)
    write_json_locked(path, GOOD, backup=True)
    assert orjson.loads(path.read_bytes()) == GOOD
    assert orjson.loads(path.with_name("portfolio.json.bak").read_bytes()) == OLDER
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_write_json_locked_failure_leaves_target(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = root / "data" / "portfolio.json"
    write_json(path, OLDER, backup=False)
    before = path.read_bytes()

    def fail(*_: Any, **__: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(StorageError, match="No space"):
        write_json_locked(path, GOOD)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [
        "portfolio.json"
    ]


# --------------------------------------------------------------------------- locking and faults


def test_repair_holds_the_writer_lock(root: Path) -> None:
    """A bot save that starts during a repair waits for it, then lands on top (no lost write)."""
    path = _primary(root, b"{broken")
    newest = {**GOOD, "trades_executed": 99}
    saver = threading.Thread(target=write_json, args=(path, newest))

    def check(data: Any) -> None:
        if not saver.is_alive() and saver.ident is None:
            saver.start()  # the bot saves while we hold the lock
            saver.join(timeout=0.3)
            assert saver.is_alive(), "the save did not wait for the repair's lock"

    result = load_with_recovery(path, validate=check, repair=True)
    saver.join(timeout=60)
    assert result.source == "backup"
    assert result.quarantined is not None
    assert result.quarantined.read_bytes() == b"{broken"
    assert orjson.loads(path.read_bytes()) == newest
    assert orjson.loads(path.with_name("portfolio.json.bak").read_bytes()) == OLDER


def test_write_back_failure_after_quarantine_loses_nothing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _primary(root, b"")
    bak_before = path.with_name("portfolio.json.bak").read_bytes()
    real_replace = os.replace

    def failing_replace(src: Any, dst: Any, **kw: Any) -> None:
        if Path(dst) == path:
            raise OSError(5, "Input/output error")
        real_replace(src, dst, **kw)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(StorageError, match="Input/output error"):
        load_with_recovery(path, repair=True)
    monkeypatch.undo()
    assert [p.read_bytes() for p in _quarantined(root)] == [b""]
    assert path.with_name("portfolio.json.bak").read_bytes() == bak_before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    result = load_with_recovery(path, repair=True)  # the next attempt completes the repair
    assert result.source == "backup"
    assert orjson.loads(path.read_bytes()) == OLDER
