"""Moved to :mod:`core.storage.atomic`; this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.standard.layout import BACKUP_SUFFIX
from core.storage.atomic import (
    DEFAULT_LOCK_TIMEOUT,
    DEFAULT_MAX_BYTES,
    LOCK_SUFFIX,
    NAN_CHECK_MAX_BYTES,
    TEMP_SUFFIX,
    PathLike,
    atomic_write,
    atomic_write_bytes,
    backup_path,
    dumps,
    ensure_dir,
    file_lock,
    flock_exclusive,
    is_lock_name,
    is_temp_name,
    lock_path,
    non_finite_float,
    parse_json,
    read_bytes,
    read_json,
    temp_name,
    write_json,
)

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
