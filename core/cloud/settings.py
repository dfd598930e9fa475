"""The ``[cloud]`` table of ``botstore.toml``; command-line flags override it.

::

    [cloud]
    bucket = "my-bot-backups"
    prefix = "botstore"                 # object-name prefix (default "botstore")
    credentials = "/etc/botstore/sa.json"  # key file, mode 600; omit for ADC
    every = "15m"                       # botstore sync --every default
    retention_days = 30                 # prune older runs; omit to keep everything
    host = "bot-eu-1"                   # name in object paths (default: hostname)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.cloud.client import CloudError
from core.config import ConfigError, read_toml
from core.standard.layout import CONFIG_NAME

_KEYS: Final = frozenset(
    {"bucket", "prefix", "credentials", "every", "retention_days", "host", "endpoint"}
)


@dataclass(frozen=True, slots=True)
class CloudSettings:
    bucket: str | None = None
    prefix: str = "botstore"
    credentials: Path | None = None
    every: str | None = None
    retention_days: float | None = None
    host: str | None = None
    endpoint: str | None = None


def normalize_bucket(value: str) -> str:
    """A bucket *name*: ``gs://name`` and a trailing ``/`` are accepted and stripped
    (else ``gs://gs://name/...``); a path after the name is refused with what to do."""
    name = value.strip()
    if name.startswith("gs://"):
        name = name[len("gs://") :]
    name = name.rstrip("/")
    if not name:
        raise CloudError(f"bucket {value!r} is empty")
    if "/" in name:
        bucket, _, rest = name.partition("/")
        raise CloudError(
            f"bucket {value!r} holds a path: use bucket {bucket!r} and prefix {rest!r} (--prefix)"
        )
    if any(ch.isspace() for ch in name):
        raise CloudError(f"bucket {value!r} contains whitespace")
    return name


def load_settings(
    root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None
) -> CloudSettings:
    """``[cloud]`` from ``path`` (or ``<root>/botstore.toml`` when it exists)."""
    file = Path(path) if path is not None else Path(root) / CONFIG_NAME
    try:  # the one guarded reader: a FIFO or /dev/zero in its place never hangs or bloats
        raw = read_toml(file, explicit=path is not None)
    except ConfigError as exc:
        if exc.reason == "config file does not exist":
            raise CloudError(f"config file {file} does not exist") from None
        raise CloudError(f"config file {file}: {exc.reason}") from None
    if raw is None:
        return CloudSettings()
    table: Any = raw.get("cloud", {})
    if not isinstance(table, dict):
        raise CloudError(f"{file}: [cloud] must be a table")
    unknown = set(table) - _KEYS
    if unknown:
        raise CloudError(
            f"{file}: unknown [cloud] key(s) {sorted(unknown)}; known: {sorted(_KEYS)}"
        )
    for key in ("bucket", "prefix", "credentials", "every", "host", "endpoint"):
        if key in table and not isinstance(table[key], str):
            raise CloudError(f"{file}: cloud.{key} must be a string")
    retention = table.get("retention_days")
    if retention is not None and (
        isinstance(retention, bool) or not isinstance(retention, int | float) or retention <= 0
    ):
        raise CloudError(f"{file}: cloud.retention_days must be a positive number")
    credentials = table.get("credentials")
    cred_path: Path | None = None
    if credentials:
        cred_path = Path(credentials).expanduser()
        if not cred_path.is_absolute():
            cred_path = file.parent / cred_path
    bucket = table.get("bucket")
    return CloudSettings(
        bucket=normalize_bucket(bucket) if bucket else None,
        prefix=table.get("prefix", "botstore"),
        credentials=cred_path,
        every=table.get("every"),
        retention_days=None if retention is None else float(retention),
        host=table.get("host"),
        endpoint=table.get("endpoint"),
    )
