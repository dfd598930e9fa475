"""Moved to :mod:`core.documents.cache`; this name stays for code written against it.

botstore itself never imports it (an import-linter contract checks that).
"""

from core.documents.cache import (
    DEFAULT_RACY_WINDOW,
    DEFAULT_TTL,
    DataManager,
    FileStamp,
    T,
    file_stamp,
)

__all__ = [
    "DEFAULT_RACY_WINDOW",
    "DEFAULT_TTL",
    "DataManager",
    "FileStamp",
    "T",
    "file_stamp",
]
