"""The ``[exchange]`` table of ``botstore.toml`` and the credentials file it names.

::

    [exchange]
    id = "coinbase"                               # any ccxt exchange id
    credentials = "/etc/botstore/exchange.json"   # mode 600, outside the bot tree
    base = "EUR"
    # optional:
    timeout = 10          # seconds per HTTP request
    retries = 2           # extra attempts on network errors / 429 / 5xx (ccxt's own retry)
    retry_delay = 1       # seconds between those attempts
    series = ["BTC-EUR_hour_180d"]   # history files the bot keeps (for --missing)
    url = "https://api.coinbase.com" # override every API URL (a proxy, a test server)

The credentials file is JSON: ``{"apiKey": "...", "secret": "..."}`` (ccxt's
names; ``password``/``uid`` when the exchange needs them) or the key file
Coinbase's portal downloads (``{"name": "organizations/…", "privateKey":
"-----BEGIN EC PRIVATE KEY-----…"}``). It is refused unless it is a regular
file readable by its owner only and lies outside the bot root, so a cloud sync
or a support bundle of the tree can never carry it.

The table is validated by ``core.config`` (its model: ``core.config.models.ExchangeTable``);
this module keeps what is exchange-specific: the series names, the credentials file's
path (relative to the config file) and its checks.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import orjson

from core.config import ConfigError, load
from core.errors import BotstoreError
from core.standard.layout import CONFIG_NAME
from core.standard.policy import format_mode
from core.tracking.history import parse_history_name

MAX_CREDENTIALS_BYTES: Final = 64 * 1024
#: Credentials-file keys (ccxt names first, then Coinbase key-file names).
_CRED_ALIASES: Final = {
    "apiKey": ("apiKey", "api_key", "key", "name"),
    "secret": ("secret", "api_secret", "privateKey", "private_key"),
    "password": ("password", "passphrase"),
    "uid": ("uid",),
}


class ExchangeConfigError(BotstoreError, ValueError):
    """``[exchange]`` or the credentials file cannot be used; the message says how to fix it."""

    code = "exchange_config"


@dataclass(frozen=True, slots=True)
class Credentials:
    """API credentials; ``repr`` never shows them."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    uid: str | None = field(default=None, repr=False)

    def ccxt_config(self) -> dict[str, str]:
        out = {"apiKey": self.api_key, "secret": self.secret}
        if self.password:
            out["password"] = self.password
        if self.uid:
            out["uid"] = self.uid
        return out

    def secrets(self) -> list[str]:
        """Every secret value (for literal redaction in messages)."""
        return [v for v in (self.api_key, self.secret, self.password, self.uid) if v]


@dataclass(frozen=True, slots=True)
class ExchangeSettings:
    """The resolved ``[exchange]`` table; ``root`` is the bot tree it serves."""

    id: str
    root: Path
    base: str = "EUR"
    credentials: Path | None = None
    timeout: float = 10.0
    retries: int = 2
    retry_delay: float = 1.0
    series: tuple[str, ...] = ()
    url: str | None = None
    source: str = CONFIG_NAME


def load_settings(
    root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None
) -> ExchangeSettings:
    """``[exchange]`` from ``path`` (or ``<root>/botstore.toml``), read by the one config
    loader; ExchangeConfigError when the table is absent or a value is wrong."""
    base_root = Path(os.path.realpath(root))
    try:
        loaded = load(base_root, path)
    except ConfigError as exc:
        raise ExchangeConfigError(exc.file_problem()) from None
    file = loaded.file
    try:
        table = loaded.exchange()
    except ConfigError as exc:
        raise ExchangeConfigError(str(exc)) from None
    if table is None:
        raise ExchangeConfigError(
            f"no [exchange] table in {file}; add one (id, credentials, base) — see the README"
        )
    names: list[str] = []
    for item in table.series:
        try:
            names.append(parse_history_name(series_filename(item)).filename)
        except ValueError as exc:
            raise ExchangeConfigError(f"{file}: exchange.series: {exc}") from None
    credentials: Path | None = None
    if table.credentials:
        credentials = Path(table.credentials).expanduser()
        if not credentials.is_absolute():
            credentials = file.parent / credentials
    return ExchangeSettings(
        id=table.id,
        root=base_root,
        base=table.base,
        credentials=credentials,
        timeout=table.timeout,
        retries=table.retries,
        retry_delay=table.retry_delay,
        series=tuple(names),
        url=table.url,
        source=str(file),
    )


def series_filename(name: str) -> str:
    """``BTC-EUR_hour_180d`` / ``…parquet`` / ``data/historical/…`` -> the file name."""
    leaf = name.rstrip("/").rpartition("/")[2]
    return leaf if leaf.endswith(".parquet") else leaf + ".parquet"


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def load_credentials(settings: ExchangeSettings) -> Credentials | None:
    """Read the credentials file; None when none is configured.

    Refused (ExchangeConfigError, never quoting the content) when it resolves
    inside the bot root, is not a regular file, or is readable by anyone but
    its owner.
    """
    if settings.credentials is None:
        return None
    shown = settings.credentials
    real = Path(os.path.realpath(shown))
    if _inside(real, settings.root):
        raise ExchangeConfigError(
            f"credentials file {shown} is inside the bot tree {settings.root}; refusing to use "
            "it — move it outside (e.g. /etc/botstore/exchange.json, mode 600)"
        )
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise ExchangeConfigError(f"credentials file {shown} does not exist") from None
    except OSError as exc:
        raise ExchangeConfigError(f"credentials file {shown}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ExchangeConfigError(f"credentials file {shown} is not a regular file")
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o077:
            raise ExchangeConfigError(
                f"credentials file {shown} has mode {format_mode(mode)}; it must be readable "
                f"by its owner only — fix with: chmod 600 {shown}"
            )
        payload = os.read(fd, MAX_CREDENTIALS_BYTES + 1)
    finally:
        os.close(fd)
    if len(payload) > MAX_CREDENTIALS_BYTES:
        raise ExchangeConfigError(f"credentials file {shown} is larger than 64 KiB")
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise ExchangeConfigError(f"credentials file {shown} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ExchangeConfigError(f"credentials file {shown} must hold a JSON object")
    found: dict[str, str | None] = {}
    for key, aliases in _CRED_ALIASES.items():
        value = next((data[a] for a in aliases if isinstance(data.get(a), str) and data[a]), None)
        found[key] = value
    if not found["apiKey"] or not found["secret"]:
        raise ExchangeConfigError(
            f'credentials file {shown} needs "apiKey" and "secret" '
            '(or Coinbase\'s "name" and "privateKey")'
        )
    return Credentials(str(found["apiKey"]), str(found["secret"]), found["password"], found["uid"])


__all__ = [
    "Credentials",
    "ExchangeConfigError",
    "ExchangeSettings",
    "load_credentials",
    "load_settings",
    "series_filename",
]
