"""Pilot tests of the live monitor: real files, real watchdog observer, real Textual app."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from core.standard import layout
from core.standard.findings import Severity, Status
from core.storage.write import write_json
from tui.app import BotstoreApp
from tui.screens.detail import DetailScreen
from tui.screens.filter import FilterScreen
from tui.screens.help import HelpScreen
from tui.testing import (
    HOST,
    ROOT_LABEL,
    break_tree,
    build_frozen_demo,
    header_text,
    make_app,
    run_async,
    wait_until,
)
from tui.widgets.alerts_panel import AlertsPanel
from tui.widgets.health_panel import HealthPanel
from tui.widgets.history_panel import HistoryPanel
from tui.widgets.logs_panel import LogsPanel
from tui.widgets.snapshots_panel import SnapshotsPanel


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    from core.demo import build_demo_tree

    root = tmp_path / "bot"
    build_demo_tree(root, seed=0)
    return root


def findings_rows(app: BotstoreApp) -> list[list[str]]:
    table = app.dashboard.query_one("#findings", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@run_async
async def test_first_render_on_healthy_tree(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        assert app.report is not None
        assert app.report.status is Status.OK, app.report.findings
        header = header_text(app)
        assert "OK" in header and ROOT_LABEL in header and HOST in header
        assert "0 critical" in header
        health = app.dashboard.query_one(HealthPanel)
        assert health.has_class("-empty")
        assert "No findings" in str(health.query_one(".empty", Static).render())
        alerts = app.dashboard.query_one(AlertsPanel)
        assert alerts.shown_sizes[layout.PORTFOLIO] == (demo_root / layout.PORTFOLIO).stat().st_size
        history = app.dashboard.query_one(HistoryPanel)
        assert history.query_one(DataTable).row_count == 5
        snapshots = app.dashboard.query_one(SnapshotsPanel)
        assert "840" in str(snapshots.query_one("#snapshot-summary", Static).render())
        await wait_until(lambda: app.dashboard.query_one(LogsPanel).lines_seen > 0)
        text = "\n".join(app.dashboard.query_one(LogsPanel).lines)
        assert "[REDACTED]" in text and "demo-not-a-real-key" not in text


@run_async
async def test_truncated_portfolio_is_critical_within_a_second_then_recovers(
    demo_root: Path,
) -> None:
    app = make_app(demo_root, watch=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(
            lambda: app.report is not None and app.watch_state.mode in {"inotify", "polling"}
        )
        assert app.report is not None and app.report.status is Status.OK
        await pilot.pause(0.2)
        portfolio = demo_root / layout.PORTFOLIO
        good = portfolio.read_bytes()
        started = time.monotonic()
        fd = os.open(portfolio, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, good[: len(good) // 2])
        os.close(fd)

        def critical_shown() -> bool:
            report = app.report
            if report is None or report.status is not Status.CRITICAL:
                return False
            rows = findings_rows(app)
            return any("CRIT" in row[0] and row[2] == "data/portfolio.json" for row in rows)

        await wait_until(critical_shown, timeout=15.0, step=0.005)
        elapsed = time.monotonic() - started
        assert "CRITICAL" in header_text(app)
        assert elapsed < 1.0, f"critical status took {elapsed:.3f} s to show"
        assert app.watch_state.last_event_at is not None

        # the operator restores the file (the .bak, still good, is left alone)
        write_json(portfolio, __import__("orjson").loads(good), backup=False)
        try:
            await wait_until(
                lambda: app.report is not None and app.report.status is Status.OK, timeout=15.0
            )
        except TimeoutError:
            raise AssertionError(app.report.findings if app.report else None) from None
        await pilot.pause()
        assert "OK" in header_text(app)
        assert not any(row[2] == "data/portfolio.json" for row in findings_rows(app))


@run_async
async def test_broken_tree_findings_filter_and_sort(tmp_path: Path) -> None:
    root = build_frozen_demo(tmp_path / "bot")
    break_tree(root)
    app = make_app(root)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        assert app.report is not None
        rows = findings_rows(app)
        assert len(rows) >= 3
        assert "CRIT" in rows[0][0]  # worst first
        await pilot.press("slash")
        assert isinstance(app.screen, FilterScreen)
        await pilot.press(*"decisions")
        await pilot.pause()
        assert app.filter_text == "decisions"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FilterScreen)
        rows = findings_rows(app)
        assert rows and all("decisions" in row[2] for row in rows)
        assert "/decisions" in header_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.filter_text == ""
        assert len(findings_rows(app)) >= 3
        panel = app.dashboard.query_one(HealthPanel)
        await pilot.press("s")
        assert panel.sort_key == "path"
        paths = [f.path for f in panel.shown]
        assert paths == sorted(paths)


@run_async
async def test_filter_with_no_match_says_so(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.report is not None)
        app.set_filter("no-such-thing")
        await pilot.pause()
        empty = app.dashboard.query_one(HealthPanel).query_one(".empty", Static)
        assert "No finding matches /no-such-thing" in str(empty.render())


@run_async
async def test_help_screen_lists_every_binding(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        rows = [row for _title, group in app.screen.groups for row in group]
        listed = {key for keys, _ in rows for key in keys.split()}
        for key in (
            "q",
            "?",
            "/",
            ":",
            "^p",
            "r",
            "tab",
            "shift+tab",
            "esc",
            "s",
            "⏎",
            "a",
            "A",
            "^c",
            *"1234567",
        ):
            assert key in listed, key
        assert "help_quit" not in " ".join(d for _, d in rows)
        for _title, group in app.screen.groups:  # no key twice in a context
            keys = [key for names, _ in group for key in names.split()]
            assert len(keys) == len(set(keys)), (_title, keys)
        assert {t.split(":")[0] for t, _ in app.screen.groups} >= {"Global", "Panel", "Detail view"}
        descriptions = " ".join(d for _, d in rows)
        assert "Rescan" in descriptions and "Filter" in descriptions and "Quit" in descriptions
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@run_async
async def test_detail_view_highlights_the_failing_field(demo_root: Path) -> None:
    portfolio = demo_root / layout.PORTFOLIO
    data = __import__("orjson").loads(portfolio.read_bytes())
    data["trades_executed"] = "many"
    write_json(portfolio, data)
    app = make_app(demo_root)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        table = app.dashboard.query_one("#findings", DataTable)
        table.focus()
        row = next(i for i, r in enumerate(findings_rows(app)) if r[2] == "data/portfolio.json")
        table.move_cursor(row=row)
        await pilot.press("enter")
        await wait_until(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
        )
        screen = app.screen
        assert isinstance(screen, DetailScreen) and screen.detail is not None
        detail = screen.detail
        assert ("trades_executed", 'expected an integer, got "many"') in detail.violations
        assert detail.pretty is not None
        lines = detail.pretty.splitlines()
        assert any('"trades_executed": "many"' in lines[n - 1] for n in detail.highlight_lines)
        validation = str(screen.query_one("#detail-validation", Static).render())
        assert "trades_executed" in validation
        # portfolio.json: side-by-side diff against the .bak
        assert detail.diff is not None
        assert any(tag != "equal" for tag, _, _ in detail.diff)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.dashboard


@run_async
async def test_detail_of_truncated_file_points_at_the_error_line(demo_root: Path) -> None:
    portfolio = demo_root / layout.PORTFOLIO
    portfolio.write_text('{\n  "trades_executed": 3,\n  "EUR": {"amount": 1', encoding="utf-8")
    app = make_app(demo_root)
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_detail(layout.PORTFOLIO)
        await wait_until(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
        )
        detail = app.screen.detail  # type: ignore[attr-defined]
        assert detail.error is not None and "line 3" in detail.error
        assert detail.highlight_lines == {3}
        await pilot.pause()


@run_async
async def test_layout_80x24_one_panel_at_a_time(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        visible = [p.id for p in app.dashboard.panels if p.display and p.region.area > 0]
        assert visible == ["health"]
        assert app.dashboard.query_one("#panel-tabs").region.area > 0
        await pilot.press("tab")
        await pilot.pause()
        assert [p.id for p in app.dashboard.panels if p.region.area > 0] == ["alerts"]
        await pilot.press("6")
        await pilot.pause()
        assert [p.id for p in app.dashboard.panels if p.region.area > 0] == ["history"]
        await pilot.press("shift+tab")
        await pilot.pause()
        assert app.dashboard.active_panel().id == "disk"
        # every panel fits inside the screen
        for panel in app.dashboard.panels:
            if panel.region.area:
                assert panel.region.right <= 80 and panel.region.bottom <= 24
        await pilot.resize_terminal(160, 50)
        await pilot.pause()
        shown = [p.id for p in app.dashboard.panels if p.region.area > 0]
        assert len(shown) == 7
        assert app.dashboard.query_one("#panel-tabs").region.area == 0


@run_async
async def test_absent_root_is_a_message_not_a_crash(tmp_path: Path) -> None:
    app = make_app(tmp_path / "nope", watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause(0.2)
        assert app.report is not None and app.report.status is Status.CRITICAL
        assert "does not exist" in (app.root_problem or "")
        assert "CRITICAL" in header_text(app)
        await pilot.press("2")
        await pilot.pause()
        alerts = app.dashboard.query_one(AlertsPanel)
        assert "does not exist" in str(alerts.query_one(".empty", Static).render())
        await pilot.press("r")
        await pilot.pause(0.2)
        assert app.is_running


@run_async
async def test_empty_root_and_no_data_dir(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    app = make_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        assert app.report is not None
        assert any(
            f.path == layout.PORTFOLIO and f.severity is Severity.CRITICAL
            for f in app.report.findings
        )
        history = app.dashboard.query_one(HistoryPanel)
        assert "No Parquet files" in str(history.query_one(".empty", Static).render())
        snapshots = app.dashboard.query_one(SnapshotsPanel)
        assert "No performance snapshots" in str(snapshots.query_one(".empty", Static).render())
        logs = app.dashboard.query_one(LogsPanel)
        await wait_until(lambda: logs.log_missing)
        assert "supervisor.log is absent" in str(logs.query_one(".empty", Static).render())


@run_async
async def test_own_temp_files_are_ignored(demo_root: Path) -> None:
    from tui.messages import FilesChanged

    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.report is not None)
        updates = app.updates
        app.post_message(
            FilesChanged(
                frozenset({"data/.portfolio.json.1a2b3c4d.tmp", "data/.portfolio.json.lock"})
            )
        )
        await pilot.pause(0.2)
        assert app.updates == updates
        assert app.watch_state.last_event_at is None


@run_async
async def test_command_palette_rescan_and_panel(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: app.report is not None)
        updates = app.updates
        await pilot.press("colon")
        await pilot.pause()
        await pilot.press(*"Rescan now")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(lambda: app.updates > updates)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Panel 7")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert app.dashboard.active_panel().id == "logs"


@run_async
async def test_read_only_flag_is_exposed(demo_root: Path) -> None:
    app = make_app(demo_root, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        assert app.read_only is True
        assert "read-only" in header_text(app)
        assert app.actions_for(layout.PORTFOLIO) == []


@run_async
async def test_watcher_overflow_triggers_a_visible_full_rescan(demo_root: Path) -> None:
    from tui.messages import WatcherRescan

    app = make_app(demo_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: app.report is not None)
        updates = app.updates
        app.post_message(WatcherRescan("overflow"))
        await wait_until(lambda: app.updates > updates)
        await pilot.pause()
        assert app.watch_state.rescans == 1
        assert "rescans 1" in header_text(app)


@run_async
async def test_scan_failure_is_reported_not_fatal(
    demo_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.engine import Engine

    def broken(self: Engine) -> object:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Engine, "_make_scanner", broken)
    app = make_app(demo_root)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(lambda: app.scan_error is not None)
        await pilot.pause()
        assert "Input/output error" in (app.scan_error or "")
        assert app.is_running and app.report is None
        assert "scan failed" in header_text(app)
        await pilot.press("r")  # still responsive; the rescan fails the same way
        await pilot.pause(0.2)
        assert app.is_running


@run_async
async def test_ticks_and_thread_messages_after_shutdown_draw_nothing(demo_root: Path) -> None:
    """CI once failed on a header tick that fired while Textual was pruning the dashboard.

    Once the app stops running (shutdown has begun: screens are being pruned
    while the app's timers and worker messages can still arrive), every entry
    point that draws must be a no-op rather than raise ``NoMatches``/``IndexError``.
    """
    from tui.logtail import LogChunk
    from tui.messages import LogsTailed, ReportReady

    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)):
        await wait_until(lambda: app.report is not None)
        assert app.is_running
    assert not app.is_running
    app._tick()
    app._render_all()
    app.set_filter("portfolio")
    app.on_logs_tailed(LogsTailed(LogChunk("logs/supervisor.log", ["x"]), LogChunk("", [])))
    assert app.report is not None
    app.on_report_ready(ReportReady(app.report, reason="late", changed=0, elapsed=0.0))
    app.action_rescan()
    app._ensure_focus()
    assert app.filter_text == "portfolio"
    assert not app.scans.busy  # no scan started after shutdown
