"""The colour palette: Textual's default theme on rich terminals, a 16-colour theme otherwise.

On a terminal reporting at most 16 colours (``TERM=linux``, a bare ``xterm``)
Textual maps every truecolour to the nearest of the 16 ANSI colours; the default
theme's error then lands on magenta, its warning and its accent (the focused
border) on bright red. :data:`THEME_16` uses colours *of* that standard palette
instead, so criticals stay red, warnings yellow and focus cyan.
"""

from __future__ import annotations

from typing import Final

from textual.theme import Theme

THEME_16: Final = Theme(
    name="botstore-16",
    primary="#5555ff",  # bright blue
    secondary="#0000aa",  # blue
    accent="#00aaaa",  # cyan: focus, never a severity colour
    warning="#ffff55",  # bright yellow
    error="#aa0000",  # red
    success="#00aa00",  # green
    foreground="#aaaaaa",  # light grey
    background="#000000",
    surface="#000000",
    panel="#555555",  # dark grey
    boost="#555555",
    dark=True,
    luminosity_spread=0.0,  # no shades between the 16 colours
)
_SYSTEMS: Final = {"standard": 16, "windows": 16, "256": 256, "truecolor": 1 << 24}


def terminal_colors(color_system: str | None) -> int:
    """How many colours Rich detected (``Console.color_system``). None (no terminal: tests,
    exported screenshots) counts as truecolour."""
    if color_system is None:
        return _SYSTEMS["truecolor"]
    return _SYSTEMS.get(color_system, 16)


def theme_for(colors: int) -> str | None:
    """The theme to use for a terminal with ``colors`` colours (None: Textual's default)."""
    return THEME_16.name if colors <= 16 else None


__all__ = ["THEME_16", "terminal_colors", "theme_for"]
