"""Moved to :mod:`core.documents.migrations`; this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.documents.migrations import (
    LEGACY_LIST,
    WRAPPED,
    Migration,
    Step,
    detect_version,
    migrate,
    migrate_file,
    migration,
    needs_migration,
    registered_steps,
)

__all__ = [
    "LEGACY_LIST",
    "WRAPPED",
    "Migration",
    "Step",
    "detect_version",
    "migrate",
    "migrate_file",
    "migration",
    "needs_migration",
    "registered_steps",
]
