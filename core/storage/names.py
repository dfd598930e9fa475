"""The names of the standard's files next to a target: temp, lock and backup.

One source for the suffixes and the name patterns: the writers (:mod:`core.storage.write`,
:mod:`core.storage.rootfs`) create these names, the scanner, watch, cleanup and cloud sync
recognize them (``is_temp_name``, ``is_lock_name``), and ``backup_path`` names the
``.bak`` every reader and recovery looks for.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from core.standard.layout import BACKUP_SUFFIX

PathLike = str | os.PathLike[str]

TEMP_SUFFIX: Final = ".tmp"
LOCK_SUFFIX: Final = ".lock"
_TEMP_HEX_BYTES: Final = 6


def temp_name(target: str) -> str:
    """The recognizable temp-file name for ``target``'s base name: ``.<name>.<random>.tmp``."""
    return f".{target}.{os.urandom(_TEMP_HEX_BYTES).hex()}{TEMP_SUFFIX}"


def lock_path(path: PathLike) -> Path:
    """The sidecar advisory-lock file for ``path`` (``.<name>.lock``, never deleted)."""
    p = Path(path)
    return p.with_name(f".{p.name}{LOCK_SUFFIX}")


def backup_path(path: PathLike) -> Path:
    """``portfolio.json`` -> ``portfolio.json.bak``."""
    p = Path(path)
    return p.with_name(p.name + BACKUP_SUFFIX)


def is_temp_name(name: str) -> bool:
    """True for names our writers create (``.<name>.<hex>.tmp``)."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def is_lock_name(name: str) -> bool:
    """True for our sidecar lock files (``.<name>.lock``)."""
    return name.startswith(".") and name.endswith(LOCK_SUFFIX)


def temp_pattern(name: str) -> re.Pattern[str]:
    """Exactly the temp names of ``name`` (not those of ``name.bak`` or other files)."""
    return re.compile(
        rf"\.{re.escape(name)}\.[0-9a-f]{{{2 * _TEMP_HEX_BYTES}}}{re.escape(TEMP_SUFFIX)}"
    )


def split_target(path: PathLike) -> tuple[str, str, str]:
    """``path`` -> (target, directory, base name) as plain strings (cheap, no pathlib)."""
    target = os.fspath(path)
    directory, name = os.path.split(target)
    return target, directory or ".", name


__all__ = [
    "LOCK_SUFFIX",
    "TEMP_SUFFIX",
    "PathLike",
    "backup_path",
    "is_lock_name",
    "is_temp_name",
    "lock_path",
    "split_target",
    "temp_name",
    "temp_pattern",
]
