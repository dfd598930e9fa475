"""The Parquet content probe: garbage under an intact footer, lying footers, changed files only."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.health import HealthScanner, checks_parquet
from core.tracking.probe import probe_content, probe_handle

REL = "data/historical/BTC-EUR_hour_30d.parquet"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | 0x80 if n else low)
        if not n:
            return bytes(out)


def _i64_field(n: int) -> bytes:
    """A compact-protocol i64 field one after its predecessor (how num_rows is stored)."""
    return b"\x16" + _varint((n << 1) ^ (n >> 63))


def write_series(path: Path, rows: int = 720) -> None:
    times = pd.date_range("2026-01-01", periods=rows, freq="h", name="time")
    frame = pd.DataFrame(
        {"low": 1.0, "high": 2.0, "open": 1.5, "close": 1.6, "volume": 3.0}, index=times
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, compression="gzip")


def lie_about_rows(path: Path, rows: int, claimed: int) -> None:
    """Rewrite the footer so that the file and its row group claim ``claimed`` rows."""
    raw = path.read_bytes()
    size = int.from_bytes(raw[-8:-4], "little")
    footer = raw[-8 - size : -8].replace(_i64_field(rows), _i64_field(claimed))
    path.write_bytes(raw[: -8 - size] + footer + len(footer).to_bytes(4, "little") + b"PAR1")


def test_healthy_file_probes_clean(tmp_path: Path) -> None:
    path = tmp_path / REL
    write_series(path)
    assert probe_content(str(path), 720) is None


def test_footer_claiming_2_to_the_40_rows_is_never_read_blindly(tmp_path: Path) -> None:
    path = tmp_path / REL
    write_series(path)
    lie_about_rows(path, 720, 1 << 40)
    meta = pq.read_metadata(path)
    assert meta.num_rows == meta.row_group(0).num_rows == 1 << 40
    problem = probe_content(str(path), meta.num_rows)
    assert problem is not None and "720 of the 1099511627776 rows" in problem
    report = HealthScanner(tmp_path).full_scan()
    hits = [
        f
        for f in report.findings
        if f.path == REL and f.code == "parquet" and f.severity.value == "critical"
    ]
    assert len(hits) == 1 and "footer intact but the data is unreadable" in hits[0].message


def test_probe_runs_only_for_new_or_changed_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / REL
    write_series(path)
    write_series(tmp_path / "data/historical/ETH-EUR_hour_30d.parquet")
    calls: list[str] = []
    real = probe_handle

    def counting(handle: IO[bytes], claimed: int | None) -> str | None:
        # the scan probes the file it holds open: name it by its descriptor
        calls.append(os.path.basename(os.readlink(f"/proc/self/fd/{handle.fileno()}")))
        return real(handle, claimed)

    monkeypatch.setattr(checks_parquet, "probe_handle", counting)
    scanner = HealthScanner(tmp_path)
    scanner.full_scan()
    assert sorted(calls) == ["BTC-EUR_hour_30d.parquet", "ETH-EUR_hour_30d.parquet"]
    scanner.full_scan()
    scanner.update({REL})  # reported changed, but the same bytes
    assert len(calls) == 2
    write_series(path, rows=721)
    scanner.update({REL})
    assert calls[2:] == ["BTC-EUR_hour_30d.parquet"]
