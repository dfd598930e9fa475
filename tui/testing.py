"""Helpers for the TUI's tests, snapshot baselines, screenshots and benchmark.

A demo tree pinned to a fixed instant (contents *and* mtimes), a way to break
it the way real trees break, and a report hook that pins the machine-dependent
disk figures — together they make screenshots identical on every machine.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.health.report import DiskSummary, HealthReport
from core.standard import layout

if TYPE_CHECKING:
    from tui.app import BotstoreApp

FROZEN: Final = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
FROZEN_TS: Final = FROZEN.timestamp()
HOST: Final = "bot-host-01"
ROOT_LABEL: Final = "~/tradingbot"
GIB: Final = 1024**3


def frozen_clock() -> float:
    return FROZEN_TS


def build_frozen_demo(root: Path, now: datetime = FROZEN) -> Path:
    """``build_demo_tree`` at ``now``, then every mtime pulled to at most ``now`` - 5 s."""
    from core.demo import build_demo_tree

    build_demo_tree(root, now=now, seed=0, force=True)
    limit = now.timestamp()
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory) / name
            st = path.lstat()
            if st.st_mtime > limit:
                os.utime(path, (limit - 5, limit - 5), follow_symlinks=False)
    return root


def truncate_portfolio(root: Path) -> None:
    """What a crash mid-write without atomic rename leaves: half a JSON document."""
    path = root / layout.PORTFOLIO
    payload = path.read_bytes()
    stat = path.stat()
    with path.open("r+b") as handle:
        handle.truncate(len(payload) // 2)
    os.utime(path, (stat.st_atime, stat.st_mtime))


def break_tree(root: Path) -> None:
    """A tree with one problem of each panel's kind (deterministic, mtimes kept)."""
    truncate_portfolio(root)
    decisions = root / layout.LATEST_DECISIONS
    stat = decisions.stat()
    decisions.write_text('{"version": "1.0", "decisions": "not-a-list"}', encoding="utf-8")
    os.utime(decisions, (stat.st_mtime, stat.st_mtime))
    (root / layout.PERFORMANCE_METRICS).chmod(0o666)
    secret = root / "data/cache/exchange_credentials.json"
    secret.write_text('{"api_key": "sk-live-123", "api_secret": "hunter2"}', encoding="utf-8")
    secret.chmod(0o644)
    os.utime(secret, (stat.st_mtime, stat.st_mtime))


def configure_cloud(root: Path, bucket: str = "bot-backups", every: str = "15m") -> None:
    """A ``[cloud]`` table in ``<root>/botstore.toml`` (mtime kept at or before the tree's)."""
    path = root / layout.CONFIG_NAME
    path.write_text(f'[cloud]\nbucket = "{bucket}"\nevery = "{every}"\n', encoding="utf-8")
    _pin_mtime(path, (root / layout.PORTFOLIO).stat().st_mtime)


def write_cloud_status(
    root: Path,
    *,
    ok: bool,
    success_age_s: float | None,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """What ``botstore sync`` records after a run (``core.cloud.sync`` status file, atomic)."""
    from core.cloud.sync import STATUS_FILE
    from core.storage.write import write_json

    moment = now or datetime.now(UTC)
    success = None if success_age_s is None else moment - timedelta(seconds=success_age_s)
    path = root / STATUS_FILE
    write_json(
        path,
        {
            "last_attempt": moment.isoformat(timespec="seconds"),
            "last_success": success.isoformat(timespec="seconds") if success else None,
            "ok": ok,
            "error": error,
            "bucket": "bot-backups",
            "uploaded": 3 if ok else 0,
        },
        backup=False,
    )
    if now is not None:  # a frozen tree: no file from the future
        _pin_mtime(path, now.timestamp())


def _pin_mtime(path: Path, limit: float) -> None:
    if path.stat().st_mtime > limit:
        os.utime(path, (limit - 5, limit - 5))


def pin_disk(report: HealthReport) -> HealthReport:
    """Replace the filesystem figures (free space differs per machine) with fixed ones."""
    if report.disk is not None:
        report.disk = dataclasses.replace(
            report.disk,
            fs_total=200 * GIB,
            fs_free=120 * GIB,
            growth_bytes_per_s=None,
            time_to_full_s=None,
        )
    report.findings = [f for f in report.findings if f.code != "disk"]
    return report


def stable_app_kwargs() -> dict[str, Any]:
    """Constructor arguments that make the dashboard render identically everywhere."""
    return {
        "clock": frozen_clock,
        "host": HOST,
        "root_label": ROOT_LABEL,
        "watch": False,
        "refresh_interval": None,
        "show_timings": False,
        "report_hook": pin_disk,
        "animate": False,
        "colors": 1 << 24,  # truecolour whatever TERM says (tests/test_tui_palette.py: 16)
    }


def fixed_disk(tree_bytes: int) -> DiskSummary:
    return DiskSummary(
        tree_bytes=tree_bytes,
        by_top_dir={},
        fs_total=200 * GIB,
        fs_free=120 * GIB,
        growth_bytes_per_s=None,
        time_to_full_s=None,
    )


async def wait_until(
    predicate: Callable[[], bool], timeout: float = 10.0, step: float = 0.01
) -> float:
    """Await ``predicate`` with short sleeps; returns the seconds waited, raises on timeout."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"condition not met within {timeout} s")
        await asyncio.sleep(step)
    return time.monotonic() - started


# --------------------------------------------------------------------------- Pilot tests


def run_async(func: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """No asyncio pytest plugin here: each test drives its own event loop."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(func(*args, **kwargs))

    return wrapper


def make_app(root: Path, **kwargs: Any) -> BotstoreApp:
    """The app on ``root`` with the fixed host and root label, no watcher, no periodic rescan."""
    from tui.app import BotstoreApp

    options: dict[str, Any] = {
        "host": HOST,
        "root_label": ROOT_LABEL,
        "watch": False,
        "refresh_interval": None,
        "colors": 1 << 24,  # whatever TERM the test runner has (colors=None: detect)
    }
    options.update(kwargs)
    return BotstoreApp(root, **options)


def header_text(app: BotstoreApp) -> str:
    """The status bar as plain text (both lines)."""
    from tui.widgets.header import StatusHeader

    return str(app.dashboard.query_one(StatusHeader).render())
