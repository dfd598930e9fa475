"""Permission policy from the storage standard: who may read what — the one policy.

Directories 750, JSON 640, logs 644, sensitive files 600. A file is sensitive
when its name, or one of its top-level JSON keys, matches the sanitize list.

:func:`file_mode` is the one answer to "which mode does the standard ask for this
file?": the health scan judges with it, ``fix-permissions`` plans with it and the
TUI detail view shows it. Files the standard says nothing about (a ``README.md``
at the root, ``*.parquet`` outside ``data/``...) have no policy mode (``None``):
the scan reports nothing for them, whatever their mode (the real bot writes
everything 644). Writers still need a mode for a new file:
:func:`expected_file_mode` is the policy's, else 640 (strict writer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Final

from core.text.sanitize import is_sensitive_filename

DIR_MODE: Final = 0o750
JSON_MODE: Final = 0o640
LOG_MODE: Final = 0o644
SENSITIVE_MODE: Final = 0o600
DEFAULT_FILE_MODE: Final = 0o640

#: A log or text report by its name: ``*.log``, ``*.txt``, rotated ``*.log.1``/``*.log.gz``.
_LOG_NAME: Final = re.compile(r"\.(?:log|txt)$|\.log\.")
#: Names the standard asks 640 for wherever they are (JSON and their backups).
_JSON_NAMES: Final = (".json", ".json.bak")
#: Logs that stay group-only (640) although logs are 644: botstore's own audit
#: trail names the bot's files and their hashes.
PRIVATE_LOG_NAMES: Final = frozenset({"botstore_actions.log"})


def _name(path: str | PurePath) -> str:
    return (path if isinstance(path, str) else os.fspath(path)).rpartition("/")[2]


def is_sensitive_name(path: str | PurePath) -> bool:
    """True when the file name itself says it holds secrets (``credentials.json``...)."""
    return is_sensitive_filename(_name(path))


def has_sensitive_keys(data: Any) -> bool:
    """True when a JSON object's top-level keys match the sanitize list."""
    return isinstance(data, Mapping) and any(is_sensitive_filename(key) for key in data)


def is_log_path(path: str | PurePath) -> bool:
    """Logs and text reports (``logs/*.log``, ``daily_report_*.txt``, rotated ``.log.1``)."""
    return _LOG_NAME.search(_name(path)) is not None


def file_mode(path: str | PurePath, *, sensitive: bool = False) -> int | None:
    """The mode the standard asks for the regular file at ``path``; ``None``: it says nothing.

    ``path`` is root-relative (``data/portfolio.json``; an absolute path is judged by
    its name only); ``sensitive`` adds what only the content tells (top-level keys,
    :func:`has_sensitive_keys`). Sensitive 600; botstore's audit log 640; logs 644;
    JSON (and ``.json.bak``) 640, and every file under ``data/`` 640.
    """
    text = path if isinstance(path, str) else os.fspath(path)
    name = text.rpartition("/")[2]
    if sensitive or is_sensitive_filename(name):
        return SENSITIVE_MODE
    if name in PRIVATE_LOG_NAMES:
        return JSON_MODE
    if _LOG_NAME.search(name) is not None:
        return LOG_MODE
    if name.endswith(_JSON_NAMES) or text.startswith("data/"):
        return JSON_MODE
    return None


def expected_file_mode(path: str | PurePath, *, sensitive: bool = False) -> int:
    """The mode a writer gives a new file at ``path``: :func:`file_mode`, else 640."""
    mode = file_mode(path, sensitive=sensitive)
    return DEFAULT_FILE_MODE if mode is None else mode


def format_policy(mode: int | None) -> str:
    """A policy mode as shown next to a file's mode: ``640``, or ``none`` without one."""
    return "none" if mode is None else format_mode(mode)


def format_mode(mode: int) -> str:
    """``0o640`` -> ``"640"``, the form operators type into chmod."""
    return f"{mode & 0o7777:03o}"
