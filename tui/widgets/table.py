"""The DataTable every panel table is built on: rows redrawn once their columns are measured."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.widgets import DataTable


class Table(DataTable[Text | str]):
    """A :class:`DataTable` whose auto-width columns never stay at a stale width.

    Textual 8's DataTable measures new rows on idle, and caches rendered rows by its
    update count, which the measurement does not bump: a row drawn between ``add_row``
    and that idle keeps the column's old (label) width for good —
    ``[reverse]portfolio.json`` cut to 13 cells in the hostile-names test, one run in
    five. Bumping the count when a measurement changed a width makes the next frame
    draw every row at the measured widths (only then: a refresh of the same rows costs
    a frame).
    """

    async def _on_idle(self, event: events.Idle) -> None:
        if not self._require_update_dimensions:
            await super()._on_idle(event)
            return
        widths = [column.content_width for column in self.columns.values()]
        await super()._on_idle(event)
        if widths != [column.content_width for column in self.columns.values()]:
            self._update_count += 1
            self.refresh()


__all__ = ["Table"]
