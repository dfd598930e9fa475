"""botstore core: durable, validated storage for a file-based trading bot.

This package is what the bot itself imports. It must never import a UI
library (``textual``); ``tests/integration/test_contract.py`` enforces that.

The storage standard's own names are importable from here, so each of the
bot's snippets becomes one import (``from core import save_data_atomically``);
they live in :mod:`core.api` and are loaded on first use (``import core``
stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.standard.lazy import lazy_exports
from core.standard.version import __version__ as __version__

__all__ = [
    "DataManager",
    "get_storage_health",
    "load_with_recovery",
    "migrate_data_version",
    "sanitize_for_logging",
    "save_data_atomically",
    "sync_to_cloud",
    "validate_and_load_json",
]

if TYPE_CHECKING:
    from core.api import (
        DataManager,
        get_storage_health,
        load_with_recovery,
        migrate_data_version,
        sanitize_for_logging,
        save_data_atomically,
        sync_to_cloud,
        validate_and_load_json,
    )

__getattr__ = lazy_exports(__name__, dict.fromkeys(__all__, "core.api"))
