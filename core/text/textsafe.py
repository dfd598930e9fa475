"""Terminal-safe text: every string from the tree is shown literally, never interpreted.

File names, JSON values and log lines are untrusted. Printed raw, an ESC or C1
CSI sequence retitles or clears the terminal and a newline forges an output
line (``BOTSTORE OK - no problems``). :func:`escape_controls` turns every C0/C1
control, DEL, bidirectional override and lone surrogate into a visible escape
(``\\x1b``, ``\\n``, ``\\u009b``, ``\\u202e``, ``\\xNN`` for a byte that is not
UTF-8); every human-readable output (``check`` text, ``watch``, action plans and
results, audit messages, the TUI) passes its tree-derived lines through it.

Machine output stays JSON: :func:`json_safe` only rewrites the characters a
JSON encoder may leave raw inside strings (DEL, C1, U+2028/U+2029, bidi
controls) as ``\\uXXXX`` escapes, so the document stays valid and the raw
value is recovered by any JSON parser.
"""

from __future__ import annotations

import re
from typing import Final, TextIO

_NAMED: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: C0, DEL, C1, line/paragraph separators, bidi embeddings/overrides/isolates, surrogates.
_UNSAFE: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: What a JSON encoder leaves unescaped inside strings but a terminal still acts on.
_JSON_UNSAFE: Final = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x80:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, surrogate-escaped by ``os``
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """``text`` with every control/bidi/surrogate character replaced by a visible escape.

    One compiled pass (linear time); printable text, including every other
    Unicode character, is returned unchanged (the same object when nothing
    needed escaping).
    """
    if text.isprintable() and text.isascii():
        return text
    return _UNSAFE.sub(_escape_one, text)


def safe_lines(lines: list[str]) -> str:
    """Join intended lines with ``\\n``, escaping each (so no value can add a line)."""
    return "\n".join(escape_controls(line) for line in lines)


def json_safe(encoded: str) -> str:
    """An encoded JSON document with DEL/C1/separators/bidi controls as ``\\uXXXX``.

    Only valid on encoder output: those characters can only occur inside
    strings there, where ``\\uXXXX`` means the same character.
    """
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", encoded)


class LineWriter:
    """A text stream wrapper for reports written one line per ``write``: each line is
    escaped, only its final ``\\n`` is kept as a line break."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
        return self.stream.write(escape_controls(body) + newline)

    def flush(self) -> None:
        self.stream.flush()


__all__ = ["LineWriter", "escape_controls", "json_safe", "safe_lines"]
