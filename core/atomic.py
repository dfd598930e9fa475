"""Moved to :mod:`core.storage` (``names``, ``lock``, ``codec``, ``fsops``, ``write``,
``read``); this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.standard.layout import BACKUP_SUFFIX
from core.storage.codec import NAN_CHECK_MAX_BYTES, dumps, non_finite_float, parse_json
from core.storage.fsops import ensure_dir
from core.storage.lock import DEFAULT_LOCK_TIMEOUT, file_lock, flock_exclusive
from core.storage.names import (
    LOCK_SUFFIX,
    TEMP_SUFFIX,
    PathLike,
    backup_path,
    is_lock_name,
    is_temp_name,
    lock_path,
    temp_name,
)
from core.storage.read import DEFAULT_MAX_BYTES, read_bytes, read_json
from core.storage.write import atomic_write, atomic_write_bytes, write_json

__all__ = [
    "BACKUP_SUFFIX",
    "DEFAULT_LOCK_TIMEOUT",
    "DEFAULT_MAX_BYTES",
    "LOCK_SUFFIX",
    "NAN_CHECK_MAX_BYTES",
    "TEMP_SUFFIX",
    "PathLike",
    "atomic_write",
    "atomic_write_bytes",
    "backup_path",
    "dumps",
    "ensure_dir",
    "file_lock",
    "flock_exclusive",
    "is_lock_name",
    "is_temp_name",
    "lock_path",
    "non_finite_float",
    "parse_json",
    "read_bytes",
    "read_json",
    "temp_name",
    "write_json",
]
