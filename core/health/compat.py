"""Late-bound access to sibling modules (schemas, migrations) with safe fallbacks.

The health engine must run even when a schema module is missing or broken:
validation is then skipped rather than crashing the scan.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, Final

CURRENT_VERSION: Final = "1.0"


@functools.cache
def _attr(module: str, name: str) -> Callable[..., Any] | None:
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    value = getattr(mod, name, None)
    return value if callable(value) else None


def kind_for_path(relpath: str) -> str | None:
    """The schema kind of a standard file (``None``: no schema)."""
    func = _attr("core.schemas", "kind_for_path")
    if func is None:
        return None
    result = func(relpath)
    return result if isinstance(result, str) else None


def validate(kind: str, data: Any) -> list[str]:
    """Schema violations (field path first); empty when valid or no validator exists."""
    func = _attr("core.schemas", "validate")
    if func is None:
        return []
    result = func(kind, data)
    return [str(item) for item in result] if result else []


def needs_migration(kind: str, data: Any) -> bool:
    """True when ``data`` carries an older ``version``; raises ``VersionError`` for unknown ones."""
    func = _attr("core.migrations", "needs_migration")
    if func is not None:
        return bool(func(kind, data))
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str):
        return False
    try:
        return tuple(int(p) for p in version.split(".")) < (1, 0)
    except ValueError:
        return False


def migrate(kind: str, data: Any) -> Any:
    """``data`` upgraded in memory to the current version (unchanged when impossible)."""
    func = _attr("core.migrations", "migrate")
    if func is None:
        return data
    result = func(kind, data)
    return result[0] if isinstance(result, tuple) else result
