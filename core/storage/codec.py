"""JSON as every botstore file holds it: the one encoder (``dumps``) and the one decoder
(``parse_json``), each with its precise error.

``dumps`` writes 2-space indent and a trailing newline, datetimes with microseconds,
and refuses NaN/infinity (which orjson would write as ``null``) with their JSON path;
``parse_json`` raises the exact :class:`core.errors.StorageError` subclass (empty, not
UTF-8, invalid with line and column, too deep). No I/O here: :mod:`core.storage.read`
and :mod:`core.storage.write` do that.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
from pathlib import Path
from typing import Any, Final

import orjson

from core.errors import EmptyFile, InvalidJson, NotUtf8, TooDeep
from core.storage.names import PathLike

NAN_CHECK_MAX_BYTES: Final = 256 * 1024
_DUMP_OPTIONS: Final = (
    orjson.OPT_INDENT_2
    | orjson.OPT_SERIALIZE_NUMPY
    | orjson.OPT_APPEND_NEWLINE
    | orjson.OPT_PASSTHROUGH_DATETIME
)


def _default(obj: Any) -> Any:
    if isinstance(obj, _dt.datetime):
        # The standard's form: always microseconds, offset only when aware.
        return obj.isoformat(timespec="microseconds")
    if isinstance(obj, (_dt.date, _dt.time)):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        if not obj.is_finite():
            raise TypeError(f"non-finite Decimal {obj!s} cannot be stored as JSON")
        return float(obj)
    if isinstance(obj, (set, frozenset)):
        try:
            return sorted(obj)
        except TypeError:
            return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, _dt.timedelta):
        return obj.total_seconds()
    module = type(obj).__module__
    if module == "numpy" or module.startswith("numpy."):
        # Arrays/scalars orjson does not take natively (non-contiguous, float16, object...).
        if hasattr(obj, "tolist"):
            return obj.tolist()
        if hasattr(obj, "item"):
            return obj.item()
    raise TypeError(f"type {type(obj).__name__} is not JSON serializable")


def dumps(data: Any) -> bytes:
    """Serialize like every botstore JSON file: 2-space indent, trailing newline.

    Datetimes are written as ``2024-01-01T00:00:00.000000`` (naive stay naive,
    aware keep their offset), ``Decimal`` becomes a float, sets become sorted
    lists, numpy scalars/arrays become numbers/lists. NaN and infinity are
    refused with their JSON path in payloads up to ``NAN_CHECK_MAX_BYTES``
    (orjson would write ``null``, which the schema then rejects on the next
    load: good data replaced by bad). Anything else
    raises :class:`TypeError` (or ``orjson.JSONEncodeError``) naming the problem.
    """
    payload = orjson.dumps(data, default=_default, option=_DUMP_OPTIONS)
    # orjson writes NaN/inf as null: look for them only when a null was written,
    # and only in state-sized payloads (the search costs ~0.5 ns/byte, +13 % on a
    # 2 MB save; the big file, the snapshot history, checks each new snapshot).
    if len(payload) <= NAN_CHECK_MAX_BYTES and b"null" in payload:
        where = non_finite_float(data)
        if where is not None:
            raise TypeError(
                f"non-finite float at {where} cannot be stored as JSON (orjson writes it as null)"
            )
    return payload


def non_finite_float(data: Any) -> str | None:
    """The JSON path of the first NaN/inf float in ``data``, or None (iterative: no depth limit)."""
    stack: list[tuple[str, Any]] = [("$", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return where
        elif isinstance(value, dict):
            stack.extend((f"{where}.{key}", item) for key, item in value.items())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif hasattr(value, "dtype") and hasattr(value, "tolist"):  # numpy scalar or array
            stack.append((where, value.tolist()))
    return None


def parse_json(payload: bytes, path: PathLike = "<bytes>") -> Any:
    """Parse JSON bytes, raising the precise :class:`StorageError` subclass on failure.

    The happy path is a single ``orjson.loads`` (which validates UTF-8 itself);
    the precise diagnosis only runs once parsing has failed.
    """
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        if not payload.strip():
            raise EmptyFile(
                path, "is empty" if not payload else "contains only whitespace"
            ) from exc
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = payload.count(b"\n", 0, bad.start) + 1
            raise NotUtf8(
                path,
                f"not UTF-8: invalid byte 0x{payload[bad.start]:02x} at offset {bad.start} "
                f"(line {line})",
            ) from exc
        message = exc.msg.lower()
        if "depth" in message or "recursion" in message:
            raise TooDeep(path, "nested too deeply (over 1024 levels)") from exc
        raise InvalidJson(path, exc.msg, exc.lineno, exc.colno) from exc


__all__ = ["NAN_CHECK_MAX_BYTES", "dumps", "non_finite_float", "parse_json"]
