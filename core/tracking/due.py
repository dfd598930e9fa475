"""When a snapshot is due: clock-aligned UTC buckets of the configured frequency."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from core.standard.frequencies import FREQUENCIES
from core.standard.times import EPOCH, parse_ts, to_utc

# --------------------------------------------------------------------------- due logic


def snapshot_due(config: Mapping[str, Any], now: _dt.datetime, *, on_start: bool = False) -> bool:
    """Whether a snapshot should be taken at ``now``.

    * ``hourly`` / ``daily``: due once ``now`` is in a later UTC hour / UTC day
      than ``last_snapshot_date`` (clock-aligned, no drift); a missing or
      unreadable ``last_snapshot_date`` means due; a clock behind it means not due.
    * ``on_restart``: due only when called at bot start (``on_start=True``).
    * ``manual``: never due (snapshots are taken explicitly).
    * ``tracking_enabled`` false: never due. Unknown frequency: ValueError.
    """
    frequency = config.get("snapshot_frequency")
    if not isinstance(frequency, str) or frequency not in FREQUENCIES:
        raise ValueError(f"unknown snapshot_frequency {frequency!r}")
    if config.get("tracking_enabled", True) is False:
        return False
    if frequency == "on_restart":
        return on_start
    bucket = FREQUENCIES[frequency]
    if bucket is None:
        return False
    last = parse_ts(config.get("last_snapshot_date"))
    if last is None:
        return True
    moment = to_utc(now)
    return _bucket(moment, bucket) > _bucket(last, bucket)


def _bucket(moment: _dt.datetime, seconds: int) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) // seconds
