"""core.tracking.performance: snapshots, due logic, retention, reconciliation, resets, metrics."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.standard.layout import (
    PERFORMANCE_CONFIG,
    PERFORMANCE_METRICS,
    PERFORMANCE_PERIODS,
    SNAPSHOTS,
)
from core.storage.read import read_json
from core.storage.write import write_json
from core.tracking import performance as perf

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def portfolio(btc_price: float = 40_000.0, *, declared: float | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "trades_executed": 0,
        "initial_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
        "last_updated": "2024-01-01T00:00:00.000000",
        "EUR": {"amount": 100.0, "initial_amount": 100.0},
        "BTC": {"amount": 0.01, "initial_amount": 0.01, "last_price_eur": btc_price},
    }
    if declared is not None:
        data["portfolio_value_eur"] = {"amount": declared, "last_price_eur": 1.0}
    return data


def snap(moment: dt.datetime, value: float = 1000.0, kind: str = "scheduled") -> dict[str, Any]:
    return {
        "timestamp": perf.iso(moment),
        "total_value_eur": value,
        "portfolio_composition": {},
        "asset_prices": {},
        "snapshot_type": kind,
        "trading_session_id": "s",
    }


# --------------------------------------------------------------------------- snapshots


def test_make_snapshot_sums_holdings_or_uses_declared_value() -> None:
    s = perf.make_snapshot(portfolio(), "scheduled", "sess-1", now=T0)
    assert s["timestamp"] == "2024-01-01T00:00:00.000000"
    assert s["total_value_eur"] == pytest.approx(500.0)
    assert s["asset_prices"] == {"EUR": 1.0, "BTC": 40_000.0}
    assert s["portfolio_composition"]["BTC"] == {"amount": 0.01, "value_eur": pytest.approx(400.0)}
    assert "initial_value_eur" not in s["portfolio_composition"]
    assert (s["snapshot_type"], s["trading_session_id"]) == ("scheduled", "sess-1")
    declared = perf.make_snapshot(portfolio(declared=1234.5), "manual", "x", now=T0)
    assert declared["total_value_eur"] == 1234.5
    with pytest.raises(ValueError, match="unknown snapshot_type"):
        perf.make_snapshot(portfolio(), "hourly", "x")


def test_written_files_match_the_schemas(tmp_path: Path) -> None:
    from core.documents.schemas import validate

    perf.init_tracking(tmp_path, portfolio(declared=1000.0), frequency="hourly", now=T0)
    for i in range(1, 30):
        moment = T0 + dt.timedelta(hours=i)
        perf.append_snapshot(
            tmp_path, perf.make_snapshot(portfolio(40_000 + i), "scheduled", "s", now=moment)
        )
    perf.reset_tracking(tmp_path, portfolio(), reason="test", now=T0 + dt.timedelta(days=2))
    perf.update_metrics(tmp_path, now=T0 + dt.timedelta(days=2))
    assert validate("performance_config", read_json(tmp_path / PERFORMANCE_CONFIG)) == []
    assert validate("snapshots", read_json(tmp_path / SNAPSHOTS)) == []
    assert validate("performance_metrics", read_json(tmp_path / PERFORMANCE_METRICS)) == []
    assert validate("performance_periods", read_json(tmp_path / PERFORMANCE_PERIODS)) == []


# --------------------------------------------------------------------------- due logic


H = dt.timedelta(hours=1)
LAST = dt.datetime(2024, 5, 10, 10, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("frequency", "now", "on_start", "due"),
    [
        ("hourly", LAST, False, False),
        ("hourly", LAST + dt.timedelta(minutes=29, seconds=59), False, False),  # 10:59:59
        ("hourly", LAST + dt.timedelta(minutes=30), False, True),  # 11:00:00, next UTC hour
        ("hourly", LAST + 5 * H, False, True),
        ("hourly", LAST - H, False, False),  # clock behind the last snapshot
        ("hourly", LAST, True, False),  # a restart does not force an hourly snapshot
        ("daily", LAST + 13 * H + dt.timedelta(minutes=29), False, False),  # 23:59 same day
        ("daily", LAST + 13 * H + dt.timedelta(minutes=30), False, True),  # 00:00 next day
        ("daily", LAST + 3 * 24 * H, False, True),
        ("daily", LAST - 24 * H, False, False),
        ("on_restart", LAST + 100 * H, False, False),
        ("on_restart", LAST, True, True),
        ("on_restart", LAST - H, True, True),
        ("manual", LAST + 1000 * H, False, False),
        ("manual", LAST, True, False),
    ],
)
def test_due_table(frequency: str, now: dt.datetime, on_start: bool, due: bool) -> None:
    config = {
        "snapshot_frequency": frequency,
        "last_snapshot_date": perf.iso(LAST),
        "tracking_enabled": True,
    }
    assert perf.snapshot_due(config, now, on_start=on_start) is due


@pytest.mark.parametrize(
    ("frequency", "due"),
    [("hourly", True), ("daily", True), ("on_restart", False), ("manual", False)],
)
def test_due_without_last_snapshot(frequency: str, due: bool) -> None:
    for last in (None, "garbage"):
        config = {"snapshot_frequency": frequency, "last_snapshot_date": last}
        assert perf.snapshot_due(config, LAST) is due


def test_due_disabled_and_unknown_frequency() -> None:
    off = {"snapshot_frequency": "hourly", "last_snapshot_date": None, "tracking_enabled": False}
    assert perf.snapshot_due(off, LAST) is False
    assert perf.snapshot_due(off, LAST, on_start=True) is False
    with pytest.raises(ValueError, match="unknown snapshot_frequency 'weekly'"):
        perf.snapshot_due({"snapshot_frequency": "weekly"}, LAST)


def test_due_accepts_offset_timestamps() -> None:
    config = {"snapshot_frequency": "hourly", "last_snapshot_date": "2024-05-10T12:30:00+02:00"}
    assert perf.snapshot_due(config, LAST + dt.timedelta(minutes=29)) is False
    assert perf.snapshot_due(config, LAST + dt.timedelta(minutes=30)) is True


# --------------------------------------------------------------------------- retention


def test_retention_boundary_exactly_365_days_kept() -> None:
    now = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
    exact = snap(now - dt.timedelta(days=365))
    older = snap(now - dt.timedelta(days=365, seconds=1))
    young = snap(now - dt.timedelta(days=1))
    undated = {**snap(now), "timestamp": "not a time"}
    kept, removed = perf.apply_retention([older, exact, young, undated], now)
    assert kept == [exact, young, undated]
    assert removed == [older]
    kept, removed = perf.apply_retention([older, exact, young], now, days=1)
    assert kept == [young] and removed == [older, exact]


def test_retention_boundary_with_microseconds() -> None:
    now = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
    just_older = snap(now - dt.timedelta(days=365, microseconds=1))
    assert perf.apply_retention([just_older], now) == ([], [just_older])


def test_cleanup_dry_run_then_real(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    for day in range(1, 400, 7):
        perf.append_snapshot(tmp_path, snap(T0 + dt.timedelta(days=day)))
    now = T0 + dt.timedelta(days=400)
    before = (tmp_path / SNAPSHOTS).read_bytes()
    dry = perf.cleanup_snapshots(tmp_path, now=now)
    assert dry.dry_run and dry.removed > 0
    assert (tmp_path / SNAPSHOTS).read_bytes() == before
    done = perf.cleanup_snapshots(tmp_path, now=now, dry_run=False)
    assert (done.kept, done.removed) == (dry.kept, dry.removed)
    remaining = perf.load_snapshots(tmp_path)
    assert len(remaining) == dry.kept
    stamps = [perf.parse_ts(s["timestamp"]) for s in remaining]
    assert None not in stamps
    assert min(s for s in stamps if s is not None) >= now - dt.timedelta(days=365)
    tracking = perf.load_tracking(tmp_path)
    assert tracking.consistent
    write_json(tmp_path / PERFORMANCE_CONFIG, {**tracking.config, "retention_days": 30})
    assert perf.cleanup_snapshots(tmp_path, now=now).kept == 4  # days 372..393


# --------------------------------------------------------------------------- reconciliation


def test_append_keeps_order_and_advances_config(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + 3 * H))
    config = perf.append_snapshot(tmp_path, snap(T0 + 2 * H))  # late arrival
    stamps = [s["timestamp"] for s in perf.load_snapshots(tmp_path)]
    assert stamps == sorted(stamps) and len(stamps) == 3
    assert config["last_snapshot_date"] == perf.iso(T0 + 3 * H)
    assert isinstance(read_json(tmp_path / SNAPSHOTS), list)  # the bot's format
    with pytest.raises(ValueError, match="not ISO 8601"):
        perf.append_snapshot(tmp_path, {"timestamp": "yesterday"})


def test_load_tracking_repairs_lagging_config(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + H))
    # Crash between the two commits: snapshots has T0+2h, config still says T0+1h.
    snapshots = [*perf.load_snapshots(tmp_path), snap(T0 + 2 * H)]
    write_json(tmp_path / SNAPSHOTS, {"version": "1.0", "snapshots": snapshots})
    tracking = perf.load_tracking(tmp_path)
    assert not tracking.consistent
    assert tracking.config["last_snapshot_date"] == perf.iso(T0 + 2 * H)
    assert read_json(tmp_path / PERFORMANCE_CONFIG)["last_snapshot_date"] == perf.iso(T0 + H)
    assert perf.load_tracking(tmp_path, repair=True).problems
    assert perf.load_tracking(tmp_path).consistent


def test_wrapped_form_is_read_and_written_back_as_the_bare_list(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    write_json(tmp_path / SNAPSHOTS, {"version": "1.0", "snapshots": [snap(T0), snap(T0 + H)]})
    assert len(perf.load_snapshots(tmp_path)) == 2
    perf.append_snapshot(tmp_path, snap(T0 + 2 * H))
    stored = read_json(tmp_path / SNAPSHOTS)
    assert isinstance(stored, list) and len(stored) == 3


def test_missing_config_raises_tracking_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        perf.load_config(tmp_path)
    with pytest.raises(perf.TrackingMissing):
        perf.append_snapshot(tmp_path, snap(T0))


# --------------------------------------------------------------------------- resets


def test_reset_history_grows_and_is_never_rewritten(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    seen: list[bytes] = []
    for i in range(1, 6):
        perf.append_snapshot(tmp_path, snap(T0 + i * 24 * H - H))
        config = perf.reset_tracking(
            tmp_path, portfolio(40_000 + i), reason=f"reason {i}", now=T0 + i * 24 * H
        )
        raw = (tmp_path / PERFORMANCE_CONFIG).read_bytes()
        history = orjson.loads(raw)["performance_reset_history"]
        assert len(history) == i
        encoded = [orjson.dumps(entry) for entry in history]
        assert encoded[: len(seen)] == seen  # earlier entries byte-identical
        seen = encoded
        assert history[-1]["reason"] == f"reason {i}"
        assert config["tracking_start_date"] == perf.iso(T0 + i * 24 * H)
        last = perf.load_snapshots(tmp_path)[-1]
        assert last["snapshot_type"] == "performance_reset"
        assert last == history[-1]["snapshot"]
        assert perf.load_tracking(tmp_path).consistent


def test_reset_at_the_same_moment_as_the_newest_snapshot_still_records_it(tmp_path: Path) -> None:
    """A reset exactly on the hour of a scheduled snapshot must still add its own snapshot."""
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + H))
    perf.reset_tracking(tmp_path, portfolio(45_000), reason="same hour", now=T0 + H)
    snapshots = perf.load_snapshots(tmp_path)
    assert [s["snapshot_type"] for s in snapshots[-2:]] == ["scheduled", "performance_reset"]
    assert perf.load_tracking(tmp_path).consistent
    # Settled: loading again does not append it a second time.
    perf.load_tracking(tmp_path, repair=True)
    assert len(perf.load_snapshots(tmp_path)) == len(snapshots)


def test_append_refuses_a_snapshot_with_a_nan_value(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    before = (tmp_path / SNAPSHOTS).read_bytes()
    bad = snap(T0 + H)
    bad["asset_prices"] = {"BTC": float("nan")}
    with pytest.raises(ValueError, match=r"\$\.asset_prices\.BTC"):
        perf.append_snapshot(tmp_path, bad)
    assert (tmp_path / SNAPSHOTS).read_bytes() == before


def test_reset_with_the_clock_behind_the_newest_snapshot_is_recorded_in_order(
    tmp_path: Path,
) -> None:
    """NTP stepped the clock back: the reset still adds its snapshot, in order."""
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + 2 * H))
    config = perf.reset_tracking(tmp_path, portfolio(45_000), reason="clock", now=T0 + H)
    snapshots = perf.load_snapshots(tmp_path)
    assert [s["snapshot_type"] for s in snapshots[-2:]] == ["scheduled", "performance_reset"]
    assert snapshots[-1]["timestamp"] == perf.iso(T0 + 2 * H)
    assert config["performance_reset_history"][-1]["snapshot"] == snapshots[-1]
    assert config["tracking_start_date"] == perf.iso(T0 + 2 * H)
    assert perf.load_tracking(tmp_path).consistent


def test_interrupted_reset_is_completed_on_load(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.reset_tracking(tmp_path, portfolio(), reason="ok", now=T0 + H)
    good_snapshots = (tmp_path / SNAPSHOTS).read_bytes()
    config_before = read_json(tmp_path / PERFORMANCE_CONFIG)
    perf.reset_tracking(tmp_path, portfolio(50_000), reason="crash", now=T0 + 2 * H)
    # Roll the snapshots file back: the crash hit after the config's reset entry was committed.
    (tmp_path / SNAPSHOTS).write_bytes(good_snapshots)
    config = read_json(tmp_path / PERFORMANCE_CONFIG)
    config["last_snapshot_date"] = config_before["last_snapshot_date"]
    write_json(tmp_path / PERFORMANCE_CONFIG, config)
    tracking = perf.load_tracking(tmp_path, repair=True)
    assert any("re-appended" in p for p in tracking.problems)
    snapshots = perf.load_snapshots(tmp_path)
    assert snapshots[-1]["snapshot_type"] == "performance_reset"
    assert snapshots[-1]["timestamp"] == perf.iso(T0 + 2 * H)
    assert perf.load_tracking(tmp_path).consistent


# --------------------------------------------------------------------------- metrics


def test_metrics_total_return_drawdown_daily() -> None:
    values = [100.0, 120.0, 90.0, 110.0, 130.0]
    snaps = [snap(T0 + i * 24 * H + 12 * H, v) for i, v in enumerate(values)]
    snaps.insert(1, snap(T0 + 13 * H, 105.0))  # same day as the first: day close is 105
    m = perf.compute_metrics(snaps, now=T0 + 5 * 24 * H)
    assert m["total_return_pct"] == pytest.approx(30.0)
    assert m["total_return_eur"] == pytest.approx(30.0)
    assert m["max_drawdown_pct"] == pytest.approx(-25.0)
    assert m["max_drawdown_peak"] == perf.iso(T0 + 36 * H)
    assert m["max_drawdown_trough"] == perf.iso(T0 + 60 * H)
    daily = [d["return_pct"] for d in m["daily_returns"]]
    assert daily == pytest.approx(
        [120 / 105 * 100 - 100, -25.0, 110 / 90 * 100 - 100, 130 / 110 * 100 - 100]
    )
    assert m["daily_returns"][0]["date"] == "2024-01-02"
    assert m["snapshot_count"] == 6
    empty = perf.compute_metrics([])
    assert empty["snapshot_count"] == 0 and empty["total_return_pct"] is None


def test_periods() -> None:
    snaps = [snap(T0 + i * H, 100.0 + i) for i in range(24 * 10)]
    out = perf.compute_periods(snaps, now=T0 + 240 * H)["periods"]
    end = 100.0 + 239
    assert out["24h"]["start_value_eur"] == 100.0 + 215
    assert out["24h"]["return_pct"] == pytest.approx((end / 315 - 1) * 100)
    assert out["7d"]["complete"] is True
    assert out["30d"]["complete"] is False
    assert out["all"]["start_value_eur"] == 100.0
    assert perf.compute_periods([])["periods"]["7d"] is None


def test_update_metrics_counts_from_tracking_start(tmp_path: Path) -> None:
    perf.init_tracking(tmp_path, portfolio(declared=100.0), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + H, 50.0))
    perf.reset_tracking(tmp_path, portfolio(declared=50.0), reason="r", now=T0 + 2 * H)
    perf.append_snapshot(tmp_path, snap(T0 + 3 * H, 75.0))
    metrics = perf.update_metrics(tmp_path, now=T0 + 4 * H)
    assert metrics["snapshot_count"] == 2
    assert metrics["total_return_pct"] == pytest.approx(50.0)
    assert read_json(tmp_path / PERFORMANCE_METRICS) == metrics
    assert read_json(tmp_path / PERFORMANCE_PERIODS)["periods"]["all"]["start_value_eur"] == 50.0


def test_failed_replace_changes_neither_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from core.errors import WriteFailed

    perf.init_tracking(tmp_path, portfolio(), now=T0)
    perf.append_snapshot(tmp_path, snap(T0 + H))
    before = ((tmp_path / SNAPSHOTS).read_bytes(), (tmp_path / PERFORMANCE_CONFIG).read_bytes())
    real_replace = os.replace

    def failing(src: str, dst: str) -> None:
        if str(dst).endswith("portfolio_snapshots.json"):
            raise OSError(errno.ENOSPC, "injected ENOSPC")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(WriteFailed, match="injected ENOSPC"):
        perf.append_snapshot(tmp_path, snap(T0 + 2 * H))
    monkeypatch.setattr(os, "replace", real_replace)
    after = ((tmp_path / SNAPSHOTS).read_bytes(), (tmp_path / PERFORMANCE_CONFIG).read_bytes())
    assert after == before
    assert perf.load_tracking(tmp_path).consistent
