"""Recovery actions, safe by construction: preview with ``plan``, change with ``apply``.

Every action module has ``plan(root, ...) -> Plan`` (reads only) and
``apply(plan) -> Result``; :func:`apply` here dispatches on ``plan.action``.
See :mod:`core.actions.protocol` for the all-or-nothing protocol,
:mod:`core.storage.rootfs` for the containment layer every change goes through,
:mod:`core.actions.journal` for signed journals and :mod:`core.actions.safety`
for clean relpaths and one-read fingerprints.
"""

from __future__ import annotations

import importlib
from typing import Final

from core.actions.base import ActionError, Change, ChangedSincePreview, Plan, Result, Skipped, Step

#: ``plan.action`` -> module implementing ``apply``.
MODULES: Final[dict[str, str]] = {
    "restore": "core.actions.restore",
    "undo": "core.actions.restore",
    "fix-permissions": "core.actions.permissions",
    "cleanup": "core.actions.cleanup",
    "reset-tracking": "core.actions.reset",
    "migrate": "core.actions.migrate",
    "verify-backups": "core.actions.verify",
    "snapshot": "core.actions.snapshot",
    "clean-temp": "core.actions.temp",
    "rebuild-portfolio": "core.actions.rebuild_portfolio",
    "refetch-history": "core.actions.refetch_history",
    "refresh-backup": "core.actions.backup",
}


def apply(plan: Plan) -> Result:
    """Apply ``plan`` with its action's module (re-validating everything first)."""
    name = MODULES.get(plan.action)
    if name is None:
        raise ActionError(f"unknown action {plan.action!r}")
    result: Result = importlib.import_module(name).apply(plan)
    return result


__all__ = [
    "MODULES",
    "ActionError",
    "Change",
    "ChangedSincePreview",
    "Plan",
    "Result",
    "Skipped",
    "Step",
    "apply",
]
