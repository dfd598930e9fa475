"""The audit log: one sanitized JSON line per action in ``logs/botstore_actions.log`` (mode 640)."""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import orjson

from core.actions.base import ActionError
from core.standard.layout import ACTIONS_LOG
from core.storage import rootfs
from core.text.sanitize import sanitize_for_logging, sanitize_text
from core.text.textsafe import escape_controls

AUDIT_MODE: Final = 0o640


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def audit_path(root: Path) -> Path:
    return root / ACTIONS_LOG


def record(
    root: Path,
    *,
    action: str,
    action_id: str | None,
    result: str,
    message: str,
    paths: Sequence[str],
    before: Mapping[str, str | None],
    after: Mapping[str, str | None],
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Append one line (created 640 explicitly, whatever the umask); returns the entry.

    ``before``/``after`` map relpaths to sha256 (``None``: absent). The whole
    entry goes through :func:`sanitize_for_logging`, the message through
    :func:`sanitize_text`.
    """
    entry: dict[str, Any] = {
        "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds"),
        "user": _user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "action": action,
        "id": action_id,
        "result": result,
        "message": escape_controls(sanitize_text(message)),
        "paths": list(paths),
        "before": dict(before),
        "after": dict(after),
    }
    if extra:
        entry["extra"] = dict(extra)
    line = orjson.dumps(sanitize_for_logging(entry), default=str) + b"\n"
    # Through the containment layer: a symlinked logs/ or log file is refused.
    rootfs.append(root, ACTIONS_LOG, line, AUDIT_MODE)  # one write: lines stay whole
    return entry


def entries(root: Path) -> Iterator[dict[str, Any]]:
    """Every parseable line of the audit log, oldest first (missing log: nothing)."""
    try:
        payload, _st = rootfs.read(root, ACTIONS_LOG)
    except (FileNotFoundError, ActionError):
        return
    for raw in payload.splitlines():
        with contextlib.suppress(orjson.JSONDecodeError):
            item = orjson.loads(raw)
            if isinstance(item, dict):
                yield item


__all__ = ["AUDIT_MODE", "audit_path", "entries", "record"]
