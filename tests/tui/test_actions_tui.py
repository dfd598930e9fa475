"""Pilot tests: every recovery action driven through the TUI's chooser and confirmation modal.

Set ``BOTSTORE_SCREENSHOTS=1`` to (re)write ``screenshots/actions_*.svg|png``.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import orjson
import pytest
from actions_testkit import tree_state
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from core.actions.base import Change, Plan, Skipped, Step
from core.standard import layout
from tui.app import BotstoreApp
from tui.screens.confirm_action import ChooseActionScreen, ConfirmActionScreen, plan_text
from tui.testing import build_frozen_demo, stable_app_kwargs, wait_until
from tui.widgets.health_panel import HealthPanel

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def run_async(func: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(func(*args, **kwargs))

    return wrapper


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A frozen demo tree with a portfolio failing its schema (and a secret in it), a loose
    mode, and a symlink pointing out of the root."""
    base = build_frozen_demo(tmp_path / "bot")
    path = base / layout.PORTFOLIO
    stat = path.stat()
    data = orjson.loads(path.read_bytes())
    data["trades_executed"] = "many"
    data["exchange_api_key"] = "sk-live-do-not-show"
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    os.utime(path, (stat.st_atime, stat.st_mtime))
    (base / layout.PERFORMANCE_METRICS).chmod(0o666)
    (base / "logs" / "supervisor.log").chmod(0o666)
    (base / "data" / "cache" / "shared_keys.json").symlink_to("/srv/shared/exchange_keys.json")
    return base


def make_app(root: Path, **kwargs: Any) -> BotstoreApp:
    return BotstoreApp(root, **{**stable_app_kwargs(), **kwargs})


async def ready(app: BotstoreApp, pilot: Pilot[Any]) -> None:
    await wait_until(lambda: app.report is not None)
    await pilot.pause()


async def select_finding(app: BotstoreApp, pilot: Pilot[Any], path: str) -> None:
    app.dashboard.show_panel("health")
    panel = app.dashboard.query_one(HealthPanel)
    await wait_until(lambda: any(f.path == path for f in panel.shown))
    row = next(i for i, f in enumerate(panel.shown) if f.path == path)
    panel.query_one(DataTable).move_cursor(row=row)
    await pilot.pause()
    assert panel.selected_path() == path


async def choose(app: BotstoreApp, pilot: Pilot[Any], key: str) -> ConfirmActionScreen:
    await pilot.press("A")
    await wait_until(lambda: isinstance(app.screen, ChooseActionScreen))
    options = app.screen.query_one(OptionList)
    index = next(i for i in range(options.option_count) if options.get_option_at_index(i).id == key)
    options.highlighted = index
    await pilot.press("enter")
    await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConfirmActionScreen)
    return screen


async def confirm(app: BotstoreApp, pilot: Pilot[Any], screen: ConfirmActionScreen) -> None:
    await pilot.press("y")
    await wait_until(lambda: screen.result is not None, timeout=30)
    await pilot.pause()
    assert screen.result is not None
    assert screen.result.ok, screen.result.render()
    updates = app.updates
    await pilot.press("escape")
    await wait_until(lambda: app.screen is app.dashboard)
    # Closing asks the app to rescan; let that finish (the panels show the new state).
    await wait_until(lambda: app.updates > updates and not app.scans.busy, timeout=30)
    await pilot.pause()


def save(name: str, svg: str, tmp_path: Path) -> None:
    (tmp_path / f"{name}.svg").write_text(svg, encoding="utf-8")
    if os.environ.get("BOTSTORE_SCREENSHOTS"):
        import cairosvg

        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / f"{name}.svg").write_text(svg, encoding="utf-8")
        cairosvg.svg2png(
            bytestring=svg.encode(), write_to=str(SCREENSHOTS / f"{name}.png"), output_width=2000
        )


@run_async
async def test_restore_from_finding_through_modal(root: Path, tmp_path: Path) -> None:
    backup = (root / (layout.PORTFOLIO + ".bak")).read_bytes()
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        await select_finding(app, pilot, layout.PORTFOLIO)
        await pilot.press("A")
        await wait_until(lambda: isinstance(app.screen, ChooseActionScreen))
        options = app.screen.query_one(OptionList)
        assert options.get_option_at_index(0).id == "fit-restore"  # the fitting action first
        await pilot.press("escape")
        screen = await choose(app, pilot, "fit-restore")
        text = str(screen.query_one("#confirm-plan-text").render())
        assert "trades_executed" in text and "[REDACTED]" in text
        assert "sk-live-do-not-show" not in text
        save("actions_restore_modal", app.export_screenshot(title="botstore restore"), tmp_path)
        assert (root / layout.PORTFOLIO).read_bytes() != backup  # nothing changed yet
        await confirm(app, pilot, screen)
    assert (root / layout.PORTFOLIO).read_bytes() == backup


@run_async
async def test_fix_permissions_preview_and_apply(root: Path, tmp_path: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        screen = await choose(app, pilot, "fix-permissions")
        text = str(screen.query_one("#confirm-plan-text").render())
        assert "performance_metrics.json" in text and "666 → 640" in text
        assert "shared_keys.json" in text and "symlink" in text
        save(
            "actions_fix_permissions",
            app.export_screenshot(title="botstore fix-permissions"),
            tmp_path,
        )
        await confirm(app, pilot, screen)
    assert (root / layout.PERFORMANCE_METRICS).stat().st_mode & 0o777 == 0o640
    assert (root / "logs" / "supervisor.log").stat().st_mode & 0o777 == 0o644


@run_async
async def test_fitting_fix_for_one_file(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        await select_finding(app, pilot, layout.PERFORMANCE_METRICS)
        screen = await choose(app, pilot, "fit-fix-permissions")
        assert screen.plan.paths == [layout.PERFORMANCE_METRICS]
        await confirm(app, pilot, screen)
    assert (root / "logs" / "supervisor.log").stat().st_mode & 0o777 == 0o666


@pytest.mark.parametrize(
    "key", ["cleanup", "clean-temp", "migrate", "snapshot", "reset-tracking", "verify-backups"]
)
@run_async
async def test_every_action_goes_through_the_modal(root: Path, key: str) -> None:
    portfolio = root / layout.PORTFOLIO
    portfolio.write_bytes((root / (layout.PORTFOLIO + ".bak")).read_bytes())
    temp = root / "data" / ".portfolio.json.0123456789ab.tmp"
    temp.write_bytes(b"left by a crash")
    os.utime(temp, (1_000_000_000, 1_000_000_000))
    snapshots = root / layout.SNAPSHOTS
    wrapped = {"version": "1.0", "snapshots": orjson.loads(snapshots.read_bytes())}
    snapshots.write_bytes(orjson.dumps(wrapped))  # the old wrapped form: a migration is due
    (root / "logs" / "daily_report_20200101.txt").write_text("old\n")
    os.utime(root / "logs" / "daily_report_20200101.txt", (1_000_000_000, 1_000_000_000))
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        before = tree_state(root)
        screen = await choose(app, pilot, key)
        if key == "verify-backups":
            assert not screen.can_apply
            await pilot.press("y")  # refused: verification only
            await pilot.press("escape")
            await wait_until(lambda: app.screen is app.dashboard)
            assert tree_state(root) == before
            return
        assert screen.can_apply, screen.plan.render()
        assert tree_state(root) == before  # previewing changed nothing
        await confirm(app, pilot, screen)
        assert tree_state(root) != before


@run_async
async def test_cancel_changes_nothing(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        before = tree_state(root)
        await select_finding(app, pilot, layout.PORTFOLIO)
        screen = await choose(app, pilot, "fit-restore")
        await pilot.press("enter")  # focus starts on Cancel: a stray Enter never applies
        await wait_until(lambda: app.screen is app.dashboard)
        assert screen.result is None
        assert tree_state(root) == before


@run_async
async def test_read_only_offers_no_actions(root: Path) -> None:
    app = make_app(root, read_only=True)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        before = tree_state(root)
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is app.dashboard
        assert app.actions_for(layout.PORTFOLIO) == []
        assert tree_state(root) == before


@run_async
async def test_actions_from_the_detail_view(root: Path) -> None:
    from tui.screens.detail import DetailScreen

    backup = (root / (layout.PORTFOLIO + ".bak")).read_bytes()
    app = make_app(root)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(app, pilot)
        app.open_detail(layout.PORTFOLIO)
        await wait_until(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
        )
        detail = app.screen
        assert "Restore data/portfolio.json" in str(
            detail.query_one("#detail-body").border_subtitle
        )
        await pilot.press("a")  # the best fix of the file's worst finding: restore
        await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmActionScreen) and screen.plan.action == "restore"
        await pilot.press("y")
        await wait_until(lambda: screen.result is not None, timeout=30)
        updates = app.updates
        await pilot.press("escape")
        await wait_until(lambda: app.screen is detail)
        await wait_until(lambda: app.updates > updates and not app.scans.busy, timeout=30)
        await pilot.pause()
    assert (root / layout.PORTFOLIO).read_bytes() == backup


def _line_styles(plan: Plan) -> list[tuple[str, str]]:
    text = plan_text(plan)
    assert text.plain == plan.render() + "\n"  # the CLI's preview text, unchanged
    return [(line.plain, str(line.spans[0].style) if line.spans else "") for line in text.split()]


def test_the_plan_preview_is_coloured_by_what_each_line_shows(tmp_path: Path) -> None:
    """Each line takes the colour of the plan element it renders (Change.kind, errors, notes),
    whatever its text looks like."""
    plan = Plan(
        action="restore",
        root=tmp_path,
        summary="- looks like a removal",
        steps=[
            Step("replace", layout.PORTFOLIO, detail="+ not an addition"),
            Step("chmod", "~weird", mode_before=0o666, mode_after=0o640),
        ],
        diff=[
            Change("cash", "1", "2"),
            Change("new", "", "3", kind="added"),
            Change("old", "4", "", kind="removed"),
        ],
        skipped=[Skipped("data/cache/link.json", "symlink")],
        notes=["ERROR is only a word in this note"],
        errors=["invalid backup\n+ forged line"],
    )
    rows = _line_styles(plan)
    assert [style for _, style in rows] == [
        "bold",  # heading
        "",  # steps
        "",
        "",  # "field changes" heading
        "yellow",
        "green",
        "red",
        "dim",  # skipped
        "dim",  # note
        "bold red",  # error (its newline escaped: still one line)
    ]
    assert rows[-1][0] == "  ERROR: invalid backup\\n+ forged line"
    empty = _line_styles(Plan(action="verify-backups", root=tmp_path))
    assert empty == [("verify-backups: 0 step(s)", "bold"), ("  nothing to do", "")]
