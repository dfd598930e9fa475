"""Moved to :mod:`core.text.sanitize`; this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.text.sanitize import (
    ELISION,
    MAX_SHOWN_LINE,
    REDACTED,
    SENSITIVE_KEYS,
    clip_lines,
    is_sensitive_filename,
    is_sensitive_key,
    sanitize_for_logging,
    sanitize_text,
)

__all__ = [
    "ELISION",
    "MAX_SHOWN_LINE",
    "REDACTED",
    "SENSITIVE_KEYS",
    "clip_lines",
    "is_sensitive_filename",
    "is_sensitive_key",
    "sanitize_for_logging",
    "sanitize_text",
]
