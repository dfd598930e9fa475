"""Pilot tests of the cloud backup state: the header segment and the "Disk & backups" panel.

Real trees, a real ``botstore.toml`` and the real status file ``botstore sync``
writes (``data/cache/cloud_sync_status.json``, written atomically like the sync
does: ``tui.testing.write_cloud_status``), a real watchdog observer for the live update.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from core.standard.findings import Status
from tui.app import BotstoreApp
from tui.testing import (
    configure_cloud,
    header_text,
    make_app,
    run_async,
    wait_until,
    write_cloud_status,
)
from tui.widgets.disk_panel import DiskPanel
from tui.widgets.header import StatusHeader

SECRET = "abc123"  # noqa: S105 - a fake token the screen must never show
ERROR = f"403 Forbidden: POST https://storage.example/upload?token={SECRET} denied"


@pytest.fixture
def demo_root(tmp_path: Path) -> Path:
    from core.demo import build_demo_tree

    root = tmp_path / "bot"
    build_demo_tree(root, seed=0)  # healthy at the real "now": the ages below are real too
    return root


def disk_text(app: BotstoreApp) -> str:
    return str(app.dashboard.query_one(DiskPanel).query_one("#disk-body", Static).render())


def screen_text(app: BotstoreApp) -> str:
    """Everything on the terminal, as plain text (from Textual's own SVG export)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def assert_header_fits(app: BotstoreApp) -> None:
    width = app.dashboard.query_one(StatusHeader).content_size.width
    lines = header_text(app).split("\n")
    assert len(lines) == 2
    for line in lines:
        assert cell_len(line) <= width, (width, line)


async def scanned(app: BotstoreApp) -> None:
    await wait_until(lambda: app.report is not None)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
@run_async
async def test_recent_success_shows_ok_segment_and_bucket(
    demo_root: Path, size: tuple[int, int]
) -> None:
    configure_cloud(demo_root)
    write_cloud_status(demo_root, ok=True, success_age_s=12 * 60 + 10)
    app = make_app(demo_root, watch=True)  # watcher on: the header's longest form
    async with app.run_test(size=size) as pilot:
        await wait_until(
            lambda: app.report is not None and app.watch_state.mode in {"inotify", "polling"}
        )
        await pilot.press("5")  # 80x24: the disk panel is a tab
        await pilot.pause()
        assert app.report is not None
        assert app.report.status is Status.OK, app.report.findings
        header = header_text(app)
        assert "cloud ✔ 12m ago" in header
        assert_header_fits(app)
        panel = app.dashboard.query_one(DiskPanel)
        assert "Disk & backups" in str(panel.border_title)
        body = disk_text(app)
        assert "bot-backups" in body
        assert "✔ ok" in body and "lag 12m" in body and "UTC" in body
        assert "not configured" not in body and "[cloud] bucket" not in body
        assert "bot-backups" in screen_text(app)  # really drawn, not only in the widget


@run_async
async def test_failed_sync_shows_the_failure_with_a_sanitized_error(demo_root: Path) -> None:
    configure_cloud(demo_root)
    write_cloud_status(demo_root, ok=False, success_age_s=3 * 3600 + 60, error=ERROR)
    app = make_app(demo_root)
    async with app.run_test(size=(160, 50)) as pilot:
        await scanned(app)
        await pilot.pause()
        assert app.report is not None and app.report.status is Status.WARNING
        header = header_text(app)
        assert "cloud ✖ failed 3.0h" in header
        body = disk_text(app)
        assert "✖ failed" in body
        assert "! late" in body  # 3 h > 4 x 15 min: the scan's stale finding
        assert "token=[REDACTED]" in body and "403 Forbidden" in body
        screen = screen_text(app)
        assert "token=[REDACTED]" in screen
        assert SECRET not in screen and SECRET not in body and SECRET not in header
        # the same at 80x24, the panel as a tab
        await pilot.resize_terminal(80, 24)
        await pilot.press("5")
        await pilot.pause()
        assert "cloud ✖ failed 3.0h" in header_text(app)
        assert_header_fits(app)
        screen = screen_text(app)
        assert "✖ failed" in screen and SECRET not in screen


@run_async
async def test_not_configured_shows_the_hint_and_no_header_segment(demo_root: Path) -> None:
    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await scanned(app)
        await pilot.press("5")
        await pilot.pause()
        assert app.report is not None and app.report.cloud is None
        assert "cloud" not in header_text(app)
        body = disk_text(app)
        assert "[cloud] bucket" in body and "botstore.toml" in body and "botstore sync" in body
        assert "filesystem" in body  # the disk figures are still there


@run_async
async def test_configured_but_never_synced(demo_root: Path) -> None:
    configure_cloud(demo_root)
    app = make_app(demo_root)
    async with app.run_test(size=(80, 24)) as pilot:
        await scanned(app)
        await pilot.press("5")
        await pilot.pause()
        assert "cloud — never" in header_text(app)
        body = disk_text(app)
        assert "bot-backups" in body and "never" in body and "not run yet" in body


@run_async
async def test_long_host_is_shortened_before_the_cloud_segment(demo_root: Path) -> None:
    configure_cloud(demo_root)
    write_cloud_status(demo_root, ok=False, success_age_s=None, error=ERROR)
    app = make_app(demo_root, host="build-runner-" + "x" * 60, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            lambda: app.report is not None and app.watch_state.mode in {"inotify", "polling"}
        )
        await pilot.pause()
        header = header_text(app)
        assert "cloud ✖ failed" in header
        assert "build-runner-" in header and "…" in header
        assert_header_fits(app)


@run_async
async def test_a_new_status_file_updates_the_header_live(demo_root: Path) -> None:
    configure_cloud(demo_root)
    write_cloud_status(demo_root, ok=True, success_age_s=60)
    app = make_app(demo_root, watch=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            lambda: app.report is not None and app.watch_state.mode in {"inotify", "polling"}
        )
        await pilot.pause()
        assert "cloud ✔ 1m ago" in header_text(app)
        await pilot.pause(0.2)

        # `botstore sync` runs again and fails: only the watcher can tell the app
        write_cloud_status(demo_root, ok=False, success_age_s=60, error=ERROR)
        await wait_until(lambda: "cloud ✖ failed" in header_text(app), timeout=15.0)
        assert app.watch_state.last_event_at is not None
        assert_header_fits(app)
        await pilot.press("5")
        await pilot.pause()
        body = disk_text(app)
        assert "✖ failed" in body and "token=[REDACTED]" in body and SECRET not in body

        # and succeeds: back to ok
        write_cloud_status(demo_root, ok=True, success_age_s=0)
        fresh = re.compile(r"cloud ✔ \d+s ago")  # seconds: it ticks while we look
        await wait_until(lambda: fresh.search(header_text(app)) is not None, timeout=15.0)
        await pilot.pause()
        assert "✔ ok" in disk_text(app)
