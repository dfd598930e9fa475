"""Hostile text for the CLI and TUI property tests (``tests/integration/test_hostile_cli.py``,
``tests/tui/test_hostile_tui.py``): one list of the pieces both front ends must show
literally, and the one way a generated fragment is made of them."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

#: Rich markup, OSC/CSI sequences (7- and 8-bit), C1 controls, line breaks, DEL, a bidi override.
HOSTILE_PIECES = (
    "[/nope]",
    "[reverse]",
    "\x1b]2;PWNED\x07",
    "\x1b[2J",
    "\x9b2J",
    "\x85",
    "\n",
    "\r",
    "\t",
    "\x7f",
    "\u202e",
)


def fragments(extra: Sequence[str], *, max_size: int) -> st.SearchStrategy[str]:
    """One to three pieces joined: each a hostile piece (:data:`HOSTILE_PIECES` + ``extra``)
    or any Unicode text of up to ``max_size`` characters (no ``/``, NUL or surrogate)."""
    unicode = st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="/\x00"), max_size=max_size
    )
    piece = st.sampled_from([*HOSTILE_PIECES, *extra])
    return st.lists(st.one_of(piece, unicode), min_size=1, max_size=3).map("".join)
