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
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import itertools
import json
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

from core.storage.lock import file_lock
from core.storage.write import atomic_write

# pyarrow is imported where it is used, not here: reading footers needs only
# pyarrow.parquet (no pyarrow.compute), and a process that never touches a Parquet
# file (the health scan of a tree without history) pays for none of it.
if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

PathLike = str | os.PathLike[str]
UTC: Final = _dt.UTC

#: Seconds per candle for every granularity a file name may carry.
GRANULARITY_SECONDS: Final[dict[str, int]] = {
    "minute": 60,
    "5minute": 300,
    "15minute": 900,
    "30minute": 1_800,
    "hour": 3_600,
    "4hour": 14_400,
    "6hour": 21_600,
    "daily": 86_400,
    "weekly": 604_800,
    # The real bot's spellings (its sync script lower-cases Coinbase's ONE_HOUR,
    # FIFTEEN_MINUTE... without the underscores): the same candles, never a naming warning.
    "fiveminute": 300,
    "fifteenminute": 900,
    "thirtyminute": 1_800,
    "twohour": 7_200,
    "sixhour": 21_600,
    "hourly": 3_600,
    "day": 86_400,
}

#: Period unit -> seconds (``m`` is a 30-day month, ``y`` a 365-day year).
PERIOD_UNIT_SECONDS: Final[dict[str, int]] = {
    "d": 86_400,
    "w": 604_800,
    "m": 2_592_000,
    "y": 31_536_000,
}

PRICE_COLUMNS: Final = ("open", "high", "low", "close", "volume")


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


@functools.cache
def _ohlcv_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
        [pa.field("timestamp", pa.timestamp("ms", tz="UTC"))]
        + [pa.field(name, pa.float64()) for name in PRICE_COLUMNS]
    )


if TYPE_CHECKING:
    OHLCV_SCHEMA: pa.Schema
else:

    def __getattr__(name: str) -> Any:
        # ``OHLCV_SCHEMA`` is built on first use (it needs pyarrow).
        if name == "OHLCV_SCHEMA":
            return _ohlcv_schema()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*globals(), "OHLCV_SCHEMA"})


#: Candles per row group: one week of minutes (a few row groups for hourly data).
ROW_GROUP_ROWS: Final = 10_080
COMPRESSION: Final = "snappy"
SUFFIX: Final = ".parquet"

_SYMBOL = re.compile(r"[A-Z0-9]{2,10}")
_PERIOD = re.compile(r"([1-9][0-9]{0,4})([dwmy])")
_UTC_NAMES: Final = frozenset({"UTC", "Etc/UTC", "+00:00", "Z", "GMT", "Etc/GMT", "utc"})
_UNIT_FACTOR: Final = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_JSON_UNITS: Final = {"milliseconds": "ms", "microseconds": "us", "nanoseconds": "ns"}


# --------------------------------------------------------------------------- names


@dataclass(frozen=True, slots=True)
class HistoryName:
    """The parts of a standard history file name."""

    asset: str
    base: str
    granularity: str
    period: str

    @property
    def filename(self) -> str:
        """``BTC-EUR_hour_180d.parquet``."""
        return f"{self.asset}-{self.base}_{self.granularity}_{self.period}{SUFFIX}"

    @property
    def step_seconds(self) -> int:
        """Seconds between consecutive candles."""
        return GRANULARITY_SECONDS[self.granularity]


def _check_symbol(role: str, value: str) -> None:
    if not _SYMBOL.fullmatch(value):
        raise ValueError(f"{role} {value!r} must be 2-10 uppercase letters/digits (e.g. BTC)")


def _check_period(period: str) -> None:
    if not _PERIOD.fullmatch(period):
        raise ValueError(
            f"period {period!r} must be a positive count then a unit d/w/m/y (e.g. 180d)"
        )


def _check_granularity(granularity: str) -> None:
    if granularity not in GRANULARITY_SECONDS:
        known = ", ".join(GRANULARITY_SECONDS)
        raise ValueError(f"unknown granularity {granularity!r} (expected one of: {known})")


def parse_history_name(name: str) -> HistoryName:
    """Parse ``{ASSET}-{BASE}_{granularity}_{period}.parquet``; ValueError says what is wrong."""
    if "/" in name or "\\" in name:
        raise ValueError(f"{name!r} is a path, not a file name")
    if not name.endswith(SUFFIX):
        raise ValueError(f"{name!r} does not end with {SUFFIX}")
    stem = name[: -len(SUFFIX)]
    parts = stem.split("_")
    if len(parts) != 3:
        raise ValueError(
            f"{name!r} must have three '_'-separated parts "
            f"PAIR_granularity_period, found {len(parts)}"
        )
    pair, granularity, period = parts
    symbols = pair.split("-")
    if len(symbols) != 2:
        raise ValueError(f"pair {pair!r} must be ASSET-BASE with exactly one '-'")
    _check_symbol("asset", symbols[0])
    _check_symbol("base", symbols[1])
    if symbols[0] == symbols[1]:
        raise ValueError(f"asset and base are both {symbols[0]!r}")
    _check_granularity(granularity)
    _check_period(period)
    return HistoryName(symbols[0], symbols[1], granularity, period)


def history_filename(asset: str, base: str, granularity: str, period: str) -> str:
    """Build a standard name, validating every part (ValueError otherwise)."""
    name = f"{asset}-{base}_{granularity}_{period}{SUFFIX}"
    return parse_history_name(name).filename


def period_seconds(period: str) -> int:
    """``"7d"`` -> 604800 (``m`` = 30 days, ``y`` = 365 days)."""
    match = _PERIOD.fullmatch(period)
    if match is None:
        _check_period(period)
        raise AssertionError  # pragma: no cover - _check_period raised
    return int(match.group(1)) * PERIOD_UNIT_SECONDS[match.group(2)]


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


def read_layout(path: PathLike) -> pa.Schema:
    """The Arrow schema of an existing history file, metadata included (its *layout*:
    the time axis' name and type, the column order, pandas' index description)."""
    import pyarrow.parquet as pq

    with _open_regular(path) as handle:
        return pq.ParquetFile(handle).schema_arrow


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


def read_footer(path: PathLike) -> FooterInfo:
    """Parse the footer of ``path``; raises OSError/ArrowInvalid/ValueError on bad files."""
    import pyarrow.parquet as pq

    with _open_regular(path) as handle:
        meta = pq.read_metadata(handle)
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
    path: PathLike, *, now: _dt.datetime | None = None, label: str | None = None
) -> ParquetSummary:
    """Summarize a history file from its footer only; never raises.

    ``gaps`` = missing candles (expected rows for the covered span minus rows) and
    ``duplicates`` = surplus rows; both are net counts — :func:`scan_series` gives
    exact ones. Row groups whose timestamp ranges overlap or go backwards are
    reported in ``error`` as out of order. A name that is not standard leaves
    asset/base/granularity/period and gaps/duplicates ``None``. Corrupt,
    truncated, non-Parquet or non-regular files give ``error`` set.
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
        info = read_footer(path)
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


def history_files(root: PathLike) -> list[Path]:
    """``<root>/data/historical/*.parquet``, sorted by name (regular files only)."""
    directory = Path(root) / "data" / "historical"
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.name.endswith(SUFFIX) and not p.name.startswith(".")]


__all__ = [
    "COMPRESSION",
    "GRANULARITY_SECONDS",
    "OHLCV_SCHEMA",
    "ROW_GROUP_ROWS",
    "TIME_COLUMNS",
    "FooterInfo",
    "HistoryName",
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
