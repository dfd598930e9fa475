"""Writing history files: validated, sorted, snappy Parquet replaced atomically, and merges.

Every write goes through :func:`core.storage.write.atomic_write` (a reader sees
the old file or the new one); read-modify-write of one series holds its series
lock, so concurrent mergers never lose each other's candles.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from core.storage.lock import file_lock
from core.storage.write import atomic_write
from core.tracking.history.layout import in_layout
from core.tracking.history.names import PathLike
from core.tracking.history.read import read_layout, read_ohlcv
from core.tracking.history.schema import _as_table, _ohlcv_schema, _sorted, conform

if TYPE_CHECKING:
    import pyarrow as pa


#: Candles per row group: one week of minutes (a few row groups for hourly data).
ROW_GROUP_ROWS: Final = 10_080
COMPRESSION: Final = "snappy"


# --------------------------------------------------------------------------- writing


def _write_table(table: pa.Table, handle: IO[bytes], row_group_size: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # Serialize into an Arrow buffer, then hand the bytes over in one call: much
    # faster than letting Parquet issue many small writes through a Python file.
    sink = pa.BufferOutputStream()
    pq.write_table(
        table, sink, compression=COMPRESSION, row_group_size=row_group_size, write_statistics=True
    )
    handle.write(memoryview(sink.getvalue()))


def write_ohlcv(
    path: PathLike, table: pa.Table | Mapping[str, Any], *, row_group_size: int = ROW_GROUP_ROWS
) -> None:
    """Validate, sort by timestamp and atomically write OHLCV candles as snappy Parquet.

    Duplicates are kept (use :func:`merge_ohlcv` to dedupe). ValueError for a
    bad schema (nothing touched); :class:`core.errors.WriteFailed` for OS errors.
    """
    clean = _sorted(conform(_as_table(table)))
    with file_lock(_series_lock(path)):
        atomic_write(path, lambda handle: _write_table(clean, handle, row_group_size))


def _series_lock(path: PathLike) -> Path:
    # Serializes read-modify-write of one series; atomic_write takes the file's
    # own lock for the replace itself (flock is not re-entrant across opens).
    p = Path(path)
    return p.with_name(p.name + ".series")


def series_lock_path(path: PathLike) -> Path:
    """The path whose :func:`core.storage.lock.file_lock` serializes read-modify-write of a series
    (held by :func:`merge_ohlcv`; take it before the file's own lock)."""
    return _series_lock(path)


def encode_ohlcv(
    table: pa.Table, *, row_group_size: int = ROW_GROUP_ROWS, layout: pa.Schema | None = None
) -> bytes:
    """The exact bytes :func:`write_ohlcv` would write for ``table`` (validated, sorted,
    snappy), for callers that replace the file through their own atomic writer;
    ``layout``: the replaced file's (:func:`read_layout`, :func:`in_layout`)."""
    import io

    handle = io.BytesIO()
    _write_table(in_layout(_sorted(conform(_as_table(table))), layout), handle, row_group_size)
    return handle.getvalue()


def merge_tables(existing: pa.Table, new: pa.Table | Mapping[str, Any]) -> pa.Table:
    """:func:`merge_ohlcv` in memory: dedupe by timestamp (``new`` wins), sorted."""
    import pyarrow as pa

    return _dedupe_keep_last(
        pa.concat_tables([conform(existing, strict=False), conform(_as_table(new))])
    )


# --------------------------------------------------------------------------- merging


def _dedupe_keep_last(table: pa.Table) -> pa.Table:
    """Sort by timestamp; for equal timestamps keep the row that came last in ``table``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table.num_rows < 2:
        return table
    order = pa.array(range(table.num_rows), pa.int64())
    keyed = table.append_column("__order", order)
    keyed = keyed.take(
        pc.sort_indices(keyed, sort_keys=[("timestamp", "ascending"), ("__order", "descending")])
    )
    ts = keyed.column("timestamp").combine_chunks()
    first = pa.array([True])
    changed = pc.not_equal(ts.slice(1), ts.slice(0, len(ts) - 1))
    keep = pa.concat_arrays([first, changed])
    return keyed.filter(keep).drop_columns(["__order"])


def merge_ohlcv(
    path: PathLike, new: pa.Table | Mapping[str, Any], *, row_group_size: int = ROW_GROUP_ROWS
) -> pa.Table:
    """Merge ``new`` candles into ``path`` and return the merged table.

    Deduplicates by timestamp keeping the newest candle (from ``new``; within one
    input, the later row), sorts, and writes atomically while holding the
    series lock, so concurrent mergers never lose each other's candles. A
    missing file is created; a corrupt one raises (it is never overwritten).
    """
    import pyarrow as pa

    incoming = conform(_as_table(new))
    with file_lock(_series_lock(path)):
        layout: pa.Schema | None = None
        try:
            existing = read_ohlcv(path)
            layout = read_layout(path)
        except FileNotFoundError:
            existing = _ohlcv_schema().empty_table()
        merged = _dedupe_keep_last(pa.concat_tables([existing, incoming]))
        stored = in_layout(merged, layout)  # a pandas-written file stays one
        atomic_write(path, lambda handle: _write_table(stored, handle, row_group_size))
    return merged


__all__ = [
    "COMPRESSION",
    "ROW_GROUP_ROWS",
    "encode_ohlcv",
    "merge_ohlcv",
    "merge_tables",
    "series_lock_path",
    "write_ohlcv",
]
