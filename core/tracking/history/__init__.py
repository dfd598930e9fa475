"""Parquet market history: ``data/historical/{ASSET}-{BASE}_{granularity}_{period}.parquet``.

One file per asset pair, granularity and period (the standard's partitioning).
Every file holds OHLCV candles with the schema :data:`OHLCV_SCHEMA`: a UTC
``timestamp`` (milliseconds) plus ``open/high/low/close/volume`` float64.

* Writes (:func:`write_ohlcv`, :func:`merge_ohlcv`) validate the schema, sort by
  timestamp and replace the file atomically through :func:`core.storage.write.atomic_write`
  (temp file + fsync + ``os.replace`` + directory fsync, mode 640 for new files):
  a reader sees the old file or the new one, never a half-written one. Row
  groups hold :data:`ROW_GROUP_ROWS` candles so readers can prune by statistics.
* :func:`read_ohlcv` selects row groups from their timestamp statistics before
  reading any data page; the time range is half-open ``[start, end)``.
* :func:`footer_summary` reads only the footer (row counts, statistics, codec)
  and never raises; :func:`scan_series` is the exact full-data check.

Timestamps without a time zone found in *foreign* files are read as UTC (the
standard's own JSON timestamps are naive UTC); :func:`write_ohlcv` refuses them.

The package, by seam: :mod:`.names` (file names, granularities, periods),
:mod:`.schema` (the OHLCV table), :mod:`.layout` (time axis, the bot's pandas
layout), :mod:`.read`, :mod:`.write` (writes and merges) and :mod:`.checks`
(full scan, footer summary). Import-light: no submodule imports pyarrow at import time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.tracking.history.checks import (
    FooterInfo,
    ParquetSummary,
    SeriesCheck,
    expected_rows,
    footer_summary,
    read_footer,
    scan_series,
)
from core.tracking.history.layout import (
    TIME_COLUMNS,
    in_layout,
    time_column,
)
from core.tracking.history.names import (
    GRANULARITY_SECONDS,
    PERIOD_UNIT_SECONDS,
    SUFFIX,
    UTC,
    HistoryName,
    PathLike,
    history_filename,
    history_files,
    parse_history_name,
    period_seconds,
)
from core.tracking.history.read import (
    read_layout,
    read_ohlcv,
)
from core.tracking.history.schema import (
    PRICE_COLUMNS,
    _ohlcv_schema,
    conform,
)
from core.tracking.history.write import (
    COMPRESSION,
    ROW_GROUP_ROWS,
    encode_ohlcv,
    merge_ohlcv,
    merge_tables,
    series_lock_path,
    write_ohlcv,
)

# pyarrow is imported where it is used, not here: reading footers needs only
# pyarrow.parquet (no pyarrow.compute), and a process that never touches a Parquet
# file (the health scan of a tree without history) pays for none of it.
if TYPE_CHECKING:
    import pyarrow as pa

    OHLCV_SCHEMA: pa.Schema
else:

    def __getattr__(name: str) -> Any:
        # ``OHLCV_SCHEMA`` is built on first use (it needs pyarrow).
        if name == "OHLCV_SCHEMA":
            return _ohlcv_schema()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), "OHLCV_SCHEMA"})


__all__ = [
    "COMPRESSION",
    "GRANULARITY_SECONDS",
    "OHLCV_SCHEMA",
    "PERIOD_UNIT_SECONDS",
    "PRICE_COLUMNS",
    "ROW_GROUP_ROWS",
    "SUFFIX",
    "TIME_COLUMNS",
    "UTC",
    "FooterInfo",
    "HistoryName",
    "ParquetSummary",
    "PathLike",
    "SeriesCheck",
    "conform",
    "encode_ohlcv",
    "expected_rows",
    "footer_summary",
    "history_filename",
    "history_files",
    "in_layout",
    "merge_ohlcv",
    "merge_tables",
    "parse_history_name",
    "period_seconds",
    "read_footer",
    "read_layout",
    "read_ohlcv",
    "scan_series",
    "series_lock_path",
    "time_column",
    "write_ohlcv",
]
