"""The detail view's model: one file of the tree read into a :class:`FileDetail`.

Metadata, validation against the file's schema (failing fields mapped to their
line of the pretty JSON), sanitized content and, for the portfolio, a
side-by-side diff against its ``.bak``. Plain data, no UI: the detail screen
(:mod:`tui.screens.detail`) draws it; the app loads it in a worker thread. No
textual import, so the CLI's tests can call :func:`load_detail` directly.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from core.documents.validation import judge_data, kind_of
from core.errors import InvalidJson, StorageError
from core.standard import layout
from core.standard.policy import file_mode, format_mode, format_policy, is_sensitive_name
from core.standard.units import format_span
from core.storage.codec import parse_json
from core.text.sanitize import sanitize_for_logging, sanitize_text
from tui.logtail import REPORT_MAX_BYTES
from tui.readers import display_lines, open_regular

MAX_DETAIL_BYTES: Final = 4 * 1024 * 1024


@dataclass(slots=True)
class FileDetail:
    """Everything the detail view shows about one file (all text already sanitized)."""

    path: str
    exists: bool
    metadata: list[tuple[str, str]] = field(default_factory=list)
    kind: str | None = None  # schema kind, when the path has one
    error: str | None = None  # read/parse error (missing, invalid JSON at line L...)
    error_line: int | None = None
    violations: list[tuple[str, str]] = field(default_factory=list)  # (field path, message)
    violation_lines: list[int | None] = field(default_factory=list)  # line of each violation
    pretty: str | None = None  # sanitized pretty JSON (or sanitized raw text)
    pretty_is_json: bool = True
    highlight_lines: set[int] = field(default_factory=set)  # 1-based lines of failing fields
    backup_pretty: str | None = None  # portfolio.json: sanitized pretty .bak
    backup_error: str | None = None
    diff: list[tuple[str, str, str]] | None = None  # (tag, left, right) side-by-side rows


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
    fd = open_regular(root, rel)
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
        detail.pretty = "\n".join(display_lines(text))
        return detail
    data, error, line = _parse(payload, relpath)
    if error is not None:
        detail.error = error
        detail.error_line = line
        detail.pretty_is_json = False
        text = payload.decode("utf-8", errors="replace")
        detail.pretty = "\n".join(display_lines(text))
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
