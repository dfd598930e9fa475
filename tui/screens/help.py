"""``?``: the keys, grouped by where they work (global, panel, detail, modal), each once.

The global and panel groups come from the bindings active on the dashboard
when help opens (Textual's ``active_bindings``: the focused widget's chain);
the detail and modal groups from those screens' bindings. Cursor movement
bindings are folded into one row per group.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Final

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.screens.confirm_action import ChooseActionScreen, ConfirmActionScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.widgets.logs_panel import LogPicker

#: Movement actions folded into one "move" row.
_MOVES: Final = ("cursor_", "scroll_", "page_", "vim")
MOVE_ROW: Final = ("↑ ↓ j k g G pgup pgdn", "move in a list or view (g G: top, bottom)")
GroupRows = tuple[str, list[tuple[str, str]]]
#: The app's and Textual's actions help never lists.
_HIDDEN_ACTIONS: Final = frozenset(
    {"help_quit", "focus_next", "focus_previous", "copy_text", "select_cursor"}
)


def _is_move(action: str) -> bool:
    return action.startswith(_MOVES)


def group_rows(
    bindings: Iterable[Binding],
    hidden: frozenset[str],
    key_display: Callable[[Binding], str],
    skip_keys: set[str] | None = None,
) -> list[tuple[str, str]]:
    """(keys, description) rows, one per action and description (its keys joined), no key
    twice; movement folded into :data:`MOVE_ROW`; keys in ``skip_keys`` left out."""
    rows: dict[str, list[str]] = {}  # description -> keys (same words: one row)
    used = set(skip_keys or ())
    moves = False
    panels: list[str] = []
    for item in bindings:
        if item.action.rpartition(".")[2].split("(")[0] in hidden:
            continue
        if _is_move(item.action):
            moves = True
            continue
        if item.action.startswith("show_panel"):
            panels.append(key_display(item))
            continue
        label = item.description or ""
        if not label:
            continue
        name = key_display(item)
        if name in used:
            continue
        used.add(name)
        rows.setdefault(label, []).append(name)
    out = [(" ".join(keys), label) for label, keys in rows.items()]
    if panels:
        out.append((" ".join(panels), "show that panel (1 Health … 7 Logs)"))
    if moves:
        out.append(MOVE_ROW)
    return out


def collect_bindings(
    sources: Iterable[Any], hidden: frozenset[str], key_display: Callable[[Binding], str]
) -> list[tuple[str, str]]:
    """(key, description) of every binding of ``sources`` (nodes or binding lists), once."""
    items: list[Binding] = []
    for source in sources:
        if isinstance(source, list):
            for bound in BindingsMap(source).key_to_bindings.values():
                items += bound
        else:
            for bound in source._bindings.key_to_bindings.values():
                items += bound
    return group_rows(items, hidden, key_display)


def binding_help(
    app: App[Any], dashboard: DashboardScreen, dashboard_only: frozenset[str]
) -> list[GroupRows]:
    """The keys by context: global and panel from the dashboard's active bindings (the
    focused widget's chain), detail and modal from those screens. ``dashboard_only``:
    the app's actions that do nothing outside the dashboard (left out of the detail group)."""
    active = dashboard.active_bindings.values()
    outer = {id(app), id(dashboard)}
    global_bindings = [a.binding for a in active if id(a.node) in outer]
    panel_bindings = [a.binding for a in active if id(a.node) not in outer]
    panel = dashboard.active_panel()
    app_in_detail = [b for b in global_bindings if b.action.split("(")[0] not in dashboard_only]
    hidden, show = _HIDDEN_ACTIONS, app.get_key_display
    detail_rows = collect_bindings([list(DetailScreen.BINDINGS)], hidden, show)
    detail_keys = {k for keys, _ in detail_rows for k in keys.split()}
    global_rows = group_rows(global_bindings, hidden, show)
    panel_rows = [row for row in group_rows(panel_bindings, hidden, show) if row not in global_rows]
    if not any({"enter", "⏎"} & set(keys.split()) for keys, _ in panel_rows):
        panel_rows.append(("⏎", "open the detail view of the selected file"))
    return [
        ("Global", global_rows),
        (f"Panel: {panel.TITLE}", panel_rows),
        (
            "Detail view",
            detail_rows + group_rows(app_in_detail, hidden, show, skip_keys=detail_keys),
        ),
        (
            "Action / picker modals",
            collect_bindings(
                [
                    list(ConfirmActionScreen.BINDINGS),
                    list(ChooseActionScreen.BINDINGS),
                    list(LogPicker.BINDINGS),
                ],
                hidden,
                show,
            ),
        ),
    ]


def binding_rows(bindings: list[tuple[str, str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True, min_width=14)
    table.add_column()
    for key, description in bindings:
        table.add_row(Text(key), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    """The groups passed in (built by the app) plus the severity legend and the mode."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss_help", "Close"),
    ]

    def __init__(self, groups: list[GroupRows], read_only: bool) -> None:
        super().__init__()
        self.groups = groups
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        parts: list[Any] = []
        for title, rows in self.groups:
            if rows:
                parts.append(Text(title, style="bold underline"))
                parts.append(binding_rows(rows))
        with VerticalScroll(id="help-box") as box:
            box.border_title = "botstore · keys"
            box.border_subtitle = "esc closes"
            yield Static(Group(*parts), id="help-table")
            mode = (
                "read-only (--read-only): actions only preview, nothing is changed"
                if self.read_only
                else "actions enabled: a on a finding previews its best fix, A lists every "
                "action; nothing changes until you press y"
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
