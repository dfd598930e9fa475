"""The one loader of ``botstore.toml``: one guarded read, one validation on the models.

:func:`load` returns a :class:`BotstoreConfig`: every table of the file, typed. The
health engine's tables, ``[cloud]`` and ``[exchange]`` are validated on their own, so a
mistake in one stops only its own readers, as it always has: a typo in ``[cloud]`` is a
``backup`` finding of ``botstore check`` (and exit 2 of ``botstore sync``), not an
UNKNOWN check. :func:`load_config` is the health engine's view (:class:`Config`);
``core.cloud.settings`` and ``core.exchange.settings`` read ``.cloud()`` and
``.exchange()`` of the same load. pydantic is imported on the first load, not when
this module is (start-up cost of the CLI).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.config.resolved import CONFIG_MAX_BYTES, Config, ConfigError
from core.errors import FileMissing, StorageError
from core.standard.layout import CONFIG_NAME
from core.storage.read import read_bytes

if TYPE_CHECKING:
    from core.config.models import CloudTable, ExchangeTable, Table


@dataclass(frozen=True, slots=True)
class BotstoreConfig:
    """Every table of ``botstore.toml``, validated; a table that did not validate holds
    its :class:`ConfigError`, raised to whoever reads that table."""

    #: The file that was (or would have been) read.
    file: Path
    #: ``str(file)`` when it was read, ``None`` when an implicit file is absent (defaults).
    source: str | None
    health: Config | ConfigError
    cloud_table: CloudTable | ConfigError | None = None
    exchange_table: ExchangeTable | ConfigError | None = None

    def config(self) -> Config:
        """The health engine's resolved configuration (ConfigError when invalid)."""
        if isinstance(self.health, ConfigError):
            raise self.health
        return self.health

    def cloud(self) -> CloudTable | None:
        """``[cloud]``, None when the file has none (ConfigError when invalid)."""
        if isinstance(self.cloud_table, ConfigError):
            raise self.cloud_table
        return self.cloud_table

    def exchange(self) -> ExchangeTable | None:
        """``[exchange]``, None when the file has none (ConfigError when invalid)."""
        if isinstance(self.exchange_table, ConfigError):
            raise self.exchange_table
        return self.exchange_table


def read_toml(file: Path, *, explicit: bool) -> dict[str, Any] | None:
    """Parse ``file`` with the guarded reader data files use: a regular file (a FIFO or
    a device, even behind a symlink, is refused without blocking) of at most
    :data:`CONFIG_MAX_BYTES`. ``None`` when an implicit (default-path) file is absent;
    every other failure is a :class:`ConfigError`."""
    try:
        payload = read_bytes(file, max_bytes=CONFIG_MAX_BYTES)
    except FileMissing:
        if explicit:
            raise ConfigError(str(file), "config file does not exist") from None
        return None
    except StorageError as exc:
        raise ConfigError(str(file), f"cannot use: {exc.reason}") from exc
    try:
        return tomllib.loads(payload.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(str(file), "not UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(file), f"invalid TOML: {exc}") from exc


def _table(model: type[Table], raw: dict[str, Any], name: str, source: str) -> Any:
    """``raw[name]`` validated by ``model``; None when absent, the ConfigError when invalid."""
    from pydantic import ValidationError

    from core.config.messages import config_error

    if name not in raw:
        return None
    try:
        return model.model_validate(raw[name])
    except ValidationError as exc:
        return config_error(exc, source, name)


def validate(raw: dict[str, Any], source: str, file: Path | None = None) -> BotstoreConfig:
    """Validate a parsed TOML document (``source`` names it in messages)."""
    from pydantic import ValidationError

    from core.config.messages import config_error
    from core.config.models import OWN_TABLES, HealthTables

    health: Config | ConfigError
    try:
        tables = HealthTables.model_validate({k: v for k, v in raw.items() if k not in OWN_TABLES})
        health = tables.to_config(source)
    except ValidationError as exc:
        health = config_error(exc, source)
    return BotstoreConfig(
        file=Path(source) if file is None else file,
        source=source,
        health=health,
        cloud_table=_table(OWN_TABLES["cloud"], raw, "cloud", source),
        exchange_table=_table(OWN_TABLES["exchange"], raw, "exchange", source),
    )


def load(
    root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None
) -> BotstoreConfig:
    """Read ``path`` (or ``<root>/botstore.toml`` when present): every table, typed.

    A missing default file gives the defaults; a missing explicit ``path``, an unreadable
    file or bad TOML raises :class:`ConfigError` (no table can be read then).
    """
    file = Path(path) if path is not None else Path(root) / CONFIG_NAME
    raw = read_toml(file, explicit=path is not None)
    if raw is None:
        return BotstoreConfig(file=file, source=None, health=Config())
    return validate(raw, str(file), file)


def load_config(root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> Config:
    """The health engine's :class:`Config` from ``path`` (or ``<root>/botstore.toml``).

    A missing default file gives the defaults; a missing explicit ``path``, bad
    TOML or a bad value raises :class:`ConfigError` with a clear message.
    """
    return load(root, path).config()


def parse_config(raw: dict[str, Any], source: str = "<config>") -> Config:
    """Build a :class:`Config` from a parsed TOML document, validating every key."""
    return validate(raw, source).config()
