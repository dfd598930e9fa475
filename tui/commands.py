"""The command palette (``:`` or Ctrl+P): rescan, panels, every action, each finding's fixes,
a file's detail view."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from core.actions import catalog
from core.standard import layout
from tui.driver import Driver, driver_of
from tui.literal import markup_literal

MAX_FILE_COMMANDS = 200


class BotstoreCommands(Provider):
    """Commands built from the app's current state (read, and run, through its :class:`Driver`)."""

    @property
    def driver(self) -> Driver:
        return driver_of(self.app)

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.driver
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
        commands += self._action_commands()
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
                    f"Detail: {path}",
                    partial(app.open_detail, path),
                    "metadata, validation, content",
                )
            )
        return commands

    def _action_commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """Every catalog action by name, and every finding's fixes (read-only: none)."""
        app = self.driver
        if app.read_only:
            return []
        out: list[tuple[str, Callable[[], object], str]] = []
        tree = {fix.action: fix for fix in catalog.tree_actions(app.root)}
        for spec in catalog.ACTIONS:
            fix = tree.get(spec.name)
            callback: Callable[[], object] = (
                partial(app.run_fix, fix) if fix is not None else app.action_recover
            )
            where = "whole tree" if fix is not None else "the selected file"
            out.append(
                (
                    f"Action: {spec.name} — {spec.title}",
                    callback,
                    f"preview, then y applies ({where})",
                )
            )
        report = app.report
        for finding in (report.findings if report is not None else [])[:MAX_FILE_COMMANDS]:
            for fix in catalog.fixes_for(app.root, finding):
                out.append(
                    (
                        f"Fix {finding.code} {finding.path}: {fix.label}",
                        partial(app.run_fix, fix),
                        fix.command,
                    )
                )
        return out

    def _literal_commands(self) -> list[tuple[str, Callable[[], object], str]]:
        """The commands as the palette takes them: it parses names and help as markup, and
        paths from the tree (in "Detail:" and "Fix" lines) must show as they are, controls
        escaped — once, here, for every line."""
        return [
            (markup_literal(name), callback, markup_literal(help_text))
            for name, callback, help_text in self._commands()
        ]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._literal_commands()[:12]:
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._literal_commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
