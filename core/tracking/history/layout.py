"""The time axis of a history file and the bot's pandas layout.

A file's time axis is a ``TIME_COLUMNS`` column or the pandas index; a merge
written back into a pandas-written file keeps that file's layout
(:func:`in_layout`), so the bot's ``pd.read_parquet`` reads the frame it wrote.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Final

from core.tracking.history.schema import PRICE_COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq


#: Names the time axis goes by when it is a plain column (first found wins).
TIME_COLUMNS: Final = ("timestamp", "time", "date", "datetime")


def _pandas_index(meta: pq.FileMetaData | pa.Schema) -> str | None:
    """The stored column pandas wrote its (first) index to, from the ``pandas`` metadata."""
    raw = (meta.metadata or {}).get(b"pandas")
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    indexes = info.get("index_columns") if isinstance(info, dict) else None
    if isinstance(indexes, list) and indexes and isinstance(indexes[0], str):
        return indexes[0]  # a RangeIndex is a dict (not stored); a named index is a column
    return None


def _axis(names: list[str], meta: pq.FileMetaData | pa.Schema) -> str | None:
    """The time-axis column among ``names``: a ``TIME_COLUMNS`` name, else the pandas index
    named in ``meta``'s ``pandas`` metadata; None when there is none."""
    for name in TIME_COLUMNS:
        if name in names:
            return name
    index = _pandas_index(meta)
    return index if index is not None and index in names else None


def in_layout(table: pa.Table, layout: pa.Schema | None) -> pa.Table:
    """``table`` (:data:`OHLCV_SCHEMA`) rewritten in an existing file's ``layout``.

    A file the bot wrote with pandas keeps its time axis as a naive index named
    ``time``: a merge written back in our ``timestamp`` layout would read back in
    the bot as a different frame. So the merged candles take the old file's column
    names, order, types and schema metadata, and ``pd.read_parquet`` gives the bot
    the frame it wrote, with the new rows. A layout with other columns than the
    OHLCV ones (nothing to map them to) leaves ``table`` as it is.
    """
    import pyarrow as pa

    axis = None if layout is None else _axis(layout.names, layout)
    if layout is None or axis is None or sorted(layout.names) != sorted([axis, *PRICE_COLUMNS]):
        return table
    arrays = []
    for target in layout:
        column = table.column("timestamp" if target.name == axis else target.name)
        if column.type != target.type:  # UTC instants -> a naive axis keeps the UTC wall time
            column = column.cast(target.type)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=layout)


def time_column(meta: pq.FileMetaData) -> str:
    """The column holding the time axis: ``timestamp``/``time``/``date``/``datetime``, or the
    pandas index (``df.to_parquet`` of a DataFrame indexed by time); ValueError otherwise."""
    axis = _axis([meta.schema.column(i).path for i in range(meta.num_columns)], meta)
    if axis is None:
        raise ValueError(
            "no time axis: no timestamp/time/date/datetime column nor a pandas time index"
        )
    return axis


def _timestamp_index(meta: pq.FileMetaData) -> int:
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    return names.index(time_column(meta))


__all__ = [
    "TIME_COLUMNS",
    "in_layout",
    "time_column",
]
