"""A DataTable of files whose rows are keyed by relative path (Enter -> detail view)."""

from __future__ import annotations

import re
from typing import ClassVar, Final

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable

from tui.literal import safe_text
from tui.messages import OpenDetail
from tui.widgets.base import Panel
from tui.widgets.table import Table

_UNITS: Final = {
    "B": 1,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "TiB": 1024**4,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
}
_NUMBER: Final = re.compile(r"\s*([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]*)")


def sort_key(cell: Text | str) -> tuple[int, float, str]:
    """Numbers (with a size or age unit) sort by value, before any text; text by its words."""
    plain = cell.plain if isinstance(cell, Text) else str(cell)
    match = _NUMBER.match(plain)
    if match is not None and (match[2] in _UNITS or not match[2]):
        return (0, float(match[1]) * _UNITS.get(match[2], 1), plain)
    return (1, 0.0, plain.lower())


class FileTable(Table):
    """Rows keyed by path; keeps the cursor on the same file across refreshes; ``s`` (or a
    click on a header) sorts by the next column."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_sort", "Sort", tooltip="sort by the next column"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.paths: list[str] = []
        self.sort_column: int | None = None  # None: the panel's own order
        self.sort_reverse = False
        self._rows: list[tuple[str, list[Text | str]]] = []
        self._labels: list[Text] = []

    def action_cycle_sort(self) -> None:
        count = len(self.columns)
        if not count:
            return
        if self.sort_column is None:
            self.sort_column = 0
        elif self.sort_column + 1 < count:
            self.sort_column += 1
        else:
            self.sort_column = None
        self.sort_reverse = False
        self.replace_rows(self._rows)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = event.column_index
        if index == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = index, False
        self.replace_rows(self._rows)

    def _mark_sorted_column(self) -> None:
        """The arrow on the sorted column's header (labels untouched until ``s`` is used)."""
        if self.sort_column is None and not self._labels:
            return
        columns = list(self.columns.values())
        if len(self._labels) != len(columns):
            self._labels = [column.label.copy() for column in columns]
        for i, column in enumerate(columns):
            label = self._labels[i].copy()
            if i == self.sort_column:
                label.append(" ▲" if self.sort_reverse else " ▼")
            column.label = label

    def selected_path(self) -> str | None:
        if 0 <= self.cursor_row < len(self.paths):
            return self.paths[self.cursor_row]
        return None

    def replace_rows(self, rows: list[tuple[str, list[Text | str]]]) -> None:
        """Swap every row for ``rows`` (path, cells), keeping the cursor's file selected."""
        previous = self.selected_path()
        self._rows = rows
        if self.sort_column is not None and self.sort_column < len(self.columns):
            column = self.sort_column
            rows = sorted(rows, key=lambda row: sort_key(row[1][column]), reverse=self.sort_reverse)
        self._mark_sorted_column()
        self.clear()
        self.paths = [path for path, _ in rows]
        for path, cells in rows:
            self.add_row(*(safe_text(cell) for cell in cells), key=path)
        if previous in self.paths:
            self.move_cursor(row=self.paths.index(previous), animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        path = self.selected_path()
        if path is not None:
            self.post_message(OpenDetail(path))


class FileTablePanel(Panel):
    """A panel whose body is one :class:`FileTable`: it takes focus and names the selection."""

    def focus_target(self) -> Widget:
        return self.query_one(FileTable)

    def selected_path(self) -> str | None:
        return self.query_one(FileTable).selected_path()
