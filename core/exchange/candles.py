"""OHLCV candles from the exchange for one history series, paged with our own ``since`` loop.

ccxt's ``params={'paginate': True}`` returns only the first page on some
exchanges (Coinbase: 300 candles), so every page is asked for explicitly:
``[since, since + page * step)``, then ``since`` moves past the last candle
received (or past the whole window when the exchange has none there). Calls
go through ccxt's rate limiter and its bounded retries (:mod:`core.exchange.client`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from core.exchange.client import ExchangeFailed, call
from core.tracking.history import GRANULARITY_SECONDS, HistoryName, period_seconds

if TYPE_CHECKING:
    import pyarrow as pa

#: Our granularity names -> ccxt's unified timeframes.
TIMEFRAMES: Final[dict[str, str]] = {
    "minute": "1m",
    "5minute": "5m",
    "15minute": "15m",
    "30minute": "30m",
    "hour": "1h",
    "4hour": "4h",
    "6hour": "6h",
    "daily": "1d",
    "weekly": "1w",
}
#: Candles asked for per request (Coinbase's maximum is 300, most exchanges allow more).
PAGE: Final = 300

#: ``progress(series, candles_done, candles_total)``.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open candle range ``[start_ms, end_ms)``."""

    start_ms: int
    end_ms: int

    def candles(self, step_ms: int) -> int:
        return max(0, (self.end_ms - self.start_ms) // step_ms)


def _ms(moment: _dt.datetime) -> int:
    return int(moment.astimezone(_dt.UTC).timestamp() * 1000)


def full_span(name: HistoryName, now: _dt.datetime) -> Span:
    """The whole period of a series up to the last *closed* candle before ``now``."""
    step = name.step_seconds * 1000
    end = _ms(now) // step * step
    start = (end - period_seconds(name.period) * 1000) // step * step
    return Span(start, end)


def symbol_for(client: Any, name: HistoryName) -> tuple[str, str]:
    """``(ccxt symbol, ccxt timeframe)`` for a series, or ExchangeFailed (unknown symbol,
    missing granularity) before any candle request is made."""
    symbol = f"{name.asset}/{name.base}"
    timeframe = TIMEFRAMES[name.granularity]
    offered = getattr(client, "timeframes", None) or {}
    if timeframe not in offered:
        raise ExchangeFailed(
            f"{name.filename}: {client.id} has no {name.granularity} candles "
            f"(timeframe {timeframe}); it offers {', '.join(offered) or 'none'}"
        )
    if symbol not in (client.markets or {}):
        raise ExchangeFailed(
            f"{name.filename}: {client.id} has no market {symbol} (unknown symbol)"
        )
    return symbol, timeframe


def fetch_span(
    client: Any,
    name: HistoryName,
    span: Span,
    *,
    done: int = 0,
    total: int = 0,
    progress: Progress | None = None,
    secrets: list[str] | None = None,
) -> list[list[float]]:
    """Every candle the exchange has in ``span``: sorted, deduplicated, inside the span."""
    symbol, timeframe = symbol_for(client, name)
    step = GRANULARITY_SECONDS[name.granularity] * 1000
    rows: dict[int, list[float]] = {}
    since = span.start_ms
    total = total or span.candles(step)
    while since < span.end_ms:
        until = min(span.end_ms, since + PAGE * step)
        page = call(
            client,
            f"{name.filename}: fetching candles",
            client.fetch_ohlcv,
            symbol,
            timeframe,
            since,
            PAGE,
            {"until": until},
            secrets=secrets,
        )
        if not isinstance(page, list):
            raise ExchangeFailed(f"{name.filename}: {client.id}: malformed candle response")
        last = None
        for row in page:
            if (
                not isinstance(row, list)
                or len(row) < 6
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row[:6])
            ):
                raise ExchangeFailed(
                    f"{name.filename}: {client.id}: malformed candle in "
                    "the response (missing or non-numeric fields)"
                )
            stamp = int(row[0])
            if since <= stamp < until and stamp % step == 0:
                rows[stamp] = [float(v) for v in row[1:6]]
                last = stamp if last is None else max(last, stamp)
        since = until if last is None else max(last + step, since + step)
        if progress is not None:
            progress(
                name.filename,
                done + span.candles(step) - max(0, (span.end_ms - since) // step),
                total,
            )
    return [[float(ts), *rows[ts]] for ts in sorted(rows)]


def to_table(rows: list[list[float]]) -> pa.Table:
    """Candle rows as a table of :data:`core.tracking.history.OHLCV_SCHEMA`."""
    import pyarrow as pa

    from core.tracking.history import OHLCV_SCHEMA, PRICE_COLUMNS

    columns: dict[str, Any] = {
        "timestamp": pa.array([int(r[0]) for r in rows], pa.timestamp("ms", tz="UTC"))
    }
    for index, column in enumerate(PRICE_COLUMNS, start=1):
        columns[column] = pa.array([r[index] for r in rows], pa.float64())
    return pa.table(columns, schema=OHLCV_SCHEMA)


__all__ = [
    "PAGE",
    "TIMEFRAMES",
    "Progress",
    "Span",
    "fetch_span",
    "full_span",
    "symbol_for",
    "to_table",
]
