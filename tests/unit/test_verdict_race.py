"""A directory swapped in between the walk and the read cannot plant a clean verdict.

The attacker owns the tree: while ``check`` runs it renames the directory of a bad
file away, renames a directory holding a good copy into its place, and swaps back
after the read. The bad file's identity (device, inode, size, mtime, ctime) never
changes, so a verdict kept under the walk's identity would hide it from every later
run. The scan therefore keeps a verdict only when the descriptor it judged *is* the
walked file. Here the swap happens exactly around the read (at the OS boundary the
scan uses); the next run, without the swap, must still find the bad file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.health import HealthScanner, checks_json, verdicts
from core.storage.read import read_regular

BAD_JSON = "data/sub/x.json"
SERIES = "data/historical/BTC-EUR_hour_30d.parquet"


@pytest.fixture(autouse=True)
def no_recent_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled (the real window is 2 s of ctime)."""
    monkeypatch.setattr(verdicts, "RECENT_NS", -(10**12))


def codes_at(root: Path, state: Path, rel: str) -> set[str]:
    report = HealthScanner(root, verdict_dir=state).full_scan()
    return {f.code for f in report.findings if f.path == rel}


def swapping(root: Path, rel: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, with ``rel``'s directory swapped for a decoy's during the call."""
    directory = root / rel.rpartition("/")[0]
    decoy = directory.with_name(directory.name + ".decoy")
    aside = directory.with_name(directory.name + ".aside")

    def call(path: Any, *args: Any, **kwargs: Any) -> Any:
        if not os.fspath(path).endswith(rel):
            return real(path, *args, **kwargs)
        directory.rename(aside)
        decoy.rename(directory)
        try:
            return real(path, *args, **kwargs)
        finally:
            directory.rename(decoy)
            aside.rename(directory)

    return call


def test_a_swapped_directory_does_not_hide_a_broken_json_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, state = tmp_path / "bot", tmp_path / "state"
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "sub.decoy").mkdir()
    (root / BAD_JSON).write_text('{"a": ', encoding="utf-8")
    (root / "data" / "sub.decoy" / "x.json").write_text('{"a": 1}', encoding="utf-8")
    state.mkdir(mode=0o700)
    with monkeypatch.context() as patch:
        patch.setattr(checks_json, "read_regular", swapping(root, BAD_JSON, read_regular))
        assert "invalid_json" not in codes_at(root, state, BAD_JSON)  # the race was won
    assert "invalid_json" in codes_at(root, state, BAD_JSON)


def _write_series(path: Path, rows: int) -> None:
    times = pd.date_range("2026-01-01", periods=rows, freq="h", name="time")
    frame = pd.DataFrame(
        {"open": 1.5, "high": 2.0, "low": 1.0, "close": 1.6, "volume": 3.0}, index=times
    )
    frame.to_parquet(path, compression="gzip")


def test_a_swapped_directory_does_not_hide_a_broken_history_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, state = tmp_path / "bot", tmp_path / "state"
    (root / "data" / "historical").mkdir(parents=True)
    (root / "data" / "historical.decoy").mkdir()
    (root / SERIES).write_bytes(b"PAR1 this is not a parquet file PAR1")
    _write_series(root / "data" / "historical.decoy" / "BTC-EUR_hour_30d.parquet", 720)
    state.mkdir(mode=0o700)
    with monkeypatch.context() as patch:  # every open of the series, whoever makes it
        patch.setattr(os, "open", swapping(root, SERIES, os.open))
        assert "parquet" not in codes_at(root, state, SERIES)  # the race was won
    assert "parquet" in codes_at(root, state, SERIES)
