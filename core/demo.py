"""A realistic, standard-conformant bot tree — and a simulated bot that keeps writing to it.

``build_demo_tree`` gives the TUI, the tests and the screenshots something real
to look at without a trading bot: every file of the standard, 35 days of hourly
snapshots, Parquet OHLCV history named per the convention, logs, reports and
dashboard data, all with the policy's modes. ``LiveBot`` then saves the
portfolio every few seconds through :mod:`core.storage.atomic`, appends log lines,
refreshes decisions, takes due snapshots and adds minute candles — what a
running bot does to its files.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import shutil
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import pyarrow as pa

from core.standard import layout
from core.standard.policy import DIR_MODE, LOG_MODE
from core.standard.times import iso as _iso
from core.storage.atomic import ensure_dir, write_json
from core.tracking import performance
from core.tracking.history import GRANULARITY_SECONDS, history_filename, merge_ohlcv, write_ohlcv

MARKER: Final = ".botstore-demo"
ASSETS: Final = {"BTC": 58_000.0, "ETH": 3_100.0, "SOL": 140.0}
HOLDINGS: Final = {"BTC": 0.012, "ETH": 0.15, "SOL": 2.5}
CASH_EUR: Final = 150.0
SNAPSHOT_DAYS: Final = 35
#: (asset, granularity, period, candles written) — spans match the period where cheap.
HISTORY_FILES: Final = (
    ("BTC", "hour", "180d", 180 * 24),
    ("ETH", "daily", "30d", 30),
    ("SOL", "minute", "7d", 7 * 24 * 60),
    ("BTC", "minute", "7d", 7 * 24 * 60),
    ("ETH", "hour", "30d", 30 * 24),
)
SESSION_ID: Final = "demo-session-0001"


def _portfolio(prices: dict[str, float], trades: int, now: datetime) -> dict[str, Any]:
    holdings_value = sum(HOLDINGS[a] * prices[a] for a in HOLDINGS)
    initial_value = CASH_EUR + sum(HOLDINGS[a] * ASSETS[a] for a in HOLDINGS)
    data: dict[str, Any] = {
        "trades_executed": trades,
        "portfolio_value_eur": {
            "amount": round(CASH_EUR + holdings_value, 2),
            "last_price_eur": 1.0,
        },
        "initial_value_eur": {"amount": round(initial_value, 2), "last_price_eur": 1.0},
        "last_updated": _iso(now),
        "EUR": {"amount": CASH_EUR, "initial_amount": CASH_EUR},
    }
    for asset, amount in HOLDINGS.items():
        data[asset] = {
            "amount": amount,
            "initial_amount": amount,
            "last_price_eur": round(prices[asset], 2),
        }
    return data


def _price_path(rng: random.Random, start: float, steps: int, vol: float) -> list[float]:
    """A geometric random walk ending near ``start`` (so the demo portfolio looks plausible)."""
    values = [start]
    for _ in range(steps - 1):
        values.append(values[-1] * math.exp(rng.gauss(0.0, vol)))
    drift = start / values[-1]
    return [v * drift ** (i / max(steps - 1, 1)) for i, v in enumerate(values)]


def _ohlcv(
    rng: random.Random, start_price: float, end: datetime, step_s: int, rows: int
) -> pa.Table:
    closes = _price_path(rng, start_price, rows, 0.002 * math.sqrt(step_s / 60))
    first = end - timedelta(seconds=step_s * (rows - 1))
    stamps = [first + timedelta(seconds=step_s * i) for i in range(rows)]
    opens = [closes[0], *closes[:-1]]
    highs = [max(o, c) * (1 + abs(rng.gauss(0, 0.001))) for o, c in zip(opens, closes, strict=True)]
    lows = [min(o, c) * (1 - abs(rng.gauss(0, 0.001))) for o, c in zip(opens, closes, strict=True)]
    volume = [abs(rng.gauss(5.0, 2.0)) for _ in range(rows)]
    return pa.table(
        {
            "timestamp": pa.array(stamps, type=pa.timestamp("ms", tz="UTC")),
            "open": opens,
            "high": highs,
            "low": lows,
            "close": closes,
            "volume": volume,
        }
    )


def _write_text(path: Path, text: str, mode: int = LOG_MODE) -> None:
    ensure_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(mode)


def _set_mtime(path: Path, moment: datetime) -> None:
    stamp = moment.timestamp()
    os.utime(path, (stamp, stamp))


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What ``build_demo_tree`` wrote."""

    root: Path
    files: int
    bytes: int
    snapshots: int
    parquet_files: int


def is_demo_tree(root: Path) -> bool:
    """True when ``root`` was made by ``build_demo_tree`` (safe to rebuild)."""
    return (root / MARKER).is_file()


def build_demo_tree(
    root: str | os.PathLike[str], *, now: datetime | None = None, seed: int = 0, force: bool = False
) -> DemoSummary:
    """Build a healthy demo tree at ``root`` (rebuilt if it is already a demo tree).

    Refuses to touch a non-empty directory that is not a demo tree unless
    ``force`` — never clobber a real bot's data.
    """
    base = Path(root)
    if base.exists() and any(base.iterdir()):
        if not (is_demo_tree(base) or force):
            raise FileExistsError(f"{base} is not empty and not a botstore demo tree")
        shutil.rmtree(base)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(seed)
    ensure_dir(base)
    base.chmod(DIR_MODE)
    for directory in layout.DIRECTORIES:
        ensure_dir(base / directory)
    (base / MARKER).write_text("generated by botstore demo; safe to delete\n", encoding="utf-8")

    hours = SNAPSHOT_DAYS * 24
    newest = now.replace(minute=0, second=0, microsecond=0)
    start = newest - timedelta(hours=hours - 1)
    paths = {a: _price_path(rng, p, hours, 0.006) for a, p in ASSETS.items()}
    initial = _portfolio({a: paths[a][0] for a in ASSETS}, 0, start)
    performance.init_tracking(base, initial, frequency="hourly", now=start)
    snapshots = [
        performance.make_snapshot(
            _portfolio({a: paths[a][i] for a in ASSETS}, i // 7, start + timedelta(hours=i)),
            "initial_setup" if i == 0 else "scheduled",
            SESSION_ID,
            now=start + timedelta(hours=i),
        )
        for i in range(hours)
    ]
    performance.write_snapshots(base, snapshots, now=newest)
    performance.update_metrics(base, now=now)

    prices = {a: paths[a][-1] for a in ASSETS}
    portfolio_path = base / layout.PORTFOLIO
    write_json(portfolio_path, _portfolio(prices, hours // 7 - 1, now - timedelta(minutes=2)))
    write_json(portfolio_path, _portfolio(prices, hours // 7, now - timedelta(seconds=30)))
    _set_mtime(portfolio_path.with_name("portfolio.json.bak"), now - timedelta(minutes=2))
    _set_mtime(portfolio_path, now - timedelta(seconds=30))

    write_json(
        base / layout.BOT_STARTUP,
        {
            "started_at": _iso(now - timedelta(days=3, hours=4)),
            "session_id": SESSION_ID,
            "version": "1.0",
            "pid": 4242,
            "mode": "paper",
            "exchange": "coinbase",
            "assets": sorted(ASSETS),
        },
        backup=False,
    )
    write_json(base / layout.LATEST_DECISIONS, _decisions(rng, prices, now), backup=False)

    for asset, granularity, period, rows in HISTORY_FILES:
        step = GRANULARITY_SECONDS[granularity]
        end = datetime.fromtimestamp(now.timestamp() // step * step, UTC)
        table = _ohlcv(rng, ASSETS[asset], end - timedelta(seconds=step), step, rows)
        write_ohlcv(
            base / layout.HISTORICAL_DIR / history_filename(asset, "EUR", granularity, period),
            table,
        )

    _write_text(
        base / layout.BACKTEST_REPORT,
        "# Backtest performance report\n\n"
        "| strategy | return | max drawdown |\n|---|---|---|\n"
        "| momentum | 12.4 % | -8.1 % |\n| mean reversion | 6.2 % | -4.3 % |\n",
        0o640,
    )
    _write_logs(base, rng, now)
    _write_reports(base, rng, now)
    write_json(
        base / layout.LATEST_BACKTEST,
        {
            "generated_at": _iso(now - timedelta(hours=5)),
            "strategy": "momentum",
            "period": {
                "start": _iso(now - timedelta(days=30)),
                "end": _iso(now - timedelta(hours=5)),
            },
            "total_return_pct": 12.4,
            "max_drawdown_pct": -8.1,
            "sharpe_ratio": 1.37,
            "trades": 86,
            "win_rate": 0.57,
            "version": "1.0",
        },
        backup=False,
    )
    write_json(
        base / layout.DATA_SUMMARY,
        {
            "generated_at": _iso(now - timedelta(hours=5)),
            "files": [
                {"name": history_filename(a, "EUR", g, p), "rows": r}
                for a, g, p, r in HISTORY_FILES
            ],
            "assets": sorted(ASSETS),
            "version": "1.0",
        },
        backup=False,
    )
    return _summarize(base, len(snapshots))


def _decisions(rng: random.Random, prices: dict[str, float], now: datetime) -> list[Any]:
    """One decision per asset, newest first: a JSON list, as the bot writes it."""
    actions = ("hold", "buy", "sell")
    return [
        {
            "timestamp": _iso(now),
            "asset": asset,
            "action": rng.choice(actions),
            "confidence": round(rng.uniform(0.5, 0.95), 2),
            "price_eur": round(prices[asset], 2),
            "reason": "demo signal",
        }
        for asset in sorted(prices)
    ]


def _write_logs(base: Path, rng: random.Random, now: datetime) -> None:
    lines = []
    moment = now - timedelta(hours=6)
    while moment < now - timedelta(seconds=30):
        asset = rng.choice(sorted(ASSETS))
        lines.append(
            f"{moment:%Y-%m-%d %H:%M:%S},{moment.microsecond // 1000:03d} INFO supervisor: "
            f"cycle ok asset={asset} decision=hold portfolio_saved=true"
        )
        moment += timedelta(seconds=rng.randint(60, 240))
    moment = now - timedelta(seconds=25)  # the newest line, never in the future
    lines.append(
        f"{moment:%Y-%m-%d %H:%M:%S},000 WARNING exchange: retrying request "
        "api_key=demo-not-a-real-key-123 after timeout"
    )
    _write_text(base / layout.SUPERVISOR_LOG, "\n".join(lines) + "\n")
    _set_mtime(base / layout.SUPERVISOR_LOG, now - timedelta(seconds=20))
    report_lines = []
    # The bot writes its daily report at 06:00 UTC: the newest one is the last 06:00 before now.
    latest = now.replace(hour=6, minute=0, second=0, microsecond=0)
    if latest > now:
        latest -= timedelta(days=1)
    for days in range(6, -1, -1):
        day = latest - timedelta(days=days)
        name = f"daily_report_{day:%Y%m%d}.txt"
        report_lines.append(f"{day:%Y-%m-%d} 06:00:00,000 INFO daily_report: wrote logs/{name}")
        _write_text(
            base / layout.LOGS_DIR / name,
            f"Daily report {day:%Y-%m-%d}\n\nPortfolio value: {1000 + days * 3.1:.2f} EUR\n"
            f"Trades: {rng.randint(0, 9)}\nStatus: OK\n",
        )
        _set_mtime(base / layout.LOGS_DIR / name, day)
    _write_text(base / layout.DAILY_REPORT_LOG, "\n".join(report_lines) + "\n")
    _set_mtime(base / layout.DAILY_REPORT_LOG, latest)


def _write_reports(base: Path, rng: random.Random, now: datetime) -> None:
    kinds = (
        ("reports/interval_optimization", "interval_optimization"),
        ("reports/daily_health", "health_check"),
        ("reports/weekly_validation", "weekly_validation"),
    )
    for directory, analysis in kinds:
        for days in (1, 8, 15):
            moment = now - timedelta(days=days)
            path = base / directory / f"{analysis}_{moment:%Y%m%d_%H%M%S}.json"
            write_json(
                path,
                {
                    "analysis_type": analysis,
                    "timestamp": _iso(moment),
                    "status": "ok",
                    "results": {"score": round(rng.uniform(0.4, 0.9), 3)},
                    "version": "1.0",
                },
                backup=False,
            )
            _set_mtime(path, moment)


def _summarize(base: Path, snapshots: int) -> DemoSummary:
    files = 0
    size = 0
    parquet = 0
    for path in base.rglob("*"):
        if path.is_file() and not path.name.startswith("."):
            files += 1
            size += path.stat().st_size
            parquet += path.suffix == ".parquet"
    return DemoSummary(
        root=base, files=files, bytes=size, snapshots=snapshots, parquet_files=parquet
    )


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
        from core.storage.atomic import read_json

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


__all__ = ["DemoSummary", "LiveBot", "build_demo_tree", "is_demo_tree"]
