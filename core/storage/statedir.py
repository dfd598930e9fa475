"""Where botstore keeps its own state on this host, never inside the tree it watches.

``$BOTSTORE_STATE_DIR``, else ``/var/lib/botstore`` for root, else
``$XDG_STATE_HOME/botstore`` (``~/.local/state/botstore``). The actions keep the
journal key there (:mod:`core.actions.hostkey`) and ``check`` its verdict cache
(:mod:`core.health.verdicts`); each checks ownership and modes before trusting it.
Kept apart and import-light: ``check`` asks for the path on every run.
"""

# ruff: noqa: PTH111, PTH118

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

STATE_ENV: Final = "BOTSTORE_STATE_DIR"


def state_dir() -> Path:
    """botstore's state directory for the current user (not created here)."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0:
        return Path("/var/lib/botstore")
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return Path(base) / "botstore"


__all__ = ["STATE_ENV", "state_dir"]
