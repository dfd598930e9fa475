"""What the planners share: the tree an action plans over, and a step that writes bytes.

:func:`tree_entries` is the one walk of the tree for migrate, verify-backups
and clean-temp: every entry below the root (``lstat``, no symlink followed,
:func:`core.health.walk.walk`) except the directories the scan's ``ignore``
skips and the files ``skip_file`` rejects. :func:`replace_step` is the
``replace`` step of every action that writes previewed bytes with a mode
(restore, refresh-backup, rebuild-portfolio, refetch-history): their hash, size
and the mode before and after, as the preview shows them and ``apply``
re-checks them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core.actions.base import Fingerprint, Step
from core.actions.safety import sha256
from core.health.walk import walk
from core.standard.findings import Finding

if TYPE_CHECKING:
    from core.config import Config


def tree_entries(
    base: Path, config: Config, skip_file: Callable[[str], bool]
) -> dict[str, os.stat_result]:
    """Root-relative path -> ``lstat`` of every entry an action considers (directories
    that cannot be listed are left out: the scan reports them)."""
    entries: dict[str, os.stat_result] = {}
    errors: dict[str, list[Finding]] = {}
    walk(
        str(base),
        "",
        entries,
        errors,
        lambda r: config.is_ignored(r, is_dir=True),
        skip_file,
    )
    return entries


def replace_step(
    rel: str,
    before: Fingerprint,
    payload: bytes,
    mode: int,
    *,
    detail: str,
    source: str | None = None,
    depends: tuple[tuple[str, Fingerprint], ...] = (),
) -> Step:
    """The step that writes ``payload`` at ``rel`` with ``mode`` (``before``: what the
    preview saw there; ``source``/``depends``: the file the bytes come from)."""
    return Step(
        "replace",
        rel,
        detail=detail,
        before=before,
        source=source,
        after_sha256=sha256(payload),
        mode_before=before.mode if before.exists else None,
        mode_after=mode,
        size=len(payload),
        depends=depends,
    )


__all__ = ["replace_step", "tree_entries"]
