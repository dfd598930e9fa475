"""When an action fits a finding: the ``fits`` predicates of the catalog's entries.

Each predicate looks at the finding and, when it must, at the tree (a restore
fits only when the ``.bak`` is a usable source); reads go through the fd-based
:mod:`core.actions.safety` helpers and never follow a symlink. The exchange
actions' own rules live with them (``rebuild_portfolio.fits``,
``refetch_history.fits``), imported on first use so ``check`` needs no action
module. :mod:`core.actions.catalog` pairs each predicate with its fix.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Final

from core.actions.base import ActionError
from core.actions.safety import fingerprint, read_beneath, real_root
from core.errors import StorageError
from core.standard import layout
from core.standard.findings import Finding
from core.standard.layout import BACKUP_SUFFIX

#: Finding codes a restore from the ``.bak`` repairs.
RESTORABLE: Final = frozenset({"invalid_json", "schema", "missing", "unreadable", "size"})
#: The performance-tracking files ``reset-tracking`` rewrites.
TRACKING: Final = frozenset({layout.PERFORMANCE_CONFIG, layout.SNAPSHOTS})


def usable(root: Path, rel: str) -> bool:
    """``rel`` is a regular file whose content would pass as that file (JSON + schema).

    The validators (pydantic) load here, on the first fit that needs them: ``check``
    asks the catalog for a hint on every finding, and most fits need no content.
    """
    from core.documents.checks import check_payload

    try:
        base = real_root(root)
        if fingerprint(base, rel).kind != "file":
            return False
        _, problems = check_payload(rel.removesuffix(BACKUP_SUFFIX), read_beneath(base, rel))
    except (ActionError, StorageError, OSError, ValueError):
        return False
    return not problems


def primary(path: str) -> str:
    return path.removesuffix(BACKUP_SUFFIX)


def is_log(path: str) -> bool:
    return path.startswith(layout.LOGS_DIR + "/")


def restorable(root: Path, f: Finding) -> bool:
    """A damaged primary whose ``.bak`` would pass as that file."""
    return (
        f.code in RESTORABLE
        and not f.path.endswith(BACKUP_SUFFIX)
        and usable(root, f.path + BACKUP_SUFFIX)
    )


def backup_refreshable(root: Path, f: Finding) -> bool:
    """A bad ``.bak`` next to a valid primary."""
    return f.code == "backup" and f.path.endswith(BACKUP_SUFFIX) and usable(root, primary(f.path))


def no_valid_portfolio_bak(root: Path, f: Finding) -> bool:
    """The portfolio is unusable and there is no valid ``.bak``: the exchange is the source."""
    if f.path != layout.PORTFOLIO:
        return False
    module = importlib.import_module("core.actions.rebuild_portfolio")
    fits: bool = module.fits(root, f.path, {f.code})
    return fits


def refetchable(_root: Path, f: Finding) -> bool:
    if not f.path.startswith(layout.HISTORICAL_DIR + "/"):
        return False
    module = importlib.import_module("core.actions.refetch_history")
    fits: bool = module.fits(f.path, {f.code})
    return fits


def stale_json_or_log(_root: Path, f: Finding) -> bool:
    """Stale files whose writer logs: JSON data files and the logs themselves (a stale
    Parquet file needs its history fetched again, not a log)."""
    return f.code == "stale" and (f.path.endswith(".json") or is_log(f.path))


def stale_snapshots(_root: Path, f: Finding) -> bool:
    return f.path == layout.SNAPSHOTS and f.code in {"stale", "gap"}


__all__ = [
    "RESTORABLE",
    "TRACKING",
    "backup_refreshable",
    "is_log",
    "no_valid_portfolio_bak",
    "primary",
    "refetchable",
    "restorable",
    "stale_json_or_log",
    "stale_snapshots",
    "usable",
]
