"""History file names: ``{ASSET}-{BASE}_{granularity}_{period}.parquet``, parsed and built.

The standard's partitioning (one file per asset pair, granularity and period),
its granularity and period tables, and the listing of ``data/historical/``.
Pure Python: no pyarrow here.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

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

SUFFIX: Final = ".parquet"

_SYMBOL = re.compile(r"[A-Z0-9]{2,10}")
_PERIOD = re.compile(r"([1-9][0-9]{0,4})([dwmy])")


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


def history_files(root: PathLike) -> list[Path]:
    """``<root>/data/historical/*.parquet``, sorted by name (regular files only)."""
    directory = Path(root) / "data" / "historical"
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.name.endswith(SUFFIX) and not p.name.startswith(".")]


__all__ = [
    "GRANULARITY_SECONDS",
    "PERIOD_UNIT_SECONDS",
    "SUFFIX",
    "UTC",
    "HistoryName",
    "PathLike",
    "history_filename",
    "history_files",
    "parse_history_name",
    "period_seconds",
]
