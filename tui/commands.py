"""The command palette (``:`` or Ctrl+P): rescan, jump to a panel, open a file's detail view."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from core import layout
from tui.literal import markup_literal

if TYPE_CHECKING:
    from tui.app import BotstoreApp

MAX_FILE_COMMANDS = 200


class BotstoreCommands(Provider):
    """Commands built from the app's current state."""

    @property
    def botstore(self) -> BotstoreApp:
        from tui.app import BotstoreApp

        app = self.app
        if not isinstance(app, BotstoreApp):  # pragma: no cover
            raise TypeError("BotstoreCommands needs the BotstoreApp")
        return app

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.botstore
        commands: list[tuple[str, Callable[[], object], str]] = [
            ("Rescan now", app.action_rescan, "full scan of the tree (r)"),
            ("Help: key bindings", app.action_help, "every key (?)"),
            ("Filter", app.action_filter, "filter the panels (/)"),
            ("Clear filter", app.action_clear_filter, "show everything again (esc)"),
        ]
        for number, (panel_id, title) in enumerate(app.panel_titles(), start=1):
            commands.append(
                (
                    f"Panel {number}: {title}",
                    partial(app.action_show_panel, panel_id),
                    f"show the {title} panel ({number})",
                )
            )
        paths: list[str] = list(layout.CRITICAL_FILES) + list(layout.EXPECTED_FILES)
        if app.report is not None:
            paths += [f.path for f in app.report.findings]
            paths += [f.path for f in app.report.files if f.role is not None or f.kind == "json"]
        seen: set[str] = set()
        for path in paths:
            if path in seen or path == "." or len(seen) >= MAX_FILE_COMMANDS:
                continue
            seen.add(path)
            commands.append(
                (
                    f"Detail: {markup_literal(path)}",  # prompts are parsed as markup
                    partial(app.open_detail, path),
                    "metadata, validation, content",
                )
            )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands()[:12]:
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
