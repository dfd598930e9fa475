"""The log tailer: follows one log under ``logs/`` and the newest daily report.

Thread-side: the app calls :class:`LogTailer` from a worker and posts the
:class:`LogChunk` s it returns (``tui.messages.LogsTailed``). No textual import.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from core.standard import layout
from tui.readers import decode_lines, open_regular

LOG_TAIL_BYTES: Final = 64 * 1024
LOG_TAIL_LINES: Final = 400
_READABLE_LOG: Final = re.compile(r".+\.(log(\.\d+)?|txt)")
REPORT_MAX_BYTES: Final = 16 * 1024
_DAILY_REPORT: Final = re.compile(r"^daily_report_.*\.txt$")


@dataclass(slots=True)
class LogChunk:
    """New (sanitized) lines of one log file; ``reset`` when the file was replaced/truncated."""

    path: str
    lines: list[str]
    reset: bool = False
    missing: bool = False


def list_logs(root: Path) -> list[str]:
    """Every regular file under ``logs/`` a human reads: logs, rotated logs (``.log.1``),
    daily reports and the audit log; root-relative, sorted (symlinks never followed)."""
    logs = root / layout.LOGS_DIR
    if logs.is_symlink():  # never list (or open) what a symlinked logs/ points at
        return []
    try:
        entries = list(os.scandir(logs))
    except OSError:
        return []
    names = [
        e.name
        for e in entries
        if e.is_file(follow_symlinks=False) and _READABLE_LOG.fullmatch(e.name)
    ]
    return [f"{layout.LOGS_DIR}/{name}" for name in sorted(names)]


@dataclass
class _TailState:
    ino: int = -1
    offset: int = 0
    partial: bytes = b""


@dataclass
class LogTailer:
    """Follows one log (``log_path``, default ``logs/supervisor.log``) and the newest
    ``daily_report_*.txt``."""

    root: Path
    _state: _TailState = field(default_factory=_TailState)
    _report_key: tuple[str, int, float] | None = None
    log_path: str = layout.SUPERVISOR_LOG

    def follow(self, rel: str) -> None:
        """Tail ``rel`` from now on (the next chunk starts with a reset)."""
        self.log_path = rel
        self._state = _TailState()

    def tail_supervisor(self) -> LogChunk:
        rel = self.log_path
        fd = open_regular(self.root, rel)
        if fd is None:
            reset = self._state.ino != -2
            self._state = _TailState(ino=-2)
            return LogChunk(rel, [], reset=reset, missing=True)
        try:
            st = os.fstat(fd)
            state = self._state
            reset = False
            if st.st_ino != state.ino or st.st_size < state.offset:
                reset = True
                state = _TailState(ino=st.st_ino, offset=max(0, st.st_size - LOG_TAIL_BYTES))
            os.lseek(fd, state.offset, os.SEEK_SET)
            chunks: list[bytes] = []
            remaining = st.st_size - state.offset
            while remaining > 0:
                block = os.read(fd, min(remaining, 1 << 16))
                if not block:
                    break
                chunks.append(block)
                remaining -= len(block)
        finally:
            os.close(fd)
        payload = state.partial + b"".join(chunks)
        state.offset += sum(len(c) for c in chunks)
        complete, _, partial = payload.rpartition(b"\n")
        if reset and state.offset - len(payload) > 0 and b"\n" in complete:
            complete = complete.split(b"\n", 1)[1]  # drop the cut-off first line of the tail
        state.partial = partial
        self._state = state
        lines = decode_lines(complete) if complete or payload.endswith(b"\n") else []
        return LogChunk(rel, lines[-LOG_TAIL_LINES:], reset=reset)

    def newest_report(self) -> LogChunk:
        logs = self.root / layout.LOGS_DIR
        try:
            names = sorted(e.name for e in os.scandir(logs) if _DAILY_REPORT.match(e.name))
        except OSError:
            names = []
        if not names:
            changed = self._report_key is not None
            self._report_key = None
            return LogChunk(
                f"{layout.LOGS_DIR}/daily_report_*.txt", [], reset=changed, missing=True
            )
        rel = f"{layout.LOGS_DIR}/{names[-1]}"
        fd = open_regular(self.root, rel)
        if fd is None:
            return LogChunk(rel, [], reset=True, missing=True)
        try:
            st = os.fstat(fd)
            key = (rel, st.st_size, st.st_mtime)
            if key == self._report_key:
                return LogChunk(rel, [], reset=False)
            payload = os.read(fd, REPORT_MAX_BYTES)
        finally:
            os.close(fd)
        self._report_key = key
        return LogChunk(rel, decode_lines(payload), reset=True)
