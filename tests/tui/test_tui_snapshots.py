"""Snapshot tests (pytest-textual-snapshot): frozen clock, fixed host/root label, pinned disk.

Regenerate with ``pytest tests/tui/test_tui_snapshots.py --snapshot-update`` after a
deliberate change, look at the SVGs, then run without the flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from textual.pilot import Pilot
from textual.widgets import DataTable

from core.standard import layout
from tui.app import BotstoreApp
from tui.screens.detail import DetailScreen
from tui.testing import FROZEN, break_tree, build_frozen_demo, stable_app_kwargs, wait_until
from tui.widgets.base import Panel
from tui.widgets.health_panel import HealthPanel
from tui.widgets.logs_panel import LogsPanel


@pytest.fixture
def frozen() -> Iterator[None]:
    # time.time() (scanner ages, datetime.now) is frozen; monotonic clocks keep running.
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def healthy_root(tmp_path: Path, frozen: None) -> Path:
    return build_frozen_demo(tmp_path / "bot")


@pytest.fixture
def broken_root(healthy_root: Path) -> Path:
    break_tree(healthy_root)
    return healthy_root


async def _scanned(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, BotstoreApp)
    await wait_until(
        lambda: (
            app.report is not None
            and app.dashboard.query_one("#logs", Panel).rendered_at is not None
            and app.dashboard.query_one(LogsPanel).lines_seen > 0
            and app.focused is not None
        )
    )
    # DataTables size their auto-width columns when idle: wait until every one has
    await wait_until(
        lambda: (
            not any(
                t._require_update_dimensions or t._new_rows for t in app.dashboard.query(DataTable)
            )
        )
    )
    await pilot.pause()


def _detail(path: str) -> Callable[[Pilot[Any]], Any]:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, BotstoreApp)
        await _scanned(pilot)
        app.open_detail(path)
        await wait_until(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
        )
        await pilot.pause()

    return run


def test_main_screen_healthy_wide(snap_compare: Any, healthy_root: Path) -> None:
    app = BotstoreApp(healthy_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(160, 50), run_before=_scanned)


def test_main_screen_healthy_80x24(snap_compare: Any, healthy_root: Path) -> None:
    app = BotstoreApp(healthy_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_scanned)


def test_main_screen_broken_wide(snap_compare: Any, broken_root: Path) -> None:
    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(160, 50), run_before=_scanned)


def test_main_screen_broken_80x24(snap_compare: Any, broken_root: Path) -> None:
    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(80, 24), run_before=_scanned)


def test_main_screen_broken_120x36(snap_compare: Any, broken_root: Path) -> None:
    """Two panels side by side; the selected finding with its fix."""
    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(120, 36), run_before=_scanned)


def test_main_screen_broken_200x60(snap_compare: Any, broken_root: Path) -> None:
    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(200, 60), run_before=_scanned)


def test_main_screen_broken_16_colours(snap_compare: Any, broken_root: Path) -> None:
    """What a TERM=linux console gets: the 16-colour palette."""
    app = BotstoreApp(broken_root, **{**stable_app_kwargs(), "colors": 16})
    assert snap_compare(app, terminal_size=(80, 24), run_before=_scanned)


def test_fix_modal_80x24(snap_compare: Any, broken_root: Path) -> None:
    """``a`` on the truncated portfolio: the restore preview, one key from applied."""

    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, BotstoreApp)
        await _scanned(pilot)
        panel = app.dashboard.query_one(HealthPanel)
        row = next(i for i, f in enumerate(panel.shown) if f.path == layout.PORTFOLIO)
        panel.query_one(DataTable).move_cursor(row=row)
        await pilot.press("a")
        await wait_until(lambda: type(app.screen).__name__ == "ConfirmActionScreen")
        await pilot.pause()

    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(80, 24), run_before=run)


def test_detail_view_portfolio_diff(snap_compare: Any, healthy_root: Path) -> None:
    app = BotstoreApp(healthy_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(120, 40), run_before=_detail(layout.PORTFOLIO))


def test_detail_view_schema_violation(snap_compare: Any, broken_root: Path) -> None:
    app = BotstoreApp(broken_root, **stable_app_kwargs())
    assert snap_compare(app, terminal_size=(100, 30), run_before=_detail(layout.LATEST_DECISIONS))
