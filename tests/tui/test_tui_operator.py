"""The operator's path through the TUI (issue 15): finding -> fix in few keys, the detail view
leading with the finding, grouped help, keys, logs, disk drill-down, 16 colours, no TTY."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.color import ColorSystem
from rich.style import Style
from textual.color import Color
from textual.command import CommandInput, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, OptionList, Static

from core.actions import catalog
from core.demo import build_demo_tree
from core.standard import layout
from tui.app import BotstoreApp
from tui.formatting import SEVERITY_STYLE, SEVERITY_WORD
from tui.screens.confirm_action import ChooseActionScreen, ConfirmActionScreen
from tui.screens.detail import DetailScreen
from tui.testing import make_app, run_async, truncate_portfolio, wait_until
from tui.widgets.disk_panel import DiskPanel, DiskTable
from tui.widgets.file_table import FileTable, sort_key
from tui.widgets.health_panel import HealthPanel
from tui.widgets.logs_panel import LogPicker, LogsPanel, LogView, level_style, pager_command

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A fresh demo tree (now: nothing is stale) with a truncated portfolio."""
    base = tmp_path / "bot"
    build_demo_tree(base, seed=0)
    truncate_portfolio(base)
    return base


@pytest.fixture
def broken(root: Path) -> Path:
    """Several findings with different fixes."""
    (root / layout.PERFORMANCE_METRICS).chmod(0o666)
    temp = root / "data" / ".portfolio.json.0123456789ab.tmp"
    temp.write_bytes(b"left by a crash")
    os.utime(temp, (1_000_000_000, 1_000_000_000))
    decisions = root / layout.LATEST_DECISIONS
    os.utime(decisions, (1_000_000_000, 1_000_000_000))
    return root


async def ready(app: BotstoreApp, pilot: Pilot[Any]) -> None:
    await wait_until(lambda: app.report is not None)
    await pilot.pause()


async def select(app: BotstoreApp, pilot: Pilot[Any], row: int) -> None:
    app.dashboard.show_panel("health")
    app.dashboard.query_one(HealthPanel).query_one(DataTable).move_cursor(row=row)
    await pilot.pause()


def text_of(widget: Static) -> str:
    return str(widget.render())


@run_async
async def test_three_keys_from_the_first_screen_to_a_restored_file(root: Path) -> None:
    backup = (root / (layout.PORTFOLIO + ".bak")).read_bytes()
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        panel = app.dashboard.query_one(HealthPanel)
        assert app.focused is panel.query_one(DataTable)  # the panel has focus
        assert panel.selected_finding() is not None
        assert panel.selected_finding().path == layout.PORTFOLIO  # type: ignore[union-attr]
        shown = text_of(panel.query_one("#finding-detail", Static))
        assert "fix: Restore data/portfolio.json from its .bak" in shown
        assert "botstore restore data/portfolio.json" in shown
        assert app.screen.active_bindings["a"].binding.description == "Fix"
        keys = ["a", "y"]
        await pilot.press(keys[0])
        await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmActionScreen) and screen.plan.action == "restore"
        await pilot.press(keys[1])
        await wait_until(lambda: screen.result is not None, timeout=30)
        await pilot.pause()
        assert len(keys) <= 3
        assert screen.result is not None and screen.result.ok
        assert (root / layout.PORTFOLIO).read_bytes() == backup  # restored
        # the modal says what happened, not "nothing changed yet"
        assert "applied" in str(screen.query_one("#confirm-plan").border_title)
        assert "Applied" in str(screen.query_one("#confirm-apply", Button).label)
        assert not screen.can_apply


@run_async
async def test_each_finding_offers_its_own_fix_first(broken: Path) -> None:
    app = make_app(broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        panel = app.dashboard.query_one(HealthPanel)
        codes: set[str] = set()
        for row, finding in enumerate(list(panel.shown)):
            await select(app, pilot, row)
            best = catalog.best_fix(broken, finding)
            await pilot.press("a")
            if best is None:
                await wait_until(lambda: isinstance(app.screen, ChooseActionScreen))
            elif best.kind == "log":
                await wait_until(lambda: app.dashboard.active_panel().id == "logs")
                assert app.dashboard.query_one(LogsPanel).log_path == best.path
                codes.add(finding.code)
                continue
            else:
                await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
                screen = app.screen
                assert isinstance(screen, ConfirmActionScreen)
                assert screen.plan.action == best.action, finding
                codes.add(finding.code)
                await pilot.press("o")  # the others: the chooser, the fitting ones first
                await wait_until(lambda: isinstance(app.screen, ChooseActionScreen))
                options = app.screen.query_one(OptionList)
                assert options.get_option_at_index(0).id == f"fit-{best.action}"
            await pilot.press("escape")
            await wait_until(lambda: app.screen is app.dashboard)
        assert codes >= {"invalid_json", "permissions", "temp_leftover", "stale"}


@run_async
async def test_missing_bak_gets_a_fresh_copy_through_the_tui(tmp_path: Path) -> None:
    base = tmp_path / "bot"
    build_demo_tree(base, seed=0)
    bak = base / (layout.PORTFOLIO + ".bak")
    bak.unlink()
    app = make_app(base)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        panel = app.dashboard.query_one(HealthPanel)
        row = next(i for i, f in enumerate(panel.shown) if f.code == "backup")
        await select(app, pilot, row)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmActionScreen) and screen.plan.action == "refresh-backup"
        await pilot.press("y")
        await wait_until(lambda: screen.result is not None, timeout=30)
    assert bak.read_bytes() == (base / layout.PORTFOLIO).read_bytes()


@run_async
async def test_the_palette_finds_every_action_by_name(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        for spec in catalog.ACTIONS:
            await pilot.press("colon")
            await wait_until(lambda: isinstance(app.screen, CommandPalette))
            palette = app.screen
            palette.query_one(CommandInput).value = spec.name  # as if typed

            def found(palette: Any = palette, name: str = spec.name) -> bool:
                options = palette.query_one(OptionList)
                prompts = [
                    str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
                ]
                return any(f"Action: {name} " in p for p in prompts)

            await wait_until(found)
            await pilot.press("escape")
            await wait_until(lambda: app.screen is app.dashboard)
        # the finding's own fix is there too, by its file
        await pilot.press("colon")
        await pilot.press(*"fix invalid_json")
        palette = app.screen
        await wait_until(
            lambda: any(
                "Restore data/portfolio.json" in str(o.prompt)
                for o in palette.query_one(OptionList)._options
            )
        )


@run_async
async def test_detail_view_starts_with_the_findings_as_listed(broken: Path) -> None:
    (broken / (layout.PORTFOLIO + ".bak")).unlink()  # + a missing .bak (WARN in the list)
    app = make_app(broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        assert app.report is not None
        kinds: set[str] = set()
        for finding in app.report.findings:
            if finding.code in kinds:
                continue
            kinds.add(finding.code)
            app.open_detail(finding.path)
            await wait_until(
                lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
            )
            await pilot.pause()
            screen = app.screen
            body = screen.query_one("#detail-body")
            assert body.children[0].id == "detail-findings"  # first
            shown = text_of(screen.query_one("#detail-findings", Static))
            assert f"{finding.severity.symbol} {SEVERITY_WORD[finding.severity]}" in shown
            assert finding.message in shown
            if finding.code == "backup":
                assert "CRIT" not in shown  # the list says WARN: so does the detail view
            assert body.children[-1].id == "detail-fixes"  # the fix comes last
            await pilot.press("escape")
            await wait_until(lambda: app.screen is app.dashboard)
        assert kinds >= {"invalid_json", "permissions", "temp_leftover", "stale", "backup"}


@run_async
async def test_help_has_contexts_and_no_duplicate_key(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        for panel in ("health", "disk", "logs"):
            app.dashboard.show_panel(panel)
            await pilot.pause()
            groups = app.binding_help()
            titles = [title for title, _ in groups]
            assert titles[0] == "Global" and titles[1].startswith("Panel: ")
            assert "Detail view" in titles and any("modal" in t for t in titles)
            for title, rows in groups:
                keys = [k for names, _ in rows for k in names.split()]
                assert len(keys) == len(set(keys)), (title, keys)
                descriptions = [d for _, d in rows]
                assert len(descriptions) == len(set(descriptions)), (title, descriptions)
            every = [k for _, rows in groups[:2] for names, _ in rows for k in names.split()]
            assert "super+c" not in every and every.count("tab") == 1


@run_async
async def test_ctrl_c_quits_but_asks_while_an_action_applies(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmActionScreen)
        screen.busy = True  # what action_confirm sets while the worker applies
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running  # asked, not quit
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert app.return_code == 0

    quiet = make_app(root)
    async with quiet.run_test(size=(80, 24)) as pilot:
        await ready(quiet, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert quiet.return_code == 0 and not quiet.is_running


@run_async
async def test_j_k_g_move_the_cursor(broken: Path) -> None:
    app = make_app(broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        table = app.dashboard.query_one(HealthPanel).query_one(DataTable)
        assert table.row_count > 2
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("c")  # copy the selected file's path
        assert app.clipboard == app.dashboard.query_one(HealthPanel).selected_path()


@run_async
async def test_s_sorts_every_table(broken: Path) -> None:
    app = make_app(broken)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        for panel_id in ("alerts", "permissions", "history"):
            app.dashboard.show_panel(panel_id)
            await pilot.pause()
            table = app.focused
            assert isinstance(table, FileTable), panel_id
            before = sorted(str(table.get_row_at(i)) for i in range(table.row_count))
            for column in range(min(3, len(table.columns))):
                await pilot.press("s")
                await pilot.pause()
                assert table.sort_column == column
                cells = [table.get_row_at(i)[column] for i in range(table.row_count)]
                assert cells == sorted(cells, key=sort_key), (panel_id, column)
                assert "▼" in str(list(table.columns.values())[column].label)
            after = sorted(str(table.get_row_at(i)) for i in range(table.row_count))
            assert before == after  # same rows, other order
        app.dashboard.show_panel("disk")
        await pilot.pause()
        disk = app.dashboard.query_one(DiskPanel)
        await pilot.press("s")
        assert disk.sort == "name"
        assert [e.name for e in disk.entries] == sorted(e.name for e in disk.entries)
        app.dashboard.show_panel("health")
        await pilot.press("s")
        assert app.dashboard.query_one(HealthPanel).sort_key == "path"


@run_async
async def test_logs_colour_filter_follow_and_picker(root: Path) -> None:
    log = root / layout.SUPERVISOR_LOG
    with log.open("a", encoding="utf-8") as handle:
        handle.write("2026-01-01 12:00:00 ERROR exchange timeout\n")
        handle.write("2026-01-01 12:00:01 WARNING retrying\n")
    (root / "logs" / "supervisor.log.1").write_text("2025-12-31 23:59:59 INFO rotated line\n")
    assert level_style("x ERROR y") == "bold red" and level_style("x WARNING y") == "yellow"
    assert level_style("x INFO y") == ""
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("7")
        panel = app.dashboard.query_one(LogsPanel)
        await wait_until(lambda: any("ERROR" in line for line in panel.lines))
        # "/" filters the log pane too
        await pilot.press("slash", *"ERROR", "enter")
        await wait_until(lambda: panel.filter == "ERROR")
        shown = panel.shown_lines()
        assert shown and all("ERROR" in line for line in shown)
        assert len(panel.query_one(LogView).lines) == len(shown)
        await pilot.press("escape")
        await wait_until(lambda: panel.filter == "")
        # f pauses following, f again resumes
        app.dashboard.show_panel("logs")
        await pilot.press("f")
        assert panel.follow is False and panel.query_one(LogView).auto_scroll is False
        assert "PAUSED" in text_of(panel.query_one("#log-title", Static))
        await pilot.press("f")
        assert panel.follow is True
        # l: the picker lists rotated logs, daily reports and the audit log
        (root / layout.ACTIONS_LOG).write_text('{"action": "restore"}\n')
        await pilot.press("l")
        await wait_until(lambda: isinstance(app.screen, LogPicker))
        picker = app.screen
        assert isinstance(picker, LogPicker)
        assert {"logs/supervisor.log.1", layout.ACTIONS_LOG, "logs/daily_report.log"} <= set(
            picker.logs
        )
        picker.query_one(OptionList).highlighted = picker.logs.index("logs/supervisor.log.1")
        await pilot.press("enter")
        await wait_until(lambda: any("rotated line" in line for line in panel.lines))
        assert panel.log_path == "logs/supervisor.log.1"
    assert pager_command(Path("/x.log"), "less") == ["less", "-R", "+G", "/x.log"]
    assert pager_command(Path("/x.log"), "most -s") == ["most", "-s", "/x.log"]


@run_async
async def test_disk_drill_down(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("5")
        await pilot.pause()
        panel = app.dashboard.query_one(DiskPanel)
        table = panel.query_one(DiskTable)
        assert app.focused is table
        names = [e.name for e in panel.entries]
        assert "data" in names and "logs" in names
        assert panel.entries == sorted(panel.entries, key=lambda e: -e.size)  # biggest first
        table.move_cursor(row=names.index("data"))
        await pilot.press("enter")
        await pilot.pause()
        assert panel.cwd == "data"
        assert "portfolio.json" in [e.name for e in panel.entries]
        assert app.report is not None
        assert sum(e.size for e in panel.entries) == sum(
            f.size for f in app.report.files if f.path.startswith("data/")
        )
        await pilot.press("backspace")
        await pilot.pause()
        assert panel.cwd == ""
        body = text_of(panel.query_one("#disk-body", Static))
        assert "by kind" in body and "json" in body and "quarantine" in body


@run_async
async def test_sixteen_colours_criticals_red_warnings_yellow_focus_not_red(root: Path) -> None:
    def ansi(color: Color) -> int:
        number = color.rich_color.downgrade(ColorSystem.STANDARD).number
        assert number is not None
        return number

    red, yellow = {1, 9}, {3, 11}
    app = make_app(root, colors=16)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.theme == "botstore-16"
        variables = app.theme_variables
        assert ansi(Color.parse(variables["error"])) in red
        assert ansi(Color.parse(variables["warning"])) in yellow
        panel = app.dashboard.query_one(HealthPanel)
        focus_border = panel.styles.border_top[1]
        assert ansi(focus_border) not in red | yellow
        for severity, word in (("critical", red), ("warning", yellow)):
            style = Style.parse(next(v for k, v in SEVERITY_STYLE.items() if k == severity))
            assert style.color is not None
            assert style.color.downgrade(ColorSystem.STANDARD).number in word
    default = make_app(root, colors=1 << 24)
    assert default.theme != "botstore-16"


def test_sixteen_colours_are_detected_from_term(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERM", "linux")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    assert make_app(root, colors=None).theme == "botstore-16"
    monkeypatch.setenv("COLORTERM", "truecolor")
    assert make_app(root, colors=None).theme != "botstore-16"


def test_without_a_terminal_botstore_refuses_with_exit_3(root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "core.cli.main", "--root", str(root)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 3
    assert "needs a terminal" in proc.stderr and "botstore check" in proc.stderr
    assert proc.stdout == ""  # no escape codes in the cron mail
    assert "\x1b" not in proc.stderr


@run_async
async def test_palette_shows_markup_in_file_names_literally(root: Path) -> None:
    hostile = root / "data" / "cache" / "[red]evil.json"
    hostile.write_text("{}", encoding="utf-8")
    hostile.chmod(0o666)
    app = make_app(root)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        await pilot.press("colon")
        await wait_until(lambda: isinstance(app.screen, CommandPalette))
        palette = app.screen
        palette.query_one(CommandInput).value = "evil"

        def shown() -> list[str]:
            options = palette.query_one(OptionList)
            return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]

        await wait_until(lambda: any("evil" in p for p in shown()))
        assert any("[red]evil.json" in p for p in shown()), shown()


@run_async
async def test_alike_findings_are_one_row_whose_fix_covers_them_all(tmp_path: Path) -> None:
    """Seven JSON files at 644 are one row ("7 files: …"), and ``a`` + ``y`` fixes exactly
    those seven — the grouped finding of ``check``, in the TUI."""
    base = tmp_path / "bot"
    build_demo_tree(base, seed=0)
    loose = sorted(p for p in (base / "data").rglob("*.json") if ".quarantine" not in p.parts)[:7]
    for path in loose:
        path.chmod(0o644)
    app = make_app(base)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        panel = app.dashboard.query_one(HealthPanel)
        perms = [i for i, g in enumerate(panel.row_groups) if g is not None]
        assert len(perms) == 1 and len(panel.shown) == 1  # one row, not seven
        group = panel.row_groups[perms[0]]
        assert group is not None and group.count == 7 and group.code == "permissions"
        await select(app, pilot, perms[0])
        shown = text_of(panel.query_one("#finding-detail", Static))
        assert "Fix the mode of these 7 files" in shown and "7 files:" in shown
        await pilot.press("a")
        await wait_until(lambda: isinstance(app.screen, ConfirmActionScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmActionScreen)
        assert screen.plan.action == "fix-permissions"
        assert sorted(s.path for s in screen.plan.steps) == sorted(
            str(p.relative_to(base)) for p in loose
        )
        await pilot.press("y")
        await wait_until(lambda: screen.result is not None, timeout=30)
    assert {oct(p.stat().st_mode & 0o777) for p in loose} == {"0o640"}
