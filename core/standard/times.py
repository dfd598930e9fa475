"""Timestamps of the standard: the one parser and the two written forms.

Reading (tolerant): ISO 8601 as :meth:`datetime.fromisoformat` reads it. A naive
stamp, as the bot writes it, is UTC; an offset or a ``Z`` is honoured. Anything
else — not a string, garbled, out of range — is ``None``, never an exception.

Writing (strict), two forms and no others (plus the compact stamp of names,
:func:`compact_stamp`, ``20260131T120000Z``):

* :func:`iso` — the form stored in the bot's files: naive ISO 8601 UTC with
  microseconds (``2024-01-01T00:00:00.000000``);
* :func:`utc_stamp` — the form of botstore's own outputs (``--json``, watch lines):
  RFC 3339 UTC with a ``Z``, second precision (``2026-01-31T12:00:00Z``).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Final

UTC: Final = _dt.UTC
#: :func:`utc_stamp`'s form, for ``strftime``.
STAMP_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
#: The compact UTC stamp of names (quarantine entries, action ids, cloud run ids).
COMPACT_FORMAT: Final = "%Y%m%dT%H%M%SZ"
#: 1970-01-01 UTC: the sort key of a timestamp that cannot be parsed.
EPOCH: Final = _dt.datetime(1970, 1, 1, tzinfo=UTC)


def to_utc(moment: _dt.datetime) -> _dt.datetime:
    """Aware UTC; naive values are taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_ts(value: Any) -> _dt.datetime | None:
    """A stored timestamp as aware UTC; ``None`` when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        return to_utc(_dt.datetime.fromisoformat(value))
    except (ValueError, OverflowError):
        return None


def parse_timestamp(value: Any) -> float | None:
    """:func:`parse_ts` as epoch seconds (``None`` when absent or malformed)."""
    moment = parse_ts(value)
    return None if moment is None else moment.timestamp()


def iso(moment: _dt.datetime) -> str:
    """The standard's stored form: naive ISO 8601 UTC with microseconds."""
    return to_utc(moment).replace(tzinfo=None).isoformat(timespec="microseconds")


def utc_stamp(moment: _dt.datetime | float | None = None) -> str:
    """``moment`` (aware/naive-as-UTC datetime or epoch seconds; default now) as RFC 3339 Z."""
    if moment is None:
        value = _dt.datetime.now(UTC)
    elif isinstance(moment, _dt.datetime):
        value = to_utc(moment)
    else:
        value = _dt.datetime.fromtimestamp(moment, UTC)
    return value.astimezone(UTC).strftime(STAMP_FORMAT)


def compact_stamp(moment: _dt.datetime | None = None) -> str:
    """``20260131T120000Z`` for ``moment`` (naive = UTC; default now): the stamp of names."""
    return now_utc(moment).strftime(COMPACT_FORMAT)


def parse_compact(text: str) -> _dt.datetime:
    """A :func:`compact_stamp` back to aware UTC; ValueError when ``text`` is not one."""
    return _dt.datetime.strptime(text, COMPACT_FORMAT).replace(tzinfo=UTC)


def now_utc(now: _dt.datetime | None = None) -> _dt.datetime:
    """``now`` as aware UTC, or the current time when it is ``None``."""
    return to_utc(now) if now is not None else _dt.datetime.now(UTC)


__all__ = [
    "COMPACT_FORMAT",
    "EPOCH",
    "STAMP_FORMAT",
    "UTC",
    "compact_stamp",
    "iso",
    "now_utc",
    "parse_compact",
    "parse_timestamp",
    "parse_ts",
    "to_utc",
    "utc_stamp",
]
