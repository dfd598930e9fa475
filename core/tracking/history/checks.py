"""Checks of history files: the exact full-data scan and the footer-only summary.

:func:`scan_series` reads every row (gaps, duplicates, order); :func:`footer_summary`
reads only the footer (row counts, statistics, codec) and never raises — it is
what the health scan and ``botstore history`` show (:class:`ParquetSummary`).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from core.tracking.history.layout import _timestamp_index
from core.tracking.history.names import (
    GRANULARITY_SECONDS,
    UTC,
    HistoryName,
    PathLike,
    _check_granularity,
    parse_history_name,
)
from core.tracking.history.read import _from_ms, _ms, _open_regular, _stat_bounds, _to_utc
from core.tracking.history.schema import PRICE_COLUMNS, conform

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class ParquetSummary:
    """One historical-data file, from its footer only."""

    path: str
    asset: str | None
    base: str | None
    granularity: str | None
    period: str | None
    rows: int | None
    start: str | None  # first candle, ISO 8601 UTC
    end: str | None  # last candle, ISO 8601 UTC
    last_candle_age_s: float | None
    gaps: int | None
    duplicates: int | None
    compression: str | None
    error: str | None = None


# --------------------------------------------------------------------------- checks


@dataclass(frozen=True, slots=True)
class SeriesCheck:
    """Full-data check of one series.

    ``gaps``: ``(first_missing, last_missing)`` candle times per hole;
    ``duplicates``: rows whose timestamp already occurred; ``out_of_order``:
    rows earlier than the row before them.
    """

    gaps: list[tuple[_dt.datetime, _dt.datetime]] = field(default_factory=list)
    duplicates: int = 0
    out_of_order: int = 0
    missing: int = 0  # total missing candles over all gaps


def scan_series(table: pa.Table, granularity: str) -> SeriesCheck:
    """Exact gaps/duplicates/out-of-order counts over every row of ``table``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _check_granularity(granularity)
    step = GRANULARITY_SECONDS[granularity] * 1_000
    ts = conform(table.select(["timestamp", *PRICE_COLUMNS]), strict=False).column("timestamp")
    raw = ts.combine_chunks().cast(pa.int64())
    if len(raw) < 2:
        return SeriesCheck()
    backwards = pc.sum(pc.less(raw.slice(1), raw.slice(0, len(raw) - 1))).as_py() or 0
    unique = pc.unique(raw)
    duplicates = len(raw) - len(unique)
    ordered = pc.array_sort_indices(unique)
    values = unique.take(ordered)
    diffs = pc.subtract(values.slice(1), values.slice(0, len(values) - 1))
    holes = pc.indices_nonzero(pc.greater(diffs, step)).to_pylist()
    gaps: list[tuple[_dt.datetime, _dt.datetime]] = []
    missing = 0
    for i in holes:
        before, after = values[i].as_py(), values[i + 1].as_py()
        gaps.append((_from_ms(before + step), _from_ms(after - step)))
        missing += (after - before) // step - 1
    return SeriesCheck(
        gaps=gaps, duplicates=duplicates, out_of_order=int(backwards), missing=missing
    )


@dataclass(frozen=True, slots=True)
class FooterInfo:
    """What the footer alone says about a history file (no data page is read)."""

    rows: int
    row_groups: int
    start: _dt.datetime | None
    end: _dt.datetime | None
    compression: str | None
    out_of_order: bool  # row-group timestamp ranges overlap or go backwards
    has_statistics: bool


def read_footer(path: PathLike, handle: IO[bytes] | None = None) -> FooterInfo:
    """Parse the footer of ``path`` (read from ``handle`` when the caller holds the file
    open); raises OSError/ArrowInvalid/ValueError on bad files."""
    import pyarrow.parquet as pq

    if handle is not None:
        handle.seek(0)
        meta = pq.read_metadata(handle)
    else:
        with _open_regular(path) as opened:
            meta = pq.read_metadata(opened)
    index = _timestamp_index(meta)
    bounds = _stat_bounds(meta, index)
    codecs = sorted(
        {
            meta.row_group(g).column(c).compression.lower()
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        }
    )
    known = [b for b in bounds if b is not None]
    out_of_order = any(later[0] < earlier[1] for earlier, later in itertools.pairwise(known))
    return FooterInfo(
        rows=meta.num_rows,
        row_groups=meta.num_row_groups,
        start=_from_ms(min(b[0] for b in known)) if known else None,
        end=_from_ms(max(b[1] for b in known)) if known else None,
        compression=",".join(codecs) if codecs else None,
        out_of_order=out_of_order,
        has_statistics=len(known) == len(bounds),
    )


def expected_rows(start: _dt.datetime, end: _dt.datetime, granularity: str) -> int:
    """Candles a complete series from ``start`` to ``end`` (both included) holds."""
    step = GRANULARITY_SECONDS[granularity] * 1_000
    return (_ms(end) - _ms(start)) // step + 1


def footer_summary(
    path: PathLike,
    *,
    now: _dt.datetime | None = None,
    label: str | None = None,
    handle: IO[bytes] | None = None,
) -> ParquetSummary:
    """Summarize a history file from its footer only; never raises.

    ``gaps`` = missing candles (expected rows for the covered span minus rows) and
    ``duplicates`` = surplus rows; both are net counts — :func:`scan_series` gives
    exact ones. Row groups whose timestamp ranges overlap or go backwards are
    reported in ``error`` as out of order. A name that is not standard leaves
    asset/base/granularity/period and gaps/duplicates ``None``. Corrupt,
    truncated, non-Parquet or non-regular files give ``error`` set. ``handle``: the
    file, already open (``path`` then only names it).
    """
    shown = label if label is not None else os.fspath(path)
    try:
        name: HistoryName | None = parse_history_name(Path(path).name)
    except ValueError:
        name = None
    base: dict[str, Any] = {
        "path": shown,
        "asset": name.asset if name else None,
        "base": name.base if name else None,
        "granularity": name.granularity if name else None,
        "period": name.period if name else None,
    }
    try:
        info = read_footer(path, handle)
    except Exception as exc:  # noqa: BLE001 - summary must never raise
        return ParquetSummary(
            **base,
            rows=None,
            start=None,
            end=None,
            last_candle_age_s=None,
            gaps=None,
            duplicates=None,
            compression=None,
            error=f"{type(exc).__name__}: {exc}",
        )
    moment = _to_utc(now) if now is not None else _dt.datetime.now(UTC)
    gaps: int | None = None
    duplicates: int | None = None
    if name is not None and info.start is not None and info.end is not None and info.has_statistics:
        expected = expected_rows(info.start, info.end, name.granularity)
        gaps = max(0, expected - info.rows)
        duplicates = max(0, info.rows - expected)
    elif info.rows == 0 and name is not None:
        gaps, duplicates = 0, 0
    error = "row groups out of order (timestamp ranges overlap)" if info.out_of_order else None
    return ParquetSummary(
        **base,
        rows=info.rows,
        start=info.start.isoformat() if info.start else None,
        end=info.end.isoformat() if info.end else None,
        last_candle_age_s=(moment - info.end).total_seconds() if info.end else None,
        gaps=gaps,
        duplicates=duplicates,
        compression=info.compression,
        error=error,
    )


__all__ = [
    "FooterInfo",
    "ParquetSummary",
    "SeriesCheck",
    "expected_rows",
    "footer_summary",
    "read_footer",
    "scan_series",
]
