"""Reading history files: regular files only (never blocks on a FIFO), footer statistics,
and range reads that skip row groups outside ``[start, end)`` before reading any data page.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import stat
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Final

from core.tracking.history.layout import _timestamp_index, time_column
from core.tracking.history.names import UTC, PathLike
from core.tracking.history.schema import PRICE_COLUMNS, _ohlcv_schema, conform

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq


_UNIT_FACTOR: Final = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_JSON_UNITS: Final = {"milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}


# --------------------------------------------------------------------------- reading


def _require_regular(fd: int, path: PathLike) -> None:
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        raise OSError(f"{os.fspath(path)} is not a regular file")


@contextlib.contextmanager
def _open_regular(path: PathLike) -> Iterator[IO[bytes]]:
    """Open for reading without ever blocking on a FIFO; refuse non-regular files."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        _require_regular(fd, path)
        os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def _to_utc(value: _dt.datetime) -> _dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _stat_bounds(meta: pq.FileMetaData, index: int) -> list[tuple[int, int, int] | None]:
    """Per row group: (min, max, rows) of the timestamp column in ms, or None without statistics."""
    out: list[tuple[int, int, int] | None] = []
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        stats = rg.column(index).statistics
        if rg.num_rows == 0:
            continue
        if stats is None or not stats.has_min_max:
            out.append(None)
            continue
        lo, hi = stats.min_raw, stats.max_raw
        if isinstance(lo, int) and isinstance(hi, int) and stats.logical_type is not None:
            info = json.loads(stats.logical_type.to_json())
            unit = _JSON_UNITS.get(str(info.get("timeUnit")), "")
            if info.get("Type") == "Timestamp" and unit:
                scale = _UNIT_FACTOR[unit]
                out.append((lo * 1_000 // scale, hi * 1_000 // scale, rg.num_rows))
                continue
        low, high = stats.min, stats.max
        if isinstance(low, _dt.datetime) and isinstance(high, _dt.datetime):
            out.append((_ms(low), _ms(high), rg.num_rows))
        else:
            out.append(None)
    return out


def _ms(value: _dt.datetime) -> int:
    delta = _to_utc(value) - _dt.datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000 + delta.microseconds // 1_000


def _from_ms(ms: int) -> _dt.datetime:
    return _dt.datetime(1970, 1, 1, tzinfo=UTC) + _dt.timedelta(milliseconds=ms)


def read_layout(path: PathLike) -> pa.Schema:
    """The Arrow schema of an existing history file, metadata included (its *layout*:
    the time axis' name and type, the column order, pandas' index description)."""
    import pyarrow.parquet as pq

    with _open_regular(path) as handle:
        return pq.ParquetFile(handle).schema_arrow


def read_ohlcv(
    path: PathLike, start: _dt.datetime | None = None, end: _dt.datetime | None = None
) -> pa.Table:
    """Candles with ``start <= timestamp < end`` as :data:`OHLCV_SCHEMA`, sorted as stored.

    Row groups whose timestamp statistics lie outside the range are never read.
    Naive bounds are UTC. Raises ValueError for a file without the OHLCV columns,
    OSError / ``pyarrow.ArrowInvalid`` for unreadable or corrupt files.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    lo = None if start is None else _ms(start)
    hi = None if end is None else _ms(end)
    with _open_regular(path) as handle:
        pf = pq.ParquetFile(handle)
        meta = pf.metadata
        index = _timestamp_index(meta)
        axis = time_column(meta)
        columns = [axis, *PRICE_COLUMNS]
        groups: list[int] = []
        bounds = _stat_bounds(meta, index)
        nonempty = [g for g in range(meta.num_row_groups) if meta.row_group(g).num_rows]
        for g, bound in zip(nonempty, bounds, strict=True):
            if bound is not None and (
                (lo is not None and bound[1] < lo) or (hi is not None and bound[0] >= hi)
            ):
                continue
            groups.append(g)
        if groups:
            table = pf.read_row_groups(groups, columns=columns, use_pandas_metadata=False)
        else:
            table = pf.schema_arrow.empty_table().select(columns)
    if axis != "timestamp":
        table = table.rename_columns(["timestamp", *PRICE_COLUMNS])
    table = conform(table, strict=False)
    if lo is None and hi is None:
        return table
    ts = table.column("timestamp")
    mask: Any = None
    ts_type = _ohlcv_schema().field("timestamp").type
    if lo is not None:
        mask = pc.greater_equal(ts, pa.scalar(_from_ms(lo), ts_type))
    if hi is not None:
        upper = pc.less(ts, pa.scalar(_from_ms(hi), ts_type))
        mask = upper if mask is None else pc.and_(mask, upper)
    return table.filter(mask)


__all__ = [
    "read_layout",
    "read_ohlcv",
]
