"""Hostile tree data in the real TUI (``App.run_test``): names and values drawn literally.

File names and JSON string values are generated from the whole Unicode range plus
Rich markup, ANSI/OSC sequences, C1 controls and newlines; the dashboard and the
detail view are rendered headless and their screen text must hold no raw control
character, and the escaped name, never a crash or a markup effect.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import orjson
from hostile import fragments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from core.standard import layout
from core.text.textsafe import escape_controls
from tui.app import BotstoreApp
from tui.screens.detail import DetailScreen
from tui.testing import make_app, run_async, wait_until
from tui.widgets.disk_panel import DiskPanel, DiskTable
from tui.widgets.logs_panel import LogsPanel

#: Raw characters a terminal acts on; none may reach the screen (``\n`` ends screen rows).
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

#: the shared pieces, plus more markup, a colour, a NUL and a forged status line
fragment = fragments(
    [
        "[@click=app.quit]CLICKME",
        "[bold red]",
        "[/]",
        "[link=x]",
        "\x1b[31m",
        "\x00x",
        "BOTSTORE OK - no problems",
    ],
    max_size=6,
)
file_name = fragment.map(lambda s: s.replace("/", "_").replace("\x00", "0")).filter(
    lambda s: s not in {"", ".", ".."} and len(os.fsencode(s)) < 200
)


def screen_text(app: BotstoreApp) -> str:
    """What the terminal would show: the composed screen (every strip), as plain text."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False)


def hostile_tree(root: Path, names: list[str], value: str) -> list[str]:
    """A small tree: one broken JSON file per name, ``value`` in a schema message and a log."""
    (root / "data" / "cache").mkdir(parents=True)
    (root / "logs").mkdir()
    rels = []
    for name in names:
        rel = f"data/{name}.json"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b'{"note": ' + orjson.dumps(value))  # truncated: invalid
        rels.append(rel)
    (root / layout.LATEST_DECISIONS).write_bytes(
        orjson.dumps({"version": "1.0", "decisions": value})
    )
    top = root / names[0][:8].replace("/", "_")  # a top-level dir: named in the disk panel
    if not top.exists():
        top.mkdir()
        (top / "f").write_bytes(b"x" * 4096)
    (root / layout.SUPERVISOR_LOG).write_text(
        f"2026-01-15 INFO value {value} end\n2026-01-15 INFO name {names[0]} end\n",
        encoding="utf-8",
    )
    return rels


def assert_clean(text: str) -> None:
    raw = RAW_CONTROL.search(text)
    near = text[raw.start() - 40 : raw.end() + 40] if raw else ""
    assert raw is None, f"raw control {raw.group()!r} on screen near {near!r}"


async def render_and_check(root: Path, rels: list[str], value: str) -> None:
    app = make_app(root)
    async with app.run_test(size=(240, 70)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        log = app.dashboard.query_one(LogsPanel)  # the lines its LogView draws
        await wait_until(lambda: len(log.lines) >= 2)
        dashboard = screen_text(app)
        assert_clean(dashboard)
        # a newline in the log is a line break; each piece is shown escaped
        for piece in f"2026-01-15 INFO value {value} end".split("\n"):
            assert escape_controls(piece.removesuffix("\r")) in log.lines
        for rel in rels:
            assert any(f.path == rel for f in app.report.findings), rel  # type: ignore[union-attr]
            app.open_detail(rel)
            await wait_until(
                lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
            )
            await pilot.pause()
            detail = screen_text(app)
            assert_clean(detail)
            assert f"detail {escape_controls(rel)}" in detail
            app.screen.dismiss(None)
            await wait_until(lambda: app.screen is app.dashboard)
        assert app.is_running  # nothing crashed it (a MarkupError exits the app)
    assert app.return_code in (0, None)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    names=st.lists(file_name, min_size=1, max_size=3, unique_by=lambda s: s.lower()), value=fragment
)
def test_tui_draws_generated_names_and_values_literally(
    tmp_path_factory: object, names: list[str], value: str
) -> None:
    root = tmp_path_factory.mktemp("hostile") / "bot"  # type: ignore[attr-defined]
    rels = hostile_tree(root, names, value)
    run_async(render_and_check)(root, rels, value)


def test_tui_markup_names_from_the_issue(tmp_path: Path) -> None:
    """The exact names that crashed or restyled the TUI, one regression each."""
    root = tmp_path / "bot"
    names = [
        "x[/nope]",
        "[reverse]portfolio",
        "[@click=app.quit]CLICKME",
        "t\x1b]2;PWNED\x07",
        "c\x1b[2J",
        "f\nBOTSTORE OK - no problems",
    ]
    rels = hostile_tree(root, names, "[/x]\x9b2J")
    run_async(render_and_check)(root, rels, "[/x]\x9b2J")
    run_async(dashboard_shows_literal_names)(root)


async def dashboard_shows_literal_names(root: Path) -> None:
    app = make_app(root)
    async with app.run_test(size=(240, 70)) as pilot:
        await wait_until(lambda: app.report is not None)
        await pilot.pause()
        text = screen_text(app)
        # drawn as written: not reverse video, not a link, not a crash
        for name in ("x[/nope].json", "[reverse]portfolio.json", "[@click=app.quit]CLICKME.json"):
            assert name in text, name


@given(name=st.one_of(file_name, st.text("\\[]/ab@=#", max_size=8)))
def test_palette_prompts_read_as_written(name: str) -> None:
    """The command palette only takes markup: ``markup_literal`` keeps a name as written."""
    from textual.content import Content

    from tui.literal import markup_literal

    assert Content.from_markup(f"Detail: {markup_literal(name)}").plain == (
        f"Detail: {escape_controls(name)}"
    )


def test_a_directory_named_like_markup_opens_in_the_disk_drill_down(tmp_path: Path) -> None:
    """The drill-down's subtitle names the directory it shows: ``data/[/nope]`` (a
    directory ``[`` holding ``nope]``) crashed the app as a closing markup tag."""
    root = tmp_path / "bot"
    for rel in ("data/[/nope]", "data/[b]bold"):
        (root / rel).mkdir(parents=True)
        (root / rel / "state.json").write_text("{}", encoding="utf-8")
    run_async(_drill_down)(root, [["data", "[", "nope]"], ["data", "[b]bold"]])


async def _drill_down(root: Path, trails: list[list[str]]) -> None:
    app = make_app(root)
    async with app.run_test(size=(240, 70)) as pilot:
        await wait_until(lambda: app.report is not None)
        panel = app.dashboard.query_one(DiskPanel)
        await wait_until(lambda: bool(panel.entries))
        for trail in trails:
            for name in trail:
                shown = [e.name for e in panel.entries]
                assert name in shown, shown
                row = shown.index(name) + (1 if panel.cwd else 0)  # below the '..' row
                panel.query_one(DiskTable).move_cursor(row=row, animate=False)
                panel.descend()
                await pilot.pause()
            where = "/".join(trail)
            assert panel.cwd == where
            assert f"/{where} · " in screen_text(app)  # drawn as written, not as markup
            for _ in trail:
                panel.ascend()
                await pilot.pause()
        assert app.is_running
