"""``LiveBot``: a simulated bot that keeps writing to a demo tree, as a running bot does.

It saves the portfolio every few seconds through :mod:`core.storage.write`,
appends log lines, refreshes decisions, takes due snapshots and adds minute
candles, from a background thread.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from core.demo.portfolio import ASSETS, CASH_EUR, HOLDINGS, SESSION_ID, _decisions, _portfolio
from core.standard import layout
from core.standard.policy import LOG_MODE
from core.storage.write import write_json
from core.tracking import performance
from core.tracking.history import GRANULARITY_SECONDS, history_filename, merge_ohlcv


class LiveBot:
    """A simulated bot writing to a demo tree from a background thread.

    Every ``interval`` seconds it moves prices and saves the portfolio
    atomically (with ``.bak``) and writes a log line; every few saves it
    refreshes ``latest_decisions.json``; it takes a snapshot when one is due
    and adds the latest minute candle to a minute history file once a minute.
    """

    def __init__(
        self, root: str | os.PathLike[str], *, interval: float = 2.0, seed: int = 1
    ) -> None:
        self.root = Path(root)
        self.interval = interval
        self.saves = 0
        self.errors: list[str] = []
        self._rng = random.Random(seed)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_candle = 0.0
        portfolio = self._read_portfolio()
        self._prices = {
            a: float(portfolio.get(a, {}).get("last_price_eur", p)) for a, p in ASSETS.items()
        }
        self._trades = int(portfolio.get("trades_executed", 0))

    def _read_portfolio(self) -> dict[str, Any]:
        from core.errors import StorageError
        from core.storage.read import read_json

        try:
            data = read_json(self.root / layout.PORTFOLIO)
        except StorageError:
            return {}
        return data if isinstance(data, dict) else {}

    def start(self) -> None:
        """Start writing in a daemon thread."""
        self._thread = threading.Thread(target=self._run, name="botstore-demo-bot", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the writer to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.step()
            except Exception as exc:  # noqa: BLE001 - the demo writer must keep going; errors are kept
                self.errors.append(f"{type(exc).__name__}: {exc}")

    def step(self, now: datetime | None = None) -> None:
        """One bot cycle: prices move, portfolio saved, log line written, maybe more."""
        now = now or datetime.now(UTC)
        for asset in self._prices:
            self._prices[asset] *= math.exp(self._rng.gauss(0.0, 0.0015))
        if self._rng.random() < 0.1:
            self._trades += 1
        write_json(self.root / layout.PORTFOLIO, _portfolio(self._prices, self._trades, now))
        self.saves += 1
        self._log(
            now,
            f"INFO supervisor: cycle ok saves={self.saves} "
            f"value_eur={sum(HOLDINGS[a] * self._prices[a] for a in HOLDINGS) + CASH_EUR:.2f}",
        )
        if self.saves % 5 == 0:
            write_json(
                self.root / layout.LATEST_DECISIONS,
                _decisions(self._rng, self._prices, now),
                backup=False,
            )
        with contextlib.suppress(FileNotFoundError):
            if performance.snapshot_due(performance.load_config(self.root), now):
                portfolio = _portfolio(self._prices, self._trades, now)
                performance.append_snapshot(
                    self.root,
                    performance.make_snapshot(portfolio, "scheduled", SESSION_ID, now=now),
                    now=now,
                )
                self._log(now, "INFO performance: scheduled snapshot taken")
        if now.timestamp() - self._last_candle >= 60:
            self._add_candle(now)

    def _add_candle(self, now: datetime) -> None:
        step = GRANULARITY_SECONDS["minute"]
        end = datetime.fromtimestamp(now.timestamp() // step * step - step, UTC)
        price = self._prices["SOL"]
        candle = pa.table(
            {
                "timestamp": pa.array([end], type=pa.timestamp("ms", tz="UTC")),
                "open": [price],
                "high": [price * 1.001],
                "low": [price * 0.999],
                "close": [price],
                "volume": [abs(self._rng.gauss(5.0, 2.0))],
            }
        )
        merge_ohlcv(
            self.root / layout.HISTORICAL_DIR / history_filename("SOL", "EUR", "minute", "7d"),
            candle,
        )
        self._last_candle = now.timestamp()

    def _log(self, now: datetime, message: str) -> None:
        path = self.root / layout.SUPERVISOR_LOG
        line = f"{now:%Y-%m-%d %H:%M:%S},{now.microsecond // 1000:03d} {message}\n"
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, LOG_MODE)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


__all__ = ["LiveBot"]
