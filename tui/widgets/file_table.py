"""A DataTable of files whose rows are keyed by relative path (Enter -> detail view)."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable

from tui.literal import safe_text
from tui.messages import OpenDetail
from tui.widgets.base import Panel


class FileTable(DataTable[Text | str]):
    """Rows keyed by path; keeps the cursor on the same file across refreshes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.paths: list[str] = []

    def selected_path(self) -> str | None:
        if 0 <= self.cursor_row < len(self.paths):
            return self.paths[self.cursor_row]
        return None

    def replace_rows(self, rows: list[tuple[str, list[Text | str]]]) -> None:
        """Swap every row for ``rows`` (path, cells), keeping the cursor's file selected."""
        previous = self.selected_path()
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
