"""A realistic tree as the real trading bot leaves it after 30 days (our own generator).

Reproduces the *formats* the bot writes — learnt from reading its writers, none
of its code — so the health engine is tried on what really exists on disk:

* plain ``open(path, "w")`` + ``json.dump(indent=2)`` everywhere: no ``.bak``,
  every file 644 and every directory 755 (umask 022);
* ``data/portfolio.json`` with numeric ``portfolio_value_usd``/``initial_value_usd``
  next to ``{amount, last_price_eur}`` objects, holdings EUR/USDC/ETH/BTC/USD,
  ``last_updated`` naive local time and no ``version``;
* the snapshots file as a bare JSON list (offset timestamps), taken only at
  start-up (an 18-day gap); ``performance_metrics.json`` never written;
* one ``data/{ASSET}_EUR_<YYYYmmdd_HHMMSS>.json`` per decision (every 2 h) plus
  ``…_latest.json``; ``decision_records.json`` and ``trade_history.json`` lists;
* pandas-written gzip Parquet with the time axis as a naive index named ``time``;
* the bot's logs, including supervisord's unrotated ``supervisor.log`` with ANSI
  colours and time-of-day-only stamps.

``build_realbot_tree(root, now=...)`` returns a :class:`RealBotTree` naming the
files and the facts tests compare against (snapshot count, candles per series).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

DAYS = 30
ASSETS = {"BTC": 60_000.0, "ETH": 3_000.0}
DECISION_EVERY_H = 2
#: Start-up snapshots only: day offsets from the first day (an 18-day gap in the middle).
SNAPSHOT_DAYS = (0, 1, 2, 20, 21, 29)
SERIES = {"BTC-EUR_hour_30d.parquet": "BTC", "ETH-EUR_hour_30d.parquet": "ETH"}
FILE_MODE = 0o644
DIR_MODE = 0o755
API_KEY = "organizations/realbot-test/apiKeys/0f0e0d0c-live"


@dataclass
class RealBotTree:
    """What was generated: the root, the files, and facts for assertions."""

    root: Path
    now: dt.datetime
    files: list[str] = field(default_factory=list)
    snapshots: int = 0
    candles: dict[str, int] = field(default_factory=dict)
    series_span: dict[str, tuple[dt.datetime, dt.datetime]] = field(default_factory=dict)
    decision_files: int = 0


class _Writer:
    """Writes like the bot does: truncate-and-write, 644, parents 755, mtime as given."""

    def __init__(self, root: Path, tree: RealBotTree) -> None:
        self.root = root
        self.tree = tree

    def _dir(self, rel: str) -> Path:
        path = self.root / rel
        parent = path.parent
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent
        while probe != self.root.parent and probe.is_relative_to(self.root):
            os.chmod(probe, DIR_MODE)
            probe = probe.parent
        return path

    def raw(self, rel: str, payload: bytes, mtime: dt.datetime) -> None:
        path = self._dir(rel)
        with open(path, "wb") as handle:  # the bot's plain open(path, "w")
            handle.write(payload)
        os.chmod(path, FILE_MODE)
        stamp = mtime.timestamp()
        os.utime(path, (stamp, stamp))
        self.tree.files.append(rel)

    def json(self, rel: str, data: Any, mtime: dt.datetime) -> None:
        self.raw(rel, json.dumps(data, indent=2, default=str).encode(), mtime)

    def text(self, rel: str, text: str, mtime: dt.datetime) -> None:
        self.raw(rel, text.encode(), mtime)


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _local_naive(moment: dt.datetime) -> str:
    return moment.astimezone().replace(tzinfo=None).isoformat()


def _portfolio(prices: dict[str, float], now: dt.datetime, trades: int) -> dict[str, Any]:
    holdings = {"BTC": 0.012, "ETH": 0.35}
    value_eur = 1_250.0 + sum(holdings[a] * prices[a] for a in holdings)
    return {
        "trades_executed": trades,
        "portfolio_value_usd": round(value_eur * 1.09, 2),
        "initial_value_usd": 3_270.0,
        "last_updated": _local_naive(now),
        "EUR": {"amount": 1_250.0, "initial_amount": 1_500.0},
        "USDC": {"amount": 0.0, "initial_amount": 0.0, "last_price_usd": 1.0},
        "USD": {"amount": 0.0, "initial_amount": 0.0},
        "BTC": {
            "amount": holdings["BTC"],
            "initial_amount": 0.01,
            "last_price_usd": round(prices["BTC"] * 1.09, 2),
            "last_price_eur": round(prices["BTC"], 2),
        },
        "ETH": {
            "amount": holdings["ETH"],
            "initial_amount": 0.3,
            "last_price_usd": round(prices["ETH"] * 1.09, 2),
            "last_price_eur": round(prices["ETH"], 2),
        },
        "portfolio_value_eur": {"amount": round(value_eur, 2), "last_price_eur": 1.0},
        "initial_value_eur": {"amount": 3_000.0, "last_price_eur": 1.0},
    }


def _candles(rng: random.Random, start: float, end: dt.datetime, hours: int) -> pd.DataFrame:
    first = end.replace(minute=0, second=0, microsecond=0, tzinfo=None) - dt.timedelta(
        hours=hours - 1
    )
    times = pd.date_range(first, periods=hours, freq="h", name="time")  # naive, as pandas writes
    price, rows = start, []
    for _ in range(hours):
        open_ = price
        price = max(1.0, price * (1 + rng.gauss(0, 0.004)))
        rows.append(
            (min(open_, price) * 0.998, max(open_, price) * 1.002, open_, price, rng.uniform(1, 50))
        )
    return pd.DataFrame(rows, index=times, columns=["low", "high", "open", "close", "volume"])


def _supervisor_log(rng: random.Random, start: dt.datetime, now: dt.datetime) -> str:
    lines, moment = [], start
    colours = {"INFO": "\x1b[32m", "WARNING": "\x1b[33m", "ERROR": "\x1b[31m"}
    while moment < now:
        level = rng.choice(("INFO", "INFO", "INFO", "WARNING", "ERROR"))
        lines.append(
            f"{colours[level]}{moment:%H:%M:%S} - {level:<7}\x1b[0m - "
            f"main - cycle ok, next decision in {DECISION_EVERY_H * 60} min"
        )
        moment += dt.timedelta(minutes=rng.choice((10, 20, 30)))
    return "\n".join(lines) + "\n"


def _log(start: dt.datetime, now: dt.datetime, every: dt.timedelta, what: str) -> str:
    lines, moment = [], start
    while moment < now:
        lines.append(f"{moment.astimezone():%Y-%m-%d %H:%M:%S},123 - bot - INFO - {what}")
        moment += every
    return "\n".join(lines) + "\n"


def build_realbot_tree(
    root: Path, *, now: dt.datetime | None = None, seed: int = 11
) -> RealBotTree:
    """Write the 30-day tree under ``root`` (created); returns what was written."""
    rng = random.Random(seed)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = now - dt.timedelta(days=DAYS)
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, DIR_MODE)
    tree = RealBotTree(root=root, now=now)
    w = _Writer(root, tree)
    prices = dict(ASSETS)
    recent = now - dt.timedelta(minutes=3)

    # decisions: one timestamped file per asset every 2 h, plus *_latest.json; never cleaned
    records: list[dict[str, Any]] = []
    trades: list[dict[str, Any]] = []
    moment = start + dt.timedelta(hours=1)
    while moment <= recent:
        for asset in ASSETS:
            prices[asset] *= 1 + rng.gauss(0, 0.01)
            action = rng.choice(("HOLD", "HOLD", "HOLD", "BUY", "SELL"))
            decision = {
                "timestamp": _utc(moment),
                "product_id": f"{asset}-EUR",
                "action": action,
                "confidence": rng.randint(40, 90),
                "reason": f"{asset} regime sideways, RSI {rng.randint(30, 70)}",
                "current_price": round(prices[asset], 2),
                "strategy_details": {
                    "market_regime": "sideways",
                    "individual_strategies": {
                        "trend_following": {"action": action, "reasoning": "no clear trend"}
                    },
                },
            }
            w.json(
                f"data/{asset}_EUR_{moment.astimezone(dt.UTC):%Y%m%d_%H%M%S}.json", decision, moment
            )
            tree.decision_files += 1
            records.append(
                {"decision_id": f"{asset}_{len(records)}", **decision, "outcome_evaluated": False}
            )
            if action != "HOLD":
                trades.append(
                    {
                        "timestamp": _utc(moment),
                        "product_id": f"{asset}-EUR",
                        "action": action,
                        "amount": 0.001,
                        "usd_value": 65.0,
                        "status": "executed",
                        "trade_executed": True,
                    }
                )
        moment += dt.timedelta(hours=DECISION_EVERY_H)
    for asset in ASSETS:
        latest = dict(records[-1 if asset == "ETH" else -2])
        w.json(f"data/{asset}_EUR_latest.json", latest, recent)

    w.json("data/portfolio.json", _portfolio(prices, recent, len(trades)), recent)
    w.json("data/portfolio/portfolio.json", _portfolio(prices, recent, len(trades)), recent)
    history = (
        "timestamp,portfolio_value_usd,btc_amount,eth_amount,sol_amount,usd_amount,"
        "btc_price,eth_price,sol_price,portfolio_value_eur\n"
    )
    history += "".join(
        f"{_utc(start + dt.timedelta(hours=h))},3300.0,0.012,0.35,0,0,60000,3000,0,3030.0\n"
        for h in range(0, DAYS * 24, 6)
    )
    w.text("data/portfolio/portfolio_history.csv", history, recent)
    w.json("data/trades/trade_history.json", trades, recent)
    w.json("data/performance/decision_records.json", records, recent)

    # performance tracking: start-up snapshots only; metrics never written
    snaps = []
    for day in SNAPSHOT_DAYS:
        at = start + dt.timedelta(days=day, hours=8)
        snaps.append(
            {
                "timestamp": _utc(at),
                "total_value_eur": round(3_000 + rng.uniform(-60, 80), 2),
                "portfolio_composition": {a: {"amount": 0.01, "value_eur": 600.0} for a in ASSETS},
                "asset_prices": {a: round(p, 2) for a, p in ASSETS.items()},
                "snapshot_type": "initial_setup" if day == 0 else "scheduled",
                "trading_session_id": f"session_{at:%Y%m%d_%H%M%S}",
            }
        )
    tree.snapshots = len(snaps)
    last_snap = start + dt.timedelta(days=SNAPSHOT_DAYS[-1], hours=8)
    w.json("data/performance/portfolio_snapshots.json", snaps, last_snap)
    w.json(
        "data/performance/performance_config.json",
        {
            "tracking_start_date": _utc(start + dt.timedelta(hours=8)),
            "initial_portfolio_value": 3_000.0,
            "initial_portfolio_composition": {a: {"amount": 0.01} for a in ASSETS},
            "performance_reset_history": [
                {
                    "date": _utc(start + dt.timedelta(hours=8)),
                    "reason": "initial_setup",
                    "portfolio_value": 3_000.0,
                    "portfolio_composition": {},
                }
            ],
            "snapshot_frequency": "daily",
            "last_snapshot_date": _utc(last_snap),
            "tracking_enabled": True,
            "created_date": _utc(start + dt.timedelta(hours=8)),
            "version": "1.0",
            "last_updated": _utc(start + dt.timedelta(hours=8)),
        },
        last_snap,
    )
    w.json(
        "data/performance/performance_periods.json",
        {"periods": {"7d": {"return_percent": 1.2}}, "last_updated": _utc(recent)},
        recent,
    )
    for name in ("performance_goals", "performance_benchmarks", "strategy_performance"):
        w.json(
            f"data/performance/{name}.json",
            {"updated": _local_naive(recent), "values": {"target_return": 5}},
            recent,
        )

    # cache, config, dashboard, adaptive regime
    w.json(
        "data/cache/bot_startup.json",
        {
            "startup_time": _utc(last_snap),
            "next_decision_time": _utc(recent),
            "pid": 4242,
            "trading_pairs": ["BTC-EUR", "ETH-EUR"],
            "status": "online",
        },
        recent,
    )
    w.json(
        "data/cache/latest_decisions.json",
        [
            {
                "timestamp": r["timestamp"],
                "asset": r["product_id"].split("-")[0],
                "action": r["action"],
                "confidence": r["confidence"],
                "reasoning": r["reason"],
            }
            for r in reversed(records[-2:])
        ],
        recent,
    )
    w.json(
        "data/cache/trading_data.json",
        {
            "last_update": _local_naive(recent),
            "prices": {a: round(p, 2) for a, p in prices.items()},
        },
        recent,
    )
    w.json(
        "data/cache/logs_data.json", {"logs": ["cycle ok"], "last_updated": _utc(recent)}, recent
    )
    w.text("data/cache/last_updated.txt", _local_naive(recent) + "\n", recent)
    w.json(
        "data/config/config.json",
        {"TRADING_PAIRS": "BTC-EUR,ETH-EUR", "DECISION_INTERVAL_MINUTES": 120},
        recent,
    )
    w.json(
        "data/config/detailed_config.json",
        {
            "COINBASE_API_KEY": API_KEY,
            "COINBASE_API_SECRET": "***HIDDEN***",
            "LLM_PROVIDER": "vertex_ai",
            "TRADING_PAIRS": "BTC-EUR,ETH-EUR",
        },
        recent,
    )
    w.json(
        "data/dashboard/performance_data.json", {"generated": _utc(recent), "series": []}, recent
    )
    w.json(
        "data/adaptive_regime/regime_history.json",
        [{"timestamp": _utc(recent), "regime": "sideways"}],
        recent,
    )

    # history: pandas + gzip, time axis as the naive DatetimeIndex named "time"
    for name, asset in SERIES.items():
        frame = _candles(rng, ASSETS[asset], now, DAYS * 24)
        rel = f"data/historical/{name}"
        path = w._dir(rel)
        frame.to_parquet(path, compression="gzip")
        os.chmod(path, FILE_MODE)
        os.utime(path, (recent.timestamp(), recent.timestamp()))
        tree.files.append(rel)
        tree.candles[rel] = len(frame)
        tree.series_span[rel] = (
            frame.index[0].to_pydatetime().replace(tzinfo=dt.UTC),
            frame.index[-1].to_pydatetime().replace(tzinfo=dt.UTC),
        )

    # reports: timestamped files plus a latest copy per kind
    for kind in (
        "weekly",
        "live_performance",
        "parameter_monitoring",
        "alerts",
        "daily",
        "monthly",
    ):
        for day in range(0, DAYS, 7 if kind in ("weekly", "monthly") else 3):
            at = start + dt.timedelta(days=day)
            w.json(
                f"reports/{kind}/{kind}_{at:%Y%m%d_%H%M%S}.json",
                {"timestamp": _utc(at), "summary": {"ok": True}},
                at,
            )
        w.json(
            f"reports/{kind}/{kind}_latest.json",
            {"timestamp": _utc(recent), "summary": {"ok": True}},
            recent,
        )

    # logs: rotating bot log, decisions, errors, daily report, supervisord's own file
    w.text(
        "logs/trading_bot.log",
        _log(now - dt.timedelta(hours=20), recent, dt.timedelta(minutes=10), "cycle ok"),
        recent,
    )
    for n in (1, 2):
        older = now - dt.timedelta(days=n * 3)
        w.text(
            f"logs/trading_bot.log.{n}",
            _log(older - dt.timedelta(days=1), older, dt.timedelta(minutes=10), "cycle ok"),
            older,
        )
    w.text(
        "logs/trading_decisions.log",
        _log(start, recent, dt.timedelta(hours=2), "decision HOLD"),
        recent,
    )
    w.text("logs/errors.log", _log(start, recent, dt.timedelta(days=2), "timeout, retried"), recent)
    w.text(
        "logs/daily_report.log",
        _log(start, recent, dt.timedelta(days=1), "report sent"),
        now - dt.timedelta(hours=5),
    )
    w.text("logs/supervisor.log", _supervisor_log(rng, start, recent), recent)
    return tree


__all__ = ["API_KEY", "RealBotTree", "build_realbot_tree"]
