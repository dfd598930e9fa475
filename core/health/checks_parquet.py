"""Historical Parquet files: name, footer (rows, span, compression), gaps, staleness.

The footer (``core.tracking.history.footer_summary``) answers most questions; a file
whose footer is intact but whose pages are garbage is caught by a bounded
content probe (:func:`core.tracking.probe.probe_content`: decode the last row
group, verifying page checksums where the writer stored them). The content part is cached by file
key, so the probe only runs for files new or changed since the scanner's last
look; the staleness of the last candle is recomputed per scan. A verdict kept
between processes (``core.health.verdicts``) comes back through :func:`reuse_parquet`,
without pyarrow.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import time
from collections.abc import Iterator
from typing import IO, Final

from core.config import Config
from core.health.state import ContentKey, ContentResult
from core.health.verdicts import identity
from core.standard.findings import Finding, Severity
from core.standard.times import parse_timestamp, parse_ts
from core.standard.units import format_span
from core.tracking.history import (
    COMPRESSION,
    GRANULARITY_SECONDS,
    PRICE_COLUMNS,
    ParquetSummary,
    footer_summary,
    parse_history_name,
    period_seconds,
)
from core.tracking.probe import probe_content, probe_handle

HISTORICAL_PREFIX: Final = "data/historical/"
SPAN_MIN_RATIO: Final = 0.9


def wants_parquet_check(rel: str, name: str) -> bool:
    return name.endswith(".parquet") and rel.startswith(HISTORICAL_PREFIX)


def check_parquet(
    abs_path: str,
    rel: str,
    display: str,
    key: ContentKey,
    *,
    probe: bool = True,
    expect: os.stat_result | None = None,
) -> ContentResult:
    """Footer checks of one history file plus the content probe (``probe``); never raises.

    The footer, the columns and the probe all read one descriptor, opened without
    following a symlink. ``expect`` (the walk's ``lstat``): the verdict is durable
    only when that descriptor is the very file the walk saw.
    """
    with _open_pinned(abs_path) as (handle, seen):
        result = _check_parquet(abs_path, rel, display, key, probe=probe, handle=handle)
    if expect is not None and (seen is None or identity(seen) != identity(expect)):
        result = dataclasses.replace(result, durable=False)
    return result


@contextlib.contextmanager
def _open_pinned(abs_path: str) -> Iterator[tuple[IO[bytes] | None, os.stat_result | None]]:
    """``abs_path`` open (no symlink followed, never blocking) with its ``fstat``; a
    handle of None when it is not a regular file that opens (the checks then report
    why, by path, as before)."""
    try:
        fd = os.open(abs_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        yield None, None
        return
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        yield None, st
        return
    with os.fdopen(fd, "rb") as handle:
        yield handle, st


def _check_parquet(
    abs_path: str,
    rel: str,
    display: str,
    key: ContentKey,
    *,
    probe: bool,
    handle: IO[bytes] | None,
) -> ContentResult:
    findings: list[Finding] = []
    name = rel.rpartition("/")[2]
    try:
        parse_history_name(name)
    except ValueError as exc:
        findings.append(
            Finding(
                "naming",
                Severity.WARNING,
                display,
                f"not {{ASSET}}-{{BASE}}_{{granularity}}_{{period}}.parquet: {exc}",
            )
        )
    try:
        summary = footer_summary(abs_path, label=display, handle=handle)
    except Exception as exc:  # noqa: BLE001 - footer_summary promises not to raise; belt and braces
        summary = ParquetSummary(
            display,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            error=f"{type(exc).__name__}: {exc}",
        )
    ok = True
    known = True  # every question got an answer (no file that could not be opened)

    def unusable(message: str) -> None:  # the file cannot serve as history
        nonlocal ok
        ok = False
        findings.append(Finding("parquet", Severity.CRITICAL, display, message))

    if summary.error is not None:
        if "out of order" in summary.error:
            findings.append(
                Finding(
                    "gap", Severity.WARNING, display, f"timestamps out of order: {summary.error}"
                )
            )
        else:
            unusable(f"not a readable Parquet file: {summary.error}")
    if summary.rows is not None:
        missing = _missing_columns(abs_path) if handle is None else _columns_missing(handle)
        known = missing is not None
        if missing:
            findings.append(
                Finding(
                    "parquet",
                    Severity.WARNING,
                    display,
                    f"missing OHLCV column(s): {', '.join(missing)}",
                )
            )
        if not probe:
            problem = None
        elif handle is None:
            problem = probe_content(abs_path, summary.rows)
        else:
            handle.seek(0)
            problem = probe_handle(handle, summary.rows)
        if problem is not None:
            unusable(f"footer intact but the data is unreadable: {problem}")
        if summary.compression is not None and summary.compression != COMPRESSION:
            findings.append(
                Finding(
                    "deviation",
                    Severity.INFO,
                    display,
                    f"compression {summary.compression}; the standard recommends {COMPRESSION} "
                    "(harmless: every Parquet reader decodes it)",
                )
            )
        if summary.rows == 0:
            unusable("holds no candles")
        if summary.gaps:
            findings.append(
                Finding(
                    "gap",
                    Severity.WARNING,
                    display,
                    f"{summary.gaps} missing {summary.granularity} candle(s) "
                    f"between {summary.start} and {summary.end}",
                )
            )
        if summary.duplicates:
            findings.append(
                Finding(
                    "parquet",
                    Severity.WARNING,
                    display,
                    f"{summary.duplicates} duplicate candle(s) "
                    f"(more rows than the covered span holds)",
                )
            )
        span_finding = _span(summary, display)
        if span_finding is not None:
            findings.append(span_finding)
    return ContentResult(key, tuple(findings), ok=ok, parquet=summary, durable=ok and known)


def reuse_parquet(verdict: ContentResult) -> ContentResult:
    """A kept verdict with the last candle's age as of now (what :func:`check_parquet` gives)."""
    summary = verdict.parquet
    if summary is None or summary.end is None:
        return verdict
    end = parse_timestamp(summary.end)
    if end is None:
        return verdict
    age = time.time() - end
    return dataclasses.replace(verdict, parquet=dataclasses.replace(summary, last_candle_age_s=age))


def _missing_columns(abs_path: str) -> list[str] | None:
    """OHLCV columns absent from the footer's schema (FIFO-safe open, footer only); None when
    the file cannot be opened."""
    try:
        fd = os.open(abs_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            return _columns_missing(handle)
    finally:
        os.close(fd)


def _columns_missing(handle: IO[bytes]) -> list[str] | None:
    """:func:`_missing_columns` of an open file; None when its footer does not read."""
    try:
        import pyarrow.parquet as pq  # lazy: only trees with history files pay for pyarrow

        handle.seek(0)
        meta = pq.read_metadata(handle)
        names = {meta.schema.column(i).path for i in range(meta.num_columns)}
    except Exception:  # noqa: BLE001 - unreadable footers are reported by footer_summary
        return None
    return [c for c in PRICE_COLUMNS if c not in names]


def _span(summary: ParquetSummary, display: str) -> Finding | None:
    if (
        summary.period is None
        or summary.granularity is None
        or not summary.start
        or not summary.end
    ):
        return None
    try:
        wanted = period_seconds(summary.period)
        step = GRANULARITY_SECONDS[summary.granularity]
        start = parse_ts(summary.start)
        end = parse_ts(summary.end)
    except (KeyError, ValueError):
        return None
    if start is None or end is None:
        return None
    covered = (end - start).total_seconds() + step
    if covered < wanted * SPAN_MIN_RATIO:
        return Finding(
            "parquet",
            Severity.WARNING,
            display,
            f"covers {format_span(covered)}, name promises {summary.period}",
        )
    return None


def stale_candle(
    summary: ParquetSummary, display: str, now: float, config: Config, rel: str
) -> Finding | None:
    """The last candle is older than the configured number of candles (and the floor)."""
    if summary.end is None or summary.granularity not in GRANULARITY_SECONDS:
        return None
    end = parse_timestamp(summary.end)
    if end is None:
        return None
    age = now - end
    step = GRANULARITY_SECONDS[summary.granularity or ""]
    candles = config.threshold("parquet_stale_candles", rel)
    floor = config.threshold("parquet_stale_floor_hours", rel)
    for level, n, hours in (
        ("critical", candles.critical, floor.critical),
        ("warning", candles.warning, floor.warning),
    ):
        if n > 0 and age > max(n * step, hours * 3600):
            return Finding(
                "stale",
                Severity(level),
                display,
                f"last {summary.granularity} candle is {format_span(age)} old "
                f"(limit {format_span(max(n * step, hours * 3600))})",
            )
    return None
