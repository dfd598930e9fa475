"""The JSON contract every machine-readable output shares.

Each ``--json`` document (and each ``watch --jsonl`` line) starts with the same
keys, so a collector can tell which host, tree and botstore produced it::

    {"schema_version": 1, "botstore_version": "0.1.0", "host": "bot-1",
     "root": "/srv/bot", "scan_seconds": 0.04, ...}

Timestamps in these outputs have one form: RFC 3339 in UTC with a ``Z``,
second precision (``2026-01-31T12:00:00Z``, :func:`core.standard.times.utc_stamp`). Stored data
keeps its own form; :func:`normalize_times` rewrites the known timestamp keys
of an output document. The JSON Schemas of the outputs are in
``core.cli.output_schemas`` (``botstore schema --output NAME``).
"""

from __future__ import annotations

import os
import re
from typing import Any, Final

from core.standard.times import parse_ts, utc_stamp
from core.standard.version import __version__

#: Bumped when a key of an output is removed or changes meaning (adding keys does not).
SCHEMA_VERSION: Final = 1
#: The one timestamp form of the outputs (also the ``pattern`` in the published schemas).
STAMP_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
#: Keys whose string values are timestamps in an output document.
TIME_KEYS: Final = frozenset(
    {
        "at",
        "checked_at",
        "created",
        "created_at",
        "time",
        "now",
        "start",
        "end",
        "oldest",
        "newest",
        "last_attempt",
        "last_success",
        "portfolio_last_modified",
        "applied_at",
        "started_at",
        "finished_at",
        "started",
        "finished",
        "mtime",
    }
)
_ISO_LIKE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def normalize_stamp(value: str) -> str:
    """An ISO 8601 string in the output form; anything unparsable is returned unchanged."""
    if not _ISO_LIKE.match(value):
        return value
    moment = parse_ts(value)
    return value if moment is None else utc_stamp(moment)


def normalize_times(obj: Any) -> Any:
    """``obj`` with the string values of :data:`TIME_KEYS` rewritten by :func:`normalize_stamp`."""
    if isinstance(obj, dict):
        return {
            key: normalize_stamp(value)
            if key in TIME_KEYS and isinstance(value, str)
            else normalize_times(value)
            for key, value in obj.items()
        }
    if isinstance(obj, list):
        return [normalize_times(item) for item in obj]
    return obj


def host_name() -> str:
    """This machine's name as the outputs (and the cloud object names) report it."""
    import socket  # not at module level: ~5 ms of every start-up

    return socket.gethostname()


def envelope(root: str | os.PathLike[str], scan_seconds: float | None) -> dict[str, Any]:
    """The keys every output document starts with (``root`` made absolute, not resolved)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "botstore_version": __version__,
        "host": host_name(),
        "root": os.path.abspath(root),  # noqa: PTH100 - absolute, symlinks kept
        "scan_seconds": None if scan_seconds is None else round(scan_seconds, 6),
    }


def document(
    root: str | os.PathLike[str], scan_seconds: float | None, body: dict[str, Any]
) -> dict[str, Any]:
    """:func:`envelope` followed by ``body`` (timestamps normalized); body cannot override it."""
    out = envelope(root, scan_seconds)
    out.update((k, v) for k, v in normalize_times(body).items() if k not in out)
    return out
