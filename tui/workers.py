"""Thread-side logic of the monitor: scanning, tailing logs, loading a file for the detail view.

Nothing here touches a widget. The app runs these in ``@work(thread=True)``
workers and they hand back plain data (or post typed messages). Every string
that comes from a file goes through :mod:`core.text.sanitize` before it leaves.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Final

import orjson

from core.documents.validation import judge_data, kind_of
from core.errors import InvalidJson, StorageError
from core.health.report import HealthReport
from core.standard import layout
from core.standard.findings import Finding, Severity, Status
from core.standard.policy import (
    file_mode,
    format_mode,
    format_policy,
    is_sensitive_name,
)
from core.standard.units import format_span
from core.storage.codec import parse_json
from core.storage.names import is_lock_name, is_temp_name
from core.text.sanitize import MAX_SHOWN_LINE, sanitize_for_logging, sanitize_text
from core.text.textsafe import escape_controls
from tui.messages import FileDetail, LogChunk

MAX_DETAIL_BYTES: Final = 4 * 1024 * 1024
LOG_TAIL_BYTES: Final = 64 * 1024
LOG_TAIL_LINES: Final = 400
_READABLE_LOG: Final = re.compile(r".+\.(log(\.\d+)?|txt)")
REPORT_MAX_BYTES: Final = 16 * 1024
_DAILY_REPORT: Final = re.compile(r"^daily_report_.*\.txt$")


def is_own_noise(relpath: str) -> bool:
    """Paths the monitor must ignore: atomic-write temps, lock sidecars, quarantine."""
    name = PurePosixPath(relpath).name
    if is_temp_name(name) or is_lock_name(name):
        return True
    return relpath.startswith(layout.QUARANTINE_DIR + "/")


# --------------------------------------------------------------------------- scanning


def _now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="seconds")


def absent_root_report(root: Path, clock: Callable[[], float], reason: str) -> HealthReport:
    """The report shown when the root cannot be scanned at all (absent, not a directory)."""
    finding = Finding("missing", Severity.CRITICAL, ".", reason)
    return HealthReport(
        root=str(root),
        checked_at=_now_iso(clock),
        status=Status.CRITICAL,
        health={"portfolio_file_exists": False},
        findings=[finding],
    )


class Engine:
    """The health scanner behind a lock: one scan at a time, full or incremental."""

    def __init__(self, root: Path, config: str | None, clock: Callable[[], float]) -> None:
        self.root = root
        self.config_path = config
        self.clock = clock
        self._scanner: Any = None
        self._lock = threading.Lock()

    def _make_scanner(self) -> Any:
        health = importlib.import_module("core.health")
        config_module = importlib.import_module("core.config")
        config = config_module.load_config(self.root, self.config_path)
        return health.HealthScanner(self.root, config)

    def root_problem(self) -> str | None:
        """Why the root cannot be scanned, or None."""
        try:
            st = self.root.stat()
        except FileNotFoundError:
            return f"root {self.root} does not exist"
        except OSError as exc:
            return f"root {self.root} is not accessible: {exc.strerror}"
        if not stat.S_ISDIR(st.st_mode):
            return f"root {self.root} is not a directory"
        return None

    @property
    def config(self) -> Any:
        """The resolved ``Config`` the scans use (``None`` before the first scan): the
        recovery actions take this one, so they ignore what the scan ignores."""
        scanner = self._scanner
        return None if scanner is None else scanner.config

    def entry_count(self) -> int:
        """Entries (files and directories) the scanner tracks; 0 before the first scan."""
        scanner = self._scanner
        if scanner is None:
            return 0
        # HealthScanner exposes no public count (yet); its entry map is the closest figure.
        entries = getattr(scanner, "entries", None)
        if entries is None:
            entries = getattr(scanner, "_entries", {})
        return len(entries)

    def full_scan(self) -> HealthReport:
        with self._lock:
            problem = self.root_problem()
            if problem is not None:
                self._scanner = None
                return absent_root_report(self.root, self.clock, problem)
            if self._scanner is None:
                self._scanner = self._make_scanner()
            report: HealthReport = self._scanner.full_scan()
            return report

    def update(self, changed: set[str]) -> HealthReport:
        with self._lock:
            if self._scanner is None:
                problem = self.root_problem()
                if problem is not None:
                    return absent_root_report(self.root, self.clock, problem)
                self._scanner = self._make_scanner()
                report: HealthReport = self._scanner.full_scan()
                return report
            updated: HealthReport = self._scanner.update(changed)
            return updated


# --------------------------------------------------------------------------- logs


_DIR_FLAGS: Final = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS: Final = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_NOCTTY | os.O_CLOEXEC


def _open_regular(root: Path, rel: str) -> int | None:
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


def _display_lines(text: str) -> list[str]:
    """Redacted as a whole (a PEM block spans lines), then split at ``\n`` only, each line
    cut to ``MAX_SHOWN_LINE`` with a marker and its controls escaped (safe to draw)."""
    lines = sanitize_text(text, max_line=MAX_SHOWN_LINE).split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return [escape_controls(line.removesuffix("\r")) for line in lines]


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


def _decode_lines(payload: bytes) -> list[str]:
    return _display_lines(payload.decode("utf-8", errors="replace"))


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
        fd = _open_regular(self.root, rel)
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
        lines = _decode_lines(complete) if complete or payload.endswith(b"\n") else []
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
        fd = _open_regular(self.root, rel)
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
        return LogChunk(rel, _decode_lines(payload), reset=True)


# --------------------------------------------------------------------------- detail view


def pretty_with_paths(data: Any) -> tuple[list[str], dict[str, int]]:
    """Pretty JSON lines plus a map from field path (``a.b.0.c``) to its 1-based line."""
    lines: list[str] = []
    where: dict[str, int] = {}

    def scalar(value: Any) -> str:
        return orjson.dumps(value, default=str).decode()

    def emit(value: Any, indent: int, prefix: str, path: str, last: bool) -> None:
        pad = "  " * indent
        comma = "" if last else ","
        if path:
            where.setdefault(path, len(lines) + 1)
        if isinstance(value, dict) and value:
            lines.append(f"{pad}{prefix}{{")
            items = list(value.items())
            for i, (key, item) in enumerate(items):
                child = f"{path}.{key}" if path else str(key)
                emit(item, indent + 1, f"{scalar(str(key))}: ", child, i == len(items) - 1)
            lines.append(f"{pad}}}{comma}")
        elif isinstance(value, list) and value:
            lines.append(f"{pad}{prefix}[")
            for i, item in enumerate(value):
                child = f"{path}.{i}" if path else str(i)
                emit(item, indent + 1, "", child, i == len(value) - 1)
            lines.append(f"{pad}]{comma}")
        else:
            rendered = (
                "{}"
                if isinstance(value, dict)
                else "[]"
                if isinstance(value, list)
                else scalar(value)
            )
            lines.append(f"{pad}{prefix}{rendered}{comma}")

    emit(data, 0, "", "", True)
    return lines, where


_INDEX: Final = re.compile(r"\[(\d+)\]")


def split_violation(violation: str) -> tuple[str, str]:
    """``"EUR.amount: must be ≥ 0"`` -> ``("EUR.amount", "must be ≥ 0")``; no path: ``""``."""
    head, sep, tail = violation.partition(": ")
    if sep and head and " " not in head.strip():
        return head.strip(), tail
    return "", violation


def normalize_path(path: str) -> str:
    """``a[0].b`` and ``a/0/b`` -> ``a.0.b`` (the form :func:`pretty_with_paths` records)."""
    path = _INDEX.sub(r".\1", path).replace("/", ".").strip(".")
    return path.removeprefix("$.").removeprefix("root.")


def line_for_path(path: str, where: dict[str, int]) -> int | None:
    """The line of ``path``, or of its nearest existing parent (a missing field)."""
    parts = normalize_path(path).split(".") if path else []
    while parts:
        found = where.get(".".join(parts))
        if found is not None:
            return found
        parts.pop()
    return 1 if path else None


def side_by_side(left: list[str], right: list[str]) -> list[tuple[str, str, str]]:
    """Rows of (tag, left, right); tag is ``equal``, ``replace``, ``delete`` or ``insert``."""
    rows: list[tuple[str, str, str]] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        span = max(i2 - i1, j2 - j1)
        for k in range(span):
            a = left[i1 + k] if i1 + k < i2 else ""
            b = right[j1 + k] if j1 + k < j2 else ""
            rows.append((tag, a, b))
    return rows


def _read_for_detail(root: Path, rel: str) -> tuple[bytes | None, str | None]:
    fd = _open_regular(root, rel)
    if fd is None:
        return None, "missing or not a regular file"
    try:
        size = os.fstat(fd).st_size
        if size > MAX_DETAIL_BYTES:
            return None, f"too large to show ({size} bytes)"
        chunks: list[bytes] = []
        while True:
            block = os.read(fd, 1 << 20)
            if not block:
                break
            chunks.append(block)
        return b"".join(chunks), None
    except OSError as exc:
        return None, f"unreadable: {exc.strerror}"
    finally:
        os.close(fd)


def _parse(payload: bytes, relpath: str) -> tuple[Any, str | None, int | None]:
    try:
        return parse_json(payload, relpath), None, None
    except InvalidJson as exc:
        return None, sanitize_text(exc.reason), exc.line
    except StorageError as exc:
        return None, sanitize_text(exc.reason), None


def _owner_text(root: Path, st: os.stat_result) -> str:
    try:
        root_st = root.stat()
    except OSError:
        return f"uid {st.st_uid} / gid {st.st_gid}"
    if (st.st_uid, st.st_gid) == (root_st.st_uid, root_st.st_gid):
        return "same as the root directory"
    return f"uid {st.st_uid} / gid {st.st_gid} (root directory: {root_st.st_uid}/{root_st.st_gid})"


def load_detail(root: Path, relpath: str, clock: Callable[[], float]) -> FileDetail:
    """Read one file for the detail view: metadata, validation, pretty JSON, ``.bak`` diff."""
    path = root / relpath
    detail = FileDetail(path=relpath, exists=False)
    try:
        st = os.lstat(path)
    except OSError as exc:
        detail.error = f"cannot stat: {exc.strerror}"
        return detail
    detail.exists = True
    sensitive = is_sensitive_name(relpath)
    policy = format_policy(file_mode(relpath, sensitive=sensitive))
    detail.metadata = [
        ("size", f"{st.st_size} bytes"),
        ("modified", datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds")),
        ("age", format_span(max(0.0, clock() - st.st_mtime))),
        ("mode", f"{format_mode(st.st_mode)} (policy {policy})"),
        ("owner", _owner_text(root, st)),
        (
            "type",
            "symlink"
            if stat.S_ISLNK(st.st_mode)
            else "file"
            if stat.S_ISREG(st.st_mode)
            else "other",
        ),
        ("sensitive", "yes" if sensitive else "no"),
    ]
    if not stat.S_ISREG(st.st_mode):
        detail.error = "not a regular file: not opened"
        return detail
    payload, problem = _read_for_detail(root, relpath)
    if payload is None:
        detail.error = problem
        return detail
    detail.kind = kind_of(relpath)
    is_json = relpath.endswith((".json", ".json.bak"))
    if not is_json:
        detail.pretty_is_json = False
        text = payload[: REPORT_MAX_BYTES * 4].decode("utf-8", errors="replace")
        detail.pretty = "\n".join(_display_lines(text))
        return detail
    data, error, line = _parse(payload, relpath)
    if error is not None:
        detail.error = error
        detail.error_line = line
        detail.pretty_is_json = False
        text = payload.decode("utf-8", errors="replace")
        detail.pretty = "\n".join(_display_lines(text))
        if line is not None:
            detail.highlight_lines = {line}
    else:
        clean = sanitize_for_logging(data)
        lines, where = pretty_with_paths(clean)
        detail.pretty = "\n".join(lines)
        if detail.kind is not None:
            for violation in judge_data(relpath, data).problems:
                field_path, message = split_violation(sanitize_text(violation))
                detail.violations.append((field_path, message))
                found = line_for_path(field_path, where)
                detail.violation_lines.append(found)
                if found is not None:
                    detail.highlight_lines.add(found)
    if relpath == layout.PORTFOLIO:
        _attach_backup(root, relpath, detail, data)
    return detail


def _attach_backup(root: Path, relpath: str, detail: FileDetail, current: Any) -> None:
    bak_rel = relpath + layout.BACKUP_SUFFIX
    payload, problem = _read_for_detail(root, bak_rel)
    if payload is None:
        detail.backup_error = f"{bak_rel}: {problem}"
        return
    data, error, _ = _parse(payload, bak_rel)
    if error is not None:
        detail.backup_error = f"{bak_rel}: {error}"
        return
    left, _ = pretty_with_paths(sanitize_for_logging(data))
    detail.backup_pretty = "\n".join(left)
    if current is not None:
        right, _ = pretty_with_paths(sanitize_for_logging(current))
    else:
        right = (detail.pretty or "").splitlines()
    detail.diff = side_by_side(left, right)


def monotonic_ms() -> float:
    return time.monotonic() * 1000.0
