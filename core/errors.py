"""The root of botstore's errors, and the typed exceptions of its storage layer.

Every error botstore raises on purpose is a :class:`BotstoreError` with a ``code``
class attribute (``tests/unit/test_error_root.py`` walks ``core`` to keep it so), with
a built-in base where one fits (``LockTimeout`` is a ``TimeoutError``, ``ConfigError`` a
``ValueError``): a caller catches ``BotstoreError`` for "botstore said no", and the CLI
needs no list of error types. Storage errors carry the ``path`` they concern and a
``code`` that matches the health engine's finding codes, so callers can map an
exception to a finding without parsing messages.
"""

from __future__ import annotations

import os
from typing import Any


class BotstoreError(Exception):
    """The root of every error botstore raises on purpose; ``code`` names the finding."""

    code = "error"


class ActionError(BotstoreError):
    """An action cannot be planned or applied; the message is operator-facing."""

    code = "action"


class StorageError(BotstoreError):
    """Base class: something is wrong with a stored file."""

    code = "storage"

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class FileMissing(StorageError):
    """The file does not exist."""

    code = "missing"


class NotRegularFile(StorageError):
    """The path is a directory, FIFO, socket, device or symlink where a file was expected."""

    code = "special_file"


class UnsafeTarget(NotRegularFile):
    """Refused to replace a symlink or non-regular file."""

    code = "symlink"


class Unreadable(StorageError):
    """The file exists but cannot be read (permission or I/O error)."""

    code = "unreadable"


class EmptyFile(StorageError):
    """The file is zero bytes (or only whitespace)."""

    code = "invalid_json"


class NotUtf8(StorageError):
    """The file's bytes are not valid UTF-8."""

    code = "invalid_json"


class InvalidJson(StorageError):
    """The file is not valid JSON; ``line`` and ``column`` locate the problem (1-based)."""

    code = "invalid_json"

    def __init__(self, path: str | os.PathLike[str], reason: str, line: int, column: int) -> None:
        self.line = line
        self.column = column
        super().__init__(path, f"invalid JSON at line {line}, column {column}: {reason}")


class TooDeep(StorageError):
    """The JSON nests deeper than the parser allows."""

    code = "invalid_json"


class TooLarge(StorageError):
    """The file is larger than the configured cap."""

    code = "size"


class SchemaViolation(StorageError):
    """The JSON parsed but does not match its schema.

    ``violations`` holds one human string per problem, each starting with the
    field path (``BTC.amount: expected a number, got "lots"``).
    """

    code = "schema"

    def __init__(self, path: str | os.PathLike[str], violations: list[str]) -> None:
        self.violations = violations
        shown = "; ".join(violations[:5])
        more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(path, f"schema violation: {shown}{more}")


class VersionError(StorageError):
    """The file's ``version`` is unknown, newer than supported, or has no migration path."""

    code = "version"


class SerializationError(StorageError):
    """The data cannot be serialized to JSON (unsupported type, bad key...)."""

    code = "serialization"


class WriteFailed(StorageError):
    """An OS call failed while writing; the target and its backup are untouched
    unless ``committed`` is True (the new content is in place but the directory
    fsync failed, so durability across a power loss is not guaranteed)."""

    code = "write"

    def __init__(
        self,
        path: str | os.PathLike[str],
        reason: str,
        *,
        cause: BaseException | None = None,
        committed: bool = False,
    ) -> None:
        self.errno: int | None = getattr(cause, "errno", None)
        self.committed = committed
        super().__init__(path, reason)


class LockTimeout(StorageError, TimeoutError):
    """Another writer held the advisory lock for longer than the timeout (also a
    :class:`TimeoutError`, so ``except TimeoutError`` sees it as one)."""

    code = "lock"


def describe(exc: BaseException) -> dict[str, Any]:
    """A JSON-friendly description of an exception, for findings and ``--json`` output."""
    if isinstance(exc, StorageError):
        return {"code": exc.code, "path": exc.path, "message": exc.reason}
    return {"code": "error", "path": "", "message": f"{type(exc).__name__}: {exc}"}
