"""Tree data on screen, literally: never parsed as markup, never a raw control character.

Every string that comes from the tree (file names, finding messages, JSON values,
log lines, error texts) reaches a widget through :func:`literal` (a ``rich.text.Text``,
which Textual never parses as markup) after :func:`core.text.textsafe.escape_controls`, so
``x[/nope].json`` is drawn as those characters instead of crashing the app,
``[@click=app.quit]`` is not a link and ``\\x1b]2;…`` cannot retitle the terminal.
"""

from __future__ import annotations

from rich.console import OverflowMethod
from rich.style import Style
from rich.text import Text

from core.text.textsafe import escape_controls


def literal(
    value: object,
    style: str | Style = "",
    *,
    no_wrap: bool | None = None,
    overflow: OverflowMethod | None = None,
) -> Text:
    """``value`` as plain text (controls escaped) in one ``style``; ``no_wrap``/``overflow``
    as :class:`rich.text.Text` (a table cell: ``no_wrap=True, overflow="ellipsis"``)."""
    return Text(escape_controls(str(value)), style=style, no_wrap=no_wrap, overflow=overflow)


def safe_text(text: Text | str) -> Text:
    """A one-line cell or label made safe: a ``str`` becomes :func:`literal`; a ``Text``
    keeps its styles unless it holds a control character (then its plain text, escaped,
    newlines included: for multi-line bodies escape the pieces as they are appended)."""
    if isinstance(text, str):
        return literal(text)
    plain = text.plain
    escaped = escape_controls(plain)
    if escaped is plain or escaped == plain:
        return text
    return Text(escaped, style=text.style, justify=text.justify, no_wrap=text.no_wrap)


def markup_literal(value: object) -> str:
    """For the few APIs that only take markup strings (the command palette's prompts):
    ``value`` with controls and markup escaped, so it still reads as written."""
    return escape_controls(str(value)).replace("[", "\\[")


__all__ = ["literal", "markup_literal", "safe_text"]
