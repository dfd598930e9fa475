"""``sync --every``: the interval syntax and the loop that survives a failed run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.cloud.sync import SyncResult


def parse_interval(text: str) -> float:
    """``90``, ``90s``, ``15m``, ``2h``, ``1d`` -> seconds (at least 1)."""
    text = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    factor = 1
    if text and text[-1] in units:
        factor = units[text[-1]]
        text = text[:-1]
    try:
        value = float(text) * factor
    except ValueError:
        raise ValueError(f"bad interval {text!r}: use e.g. 900, 15m, 2h") from None
    if value < 1:
        raise ValueError("the interval must be at least 1 second")
    return value


def run_every(
    interval: float,
    once: Callable[[], SyncResult],
    on_result: Callable[[SyncResult | None, BaseException | None], None],
    stop: threading.Event | None = None,
    max_runs: int | None = None,
) -> int:
    """Call ``once`` every ``interval`` seconds until ``stop`` is set; never raises on a
    failed run (``on_result(None, exc)`` reports it). Returns the number of failed runs."""
    stop = stop or threading.Event()
    failed = 0
    runs = 0
    while not stop.is_set():
        began = time.monotonic()
        try:
            on_result(once(), None)
        except Exception as exc:  # noqa: BLE001 - the loop must survive any failed run
            failed += 1
            on_result(None, exc)
        runs += 1
        if max_runs is not None and runs >= max_runs:
            break
        stop.wait(max(0.0, interval - (time.monotonic() - began)))
    return failed


__all__ = ["parse_interval", "run_every"]
