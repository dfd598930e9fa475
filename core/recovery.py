"""Moved to :mod:`core.documents.recovery`; this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.documents.recovery import (
    PathLike,
    RecoveryFailed,
    RecoveryResult,
    Source,
    Validator,
    default_root,
    load_with_recovery,
    quarantine,
    write_json_locked,
)
from core.standard.times import COMPACT_FORMAT as QUARANTINE_STAMP

__all__ = [
    "QUARANTINE_STAMP",
    "PathLike",
    "RecoveryFailed",
    "RecoveryResult",
    "Source",
    "Validator",
    "default_root",
    "load_with_recovery",
    "quarantine",
    "write_json_locked",
]
