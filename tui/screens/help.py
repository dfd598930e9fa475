"""``?``: every key binding, gathered from the app, the main screen and the focused widgets."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

EXTRA_KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "open the detail view of the selected file"),
    ("↑ ↓ pgup pgdn home end", "move in a list"),
    ("s", "cycle the sort column of the finding list (or click a column header)"),
    ("esc", "close this screen / clear the filter"),
    ("mouse", "click a panel, a tab, a column header or a row"),
)


def binding_rows(bindings: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, description in bindings:
        table.add_row(key, description)
    return table


def collect_bindings(
    sources: Iterable[Any], hidden: frozenset[str], key_display: Callable[[Binding], str]
) -> list[tuple[str, str]]:
    """(key, description) of every visible binding of ``sources`` (app, screen, widgets), once."""
    rows: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for source in sources:
        for items in source._bindings.key_to_bindings.values():
            for item in items:
                name = key_display(item)
                label = item.description or item.action
                if (
                    (name, label) in seen
                    or not label
                    or item.action in hidden
                    or item.action.startswith("scroll_")
                ):
                    continue
                seen.add((name, label))
                rows.append((name, label))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists the bindings passed in (collected by the app) plus list/mouse keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close"),
    ]

    def __init__(self, bindings: list[tuple[str, str]], read_only: bool) -> None:
        super().__init__()
        self.bindings = bindings
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        seen = {key for key, _ in self.bindings}
        rows = self.bindings + [(k, d) for k, d in EXTRA_KEYS if k not in seen]
        with VerticalScroll(id="help-box") as box:
            box.border_title = "botstore · keys"
            box.border_subtitle = "esc closes"
            yield Static(binding_rows(rows), id="help-table")
            mode = (
                "read-only (--read-only): actions only preview, nothing is changed"
                if self.read_only
                else "actions enabled: a on a selected file or finding shows the plan; "
                "nothing changes until you confirm"
            )
            yield Static(
                Text.assemble(
                    ("\nSeverity: ", "bold"),
                    ("✖ CRIT", "bold red"),
                    " · ",
                    ("! WARN", "bold yellow"),
                    " · ",
                    ("i INFO", "bold cyan"),
                    " · ",
                    ("✔ ok", "green"),
                    ("\nMode: ", "bold"),
                    mode,
                ),
                id="help-legend",
            )

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
