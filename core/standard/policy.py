"""Permission policy from the storage standard: who may read what.

Directories 750, JSON 640, logs 644, sensitive files 600. A file is sensitive
when its name, or one of its top-level JSON keys, matches the sanitize list.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Final

from core.text.sanitize import is_sensitive_filename

DIR_MODE: Final = 0o750
JSON_MODE: Final = 0o640
LOG_MODE: Final = 0o644
SENSITIVE_MODE: Final = 0o600
DEFAULT_FILE_MODE: Final = 0o640

_LOG_SUFFIXES: Final = frozenset({".log", ".txt"})
#: Logs that stay group-only (640) although logs are 644: botstore's own audit
#: trail names the bot's files and their hashes.
PRIVATE_LOG_NAMES: Final = frozenset({"botstore_actions.log"})


def is_sensitive_name(path: str | PurePath) -> bool:
    """True when the file name itself says it holds secrets (``credentials.json``...)."""
    return is_sensitive_filename(PurePath(path).name)


def has_sensitive_keys(data: Any) -> bool:
    """True when a JSON object's top-level keys match the sanitize list."""
    return isinstance(data, Mapping) and any(is_sensitive_filename(key) for key in data)


def is_log_path(path: str | PurePath) -> bool:
    """Logs and text reports (``logs/*.log``, ``daily_report_*.txt``, rotated ``.log.1``)."""
    pure = PurePath(path)
    if pure.suffix in _LOG_SUFFIXES:
        return True
    return any(suffix == ".log" for suffix in pure.suffixes)


def expected_file_mode(path: str | PurePath, *, sensitive: bool = False) -> int:
    """The mode the policy asks for a file at ``path``."""
    if sensitive or is_sensitive_name(path):
        return SENSITIVE_MODE
    if PurePath(path).name in PRIVATE_LOG_NAMES:
        return JSON_MODE
    if is_log_path(path):
        return LOG_MODE
    return JSON_MODE


def format_mode(mode: int) -> str:
    """``0o640`` -> ``"640"``, the form operators type into chmod."""
    return f"{mode & 0o7777:03o}"
