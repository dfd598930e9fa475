"""Reading the tree's files for display: fd-based, never through a symlink, every line safe.

Shared by the log tailer (:mod:`tui.logtail`) and the detail view's model
(:mod:`tui.detail_model`). Every component is opened ``O_NOFOLLOW`` from the
root down, and every line is redacted (:mod:`core.text.sanitize`) and escaped
before it leaves. No textual import.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final

from core.text.sanitize import MAX_SHOWN_LINE, sanitize_text
from core.text.textsafe import escape_controls

_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC


def open_regular(root: Path, rel: str) -> int | None:
    """An fd on the regular file ``root/rel``; None when absent, not regular, or reached
    through a symlink. Every component is opened ``O_NOFOLLOW`` from the root down, so a
    ``logs/supervisor.log -> /etc/shadow`` (or a symlinked ``logs/``) is never read, and
    ``O_NONBLOCK`` keeps a FIFO from hanging the worker."""
    parts = rel.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return None
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        for name in parts[:-1]:
            nxt = os.open(name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
        file_fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        if not stat.S_ISREG(os.fstat(file_fd).st_mode):
            os.close(file_fd)
            return None
    except OSError:
        os.close(file_fd)
        return None
    return file_fd


def display_lines(text: str) -> list[str]:
    """Redacted as a whole (a PEM block spans lines), then split at ``\n`` only, each line
    cut to ``MAX_SHOWN_LINE`` with a marker and its controls escaped (safe to draw)."""
    lines = sanitize_text(text, max_line=MAX_SHOWN_LINE).split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return [escape_controls(line.removesuffix("\r")) for line in lines]


def decode_lines(payload: bytes) -> list[str]:
    return display_lines(payload.decode("utf-8", errors="replace"))
