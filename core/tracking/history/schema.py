"""The OHLCV table schema: a UTC ``timestamp`` (ms) plus ``open/high/low/close/volume`` float64.

:func:`conform` turns any candle table into exactly that schema (or says why
not); every write and read goes through it. pyarrow is imported inside the
functions (see :mod:`core.tracking.history`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import pyarrow as pa


PRICE_COLUMNS: Final = ("open", "high", "low", "close", "volume")


@functools.cache
def _ohlcv_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [pa.field("timestamp", pa.timestamp("ms", tz="UTC"))]
        + [pa.field(name, pa.float64()) for name in PRICE_COLUMNS]
    )


_UTC_NAMES: Final = frozenset({"UTC", "Etc/UTC", "+00:00", "Z", "GMT", "Etc/GMT", "utc"})


# --------------------------------------------------------------------------- schema


def _is_utc(tz: str | None) -> bool:
    return tz is not None and tz in _UTC_NAMES


def _normalize_timestamp(column: pa.ChunkedArray, *, strict: bool) -> pa.ChunkedArray:
    """Cast a timestamp column to ``timestamp[ms, UTC]``; ValueError when impossible."""
    import pyarrow as pa
    import pyarrow.compute as pc

    typ = column.type
    if not pa.types.is_timestamp(typ):
        raise ValueError(f"column 'timestamp' has type {typ}, expected a UTC timestamp")
    if typ.tz is None and strict:
        raise ValueError("column 'timestamp' has no time zone; store UTC timestamps (tz='UTC')")
    # A zone-aware Arrow timestamp stores UTC instants whatever its zone label.
    target = _ohlcv_schema().field("timestamp").type
    if typ == target:
        return column
    source = pa.timestamp(typ.unit, tz="UTC")
    try:
        relabeled = column.cast(source) if typ.tz is None else pc.cast(column, source)
        return relabeled.cast(target, safe=True)
    except pa.ArrowInvalid as exc:
        raise ValueError(f"column 'timestamp' cannot be stored in milliseconds: {exc}") from exc


def conform(table: pa.Table, *, strict: bool = True) -> pa.Table:
    """Return ``table`` as exactly :data:`OHLCV_SCHEMA` (column order, types), or raise ValueError.

    Integer and float32 prices are widened to float64; extra columns are refused
    when ``strict`` (writes) and dropped otherwise (reading foreign files).
    """
    import pyarrow as pa

    names = set(table.column_names)
    missing = [f.name for f in _ohlcv_schema() if f.name not in names]
    if missing:
        raise ValueError(f"missing column(s): {', '.join(missing)}")
    extra = sorted(names - set(_ohlcv_schema().names))
    if extra and strict:
        raise ValueError(f"unexpected column(s): {', '.join(extra)}")
    stamps = _normalize_timestamp(table.column("timestamp"), strict=strict)
    columns: list[pa.ChunkedArray] = [stamps]
    if columns[0].null_count:
        raise ValueError(f"column 'timestamp' has {columns[0].null_count} null value(s)")
    for name in PRICE_COLUMNS:
        col = table.column(name)
        typ = col.type
        if not (pa.types.is_floating(typ) or pa.types.is_integer(typ) or pa.types.is_null(typ)):
            raise ValueError(f"column {name!r} has type {typ}, expected float64")
        columns.append(col if typ == pa.float64() else col.cast(pa.float64()))
    return pa.Table.from_arrays(columns, schema=_ohlcv_schema())


def _as_table(data: pa.Table | Mapping[str, Any]) -> pa.Table:
    import pyarrow as pa

    if isinstance(data, pa.Table):
        return data
    if isinstance(data, Mapping):
        arrays: dict[str, Any] = dict(data)
        ts = arrays.get("timestamp")
        if ts is not None and not isinstance(ts, (pa.Array, pa.ChunkedArray)):
            arrays["timestamp"] = pa.array(ts, type=pa.timestamp("ms", tz="UTC"))
        return pa.table(arrays)
    raise TypeError(f"expected a pyarrow Table or a mapping of columns, got {type(data).__name__}")


def _sorted(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    if table.num_rows < 2:
        return table
    ts = table.column("timestamp")
    if pc.all(pc.greater_equal(ts[1:], ts[:-1])).as_py():
        return table
    return table.take(pc.sort_indices(table, sort_keys=[("timestamp", "ascending")]))


__all__ = [
    "PRICE_COLUMNS",
    "conform",
]
