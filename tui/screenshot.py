"""Regenerate ``screenshots/``: the dashboard on a healthy and a broken demo tree, the detail view.

    .venv/bin/python -m tui.screenshot [--out screenshots]

Runs the real app headless on demo trees pinned to a fixed instant (clock,
mtimes, host, root label, disk figures), so the images only change when the
UI does. Writes SVG (Textual's export) and PNG (rsvg-convert when installed: monospace-
correct; else cairosvg).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from core.standard import layout
from tui.app import BotstoreApp
from tui.screens.detail import DetailScreen
from tui.testing import (
    FROZEN,
    break_tree,
    build_frozen_demo,
    configure_cloud,
    stable_app_kwargs,
    wait_until,
    write_cloud_status,
)
from tui.widgets.logs_panel import LogsPanel

Step = Callable[[BotstoreApp], Awaitable[None]]


async def _nothing(app: BotstoreApp) -> None:
    del app


def _panel(panel_id: str) -> Step:
    async def step(app: BotstoreApp) -> None:
        app.dashboard.show_panel(panel_id)

    return step


#: The last ``botstore sync`` failed (the token in the error never reaches the screen).
CLOUD_ERROR = "403 Forbidden: POST https://storage.googleapis.com/upload?token=abc123 denied"


def _detail(path: str) -> Step:
    async def step(app: BotstoreApp) -> None:
        app.open_detail(path)
        await wait_until(
            lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
        )

    return step


async def shoot(root: Path, size: tuple[int, int], step: Step, title: str, **options: Any) -> str:
    app = BotstoreApp(root, **{**stable_app_kwargs(), **options})
    async with app.run_test(size=size) as pilot:
        await wait_until(
            lambda: app.report is not None and app.dashboard.query_one(LogsPanel).lines_seen > 0
        )
        await pilot.pause()
        await step(app)
        await pilot.pause(0.2)
        return app.export_screenshot(title=title)


def to_png(svg_path: Path, png_path: Path) -> None:
    """``rsvg-convert`` (Debian ``librsvg2-bin``: monospace-correct) or cairosvg."""
    rsvg = shutil.which("rsvg-convert")
    if rsvg is not None:
        subprocess.run([rsvg, "-w", "2000", str(svg_path), "-o", str(png_path)], check=True)
        return
    import cairosvg

    cairosvg.svg2png(url=str(svg_path), write_to=str(png_path), output_width=2000)


def write(out: Path, name: str, svg: str) -> list[Path]:
    svg_path = out / f"{name}.svg"
    png_path = out / f"{name}.png"
    svg_path.write_text(svg, encoding="utf-8")
    to_png(svg_path, png_path)
    return [svg_path, png_path]


def _keys(*keys: str, panel: str | None = None) -> Step:
    async def step(app: BotstoreApp) -> None:
        if panel is not None:
            app.dashboard.show_panel(panel)
        for key in keys:
            await app._press_keys([key])
            await asyncio.sleep(0.2)

    return step


async def generate(out: Path) -> list[Path]:
    import time_machine

    written: list[Path] = []
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, time_machine.travel(FROZEN, tick=False):
        healthy = build_frozen_demo(Path(tmp) / "healthy")
        broken = build_frozen_demo(Path(tmp) / "broken")
        break_tree(broken)
        cloud = build_frozen_demo(Path(tmp) / "cloud")
        configure_cloud(cloud)
        write_cloud_status(
            cloud, ok=False, success_age_s=3 * 3600 + 600, error=CLOUD_ERROR, now=FROZEN
        )
        shots = (
            ("dashboard-healthy", healthy, (160, 50), _nothing, "botstore · healthy tree"),
            ("dashboard-broken", broken, (160, 50), _nothing, "botstore · broken tree"),
            ("dashboard-80x24", broken, (80, 24), _nothing, "botstore · 80x24"),
            ("dashboard-cloud", cloud, (160, 50), _nothing, "botstore · cloud sync failed"),
            (
                "dashboard-cloud-80x24",
                cloud,
                (80, 24),
                _panel("disk"),
                "botstore · 80x24: disk & backups",
            ),
            (
                "detail-portfolio",
                healthy,
                (120, 40),
                _detail(layout.PORTFOLIO),
                "botstore · detail: portfolio.json vs .bak",
            ),
            (
                "detail-schema-violation",
                broken,
                (110, 32),
                _detail(layout.LATEST_DECISIONS),
                "botstore · detail: schema violation",
            ),
        )
        for name, root, size, step, title in shots:
            written += write(out, name, await shoot(root, size, step, title))
        issue15: tuple[tuple[str, Path, tuple[int, int], Step, str, dict[str, Any]], ...] = (
            ("dashboard-120x36", broken, (120, 36), _nothing, "botstore · 120x36", {}),
            ("dashboard-200x60", broken, (200, 60), _nothing, "botstore · 200x60", {}),
            (
                "dashboard-16-colours",
                broken,
                (80, 24),
                _nothing,
                "botstore · 16 colours (TERM=linux)",
                {"colors": 16},
            ),
            (
                "fix-modal-80x24",
                broken,
                (80, 24),
                _keys("j", "j", "a"),
                "botstore · a on the truncated portfolio",
                {},
            ),
            (
                "disk-drilldown-120x36",
                broken,
                (120, 36),
                _keys("enter", panel="disk"),
                "botstore · disk drill-down",
                {},
            ),
            ("help-120x36", broken, (120, 36), _keys("question_mark"), "botstore · help", {}),
        )
        for name, root, size, step, title, options in issue15:
            written += write(out, name, await shoot(root, size, step, title, **options))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    args = parser.parse_args(argv)
    for path in asyncio.run(generate(args.out)):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
