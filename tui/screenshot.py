"""Regenerate ``screenshots/``: the dashboard on a healthy and a broken demo tree, the detail view.

    .venv/bin/python -m tui.screenshot [--out screenshots]

Runs the real app headless on demo trees pinned to a fixed instant (clock,
mtimes, host, root label, disk figures), so the images only change when the
UI does. Writes SVG (Textual's export) and PNG (cairosvg).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from core import layout
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


async def shoot(root: Path, size: tuple[int, int], step: Step, title: str) -> str:
    app = BotstoreApp(root, **stable_app_kwargs())
    async with app.run_test(size=size) as pilot:
        await wait_until(
            lambda: app.report is not None and app.dashboard.query_one(LogsPanel).lines_seen > 0
        )
        await pilot.pause()
        await step(app)
        await pilot.pause(0.2)
        return app.export_screenshot(title=title)


def write(out: Path, name: str, svg: str) -> list[Path]:
    import cairosvg

    svg_path = out / f"{name}.svg"
    png_path = out / f"{name}.png"
    svg_path.write_text(svg, encoding="utf-8")
    cairosvg.svg2png(bytestring=svg.encode(), write_to=str(png_path), output_width=2000)
    return [svg_path, png_path]


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
