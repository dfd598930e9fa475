"""The ``[cloud]`` table of ``botstore.toml``; command-line flags override it.

::

    [cloud]
    bucket = "my-bot-backups"
    prefix = "botstore"                 # object-name prefix (default "botstore")
    credentials = "/etc/botstore/sa.json"  # key file, mode 600; omit for ADC
    every = "15m"                       # botstore sync --every default
    retention_days = 30                 # prune older runs; omit to keep everything
    host = "bot-eu-1"                   # name in object paths (default: hostname)

The table is validated by ``core.config`` (its model: ``core.config.models.CloudTable``);
this module keeps what is cloud-specific: the bucket name's normal form and the key file's
path, relative to the config file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.cloud.client import CloudError
from core.config import ConfigError, load


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
    """``[cloud]`` from ``path`` (or ``<root>/botstore.toml`` when it exists), read by the one
    config loader (guarded: a FIFO or /dev/zero in its place never hangs or bloats); every
    problem is a :class:`CloudError`."""
    try:
        loaded = load(root, path)
    except ConfigError as exc:
        raise CloudError(exc.file_problem()) from None
    try:
        table = loaded.cloud()
    except ConfigError as exc:
        raise CloudError(str(exc)) from None
    if table is None:
        return CloudSettings()
    cred_path: Path | None = None
    if table.credentials:
        cred_path = Path(table.credentials).expanduser()
        if not cred_path.is_absolute():
            cred_path = loaded.file.parent / cred_path
    return CloudSettings(
        bucket=normalize_bucket(table.bucket) if table.bucket else None,
        prefix=table.prefix,
        credentials=cred_path,
        every=table.every,
        retention_days=table.retention_days,
        host=table.host,
        endpoint=table.endpoint,
    )
