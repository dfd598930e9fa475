"""``/``: a k9s-style filter prompt; filters live as you type, Enter keeps it, Esc clears it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input


class FilterScreen(ModalScreen[str | None]):
    """A one-line prompt docked at the bottom; returns the filter (None: cancelled)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Clear filter")]

    class Changed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield Input(
            value=self.current,
            placeholder="filter: words in path, code, message, severity",
            id="filter-input",
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        self.app.post_message(self.Changed(event.value.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)
