"""``?``: every key binding, gathered from the app, the main screen and the focused widgets."""

from __future__ import annotations

from typing import ClassVar

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
                "read-only (--read-only)"
                if self.read_only
                else "read-only until the recovery actions land"
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
