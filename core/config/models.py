"""The pydantic models of ``botstore.toml``: one per table, the file's one definition.

Every table forbids unknown keys (``extra="forbid"``) and takes TOML's types as they
are (``strict``: ``1`` is not ``true``, ``"5"`` is not a number). The models are the
source of the published JSON Schema (:mod:`core.config.schema`) and of the loader's
validation (:mod:`core.config.loader`); :mod:`core.config.messages` turns their errors
into the operator-facing sentences. The class variables ``kind``, ``must``,
``must_type`` and ``not_a_table`` are those sentences' words for each table.

A threshold pair names only the levels it sets; the level left out keeps its base
(the default, or for an override the ``[thresholds]`` value), and the pair after that
merge must be ordered: the warning limit before the critical one.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from core.config.resolved import (
    BUILTIN_OVERRIDES,
    DEFAULT_IGNORE,
    DEFAULT_PERMISSIONS,
    DEFAULT_RETENTION,
    DEFAULT_SNAPSHOTS,
    DEFAULT_THRESHOLDS,
    LOWER_IS_WORSE,
    Config,
    Threshold,
)

NonNegative = Annotated[float, Field(ge=0)]


def _no_default(schema: dict[str, Any]) -> None:
    """A level's default depends on its threshold: the schema shows it on the pair."""
    schema.pop("default", None)


class Table(BaseModel):
    """One TOML table: unknown keys are refused, values keep their TOML type."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    #: ``unknown <kind> 'x'`` names an unknown key of this table.
    kind: ClassVar[str] = "key"
    #: ``<table>.<key> must be <phrase>`` for a bad value (``"*"``: any key).
    must: ClassVar[dict[str, str]] = {}
    #: The same for a value of the wrong type, where it differs from :attr:`must`.
    must_type: ClassVar[dict[str, str]] = {}
    #: The sentence for a table that is not a table.
    not_a_table: ClassVar[str] = "must be a table"


# --------------------------------------------------------------------------- thresholds


class Pair(Table):
    """A warning/critical pair; a level left out keeps its default, 0 turns a level off."""

    must_type = {"*": "a number, got {got}"}
    must = {"*": ">= 0 (0 turns that level off)"}
    not_a_table = "must be a table like { warning = 1, critical = 2 }"

    warning: NonNegative = Field(default=0.0, json_schema_extra=_no_default)
    critical: NonNegative = Field(default=0.0, json_schema_extra=_no_default)

    def over(self, base: Threshold) -> Threshold:
        """This pair with the levels it leaves out taken from ``base``."""
        given = self.model_fields_set
        return Threshold(
            self.warning if "warning" in given else base.warning,
            self.critical if "critical" in given else base.critical,
        )


def _pair(description: str, name: str) -> Any:
    default = DEFAULT_THRESHOLDS[name]
    return Field(
        default_factory=Pair,
        description=description,
        json_schema_extra={"default": {"warning": default.warning, "critical": default.critical}},
    )


class Thresholds(Table):
    """Warning/critical pairs (a higher value is worse unless the key says otherwise)."""

    kind = "threshold"

    stale_seconds: Pair = _pair("file age in seconds; 0 = not checked", "stale_seconds")
    size_shrink_percent: Pair = _pair(
        "shrink since the previous scan, in percent", "size_shrink_percent"
    )
    size_max_mb: Pair = _pair("absolute file size in MB", "size_max_mb")
    temp_leftover_seconds: Pair = _pair(
        "age of a leftover temp file in seconds", "temp_leftover_seconds"
    )
    disk_free_percent: Pair = _pair(
        "free disk space in percent (lower is worse)", "disk_free_percent"
    )
    disk_free_mb: Pair = _pair("free disk space in MB (lower is worse)", "disk_free_mb")
    time_to_full_hours: Pair = _pair(
        "hours until the disk is full, predicted from growth between scans (lower is worse)",
        "time_to_full_hours",
    )
    snapshot_late_factor: Pair = _pair(
        "newest snapshot older than N x the snapshot frequency", "snapshot_late_factor"
    )
    parquet_stale_candles: Pair = _pair(
        "last candle older than N x the series granularity", "parquet_stale_candles"
    )
    parquet_stale_floor_hours: Pair = _pair(
        "... and older than this many hours", "parquet_stale_floor_hours"
    )

    def given(self) -> dict[str, Pair]:
        """The pairs the file sets, by threshold name."""
        return {name: getattr(self, name) for name in self.model_fields_set}

    def over(self, bases: dict[str, Threshold]) -> dict[str, Threshold]:
        """The pairs the file sets, each merged with its base."""
        return {name: pair.over(bases[name]) for name, pair in self.given().items()}


def _ordered(name: str, pair: Pair, base: Threshold, at: tuple[str, ...]) -> None:
    """Refuse an inverted pair (after the merge with ``base``), saying which level moved."""
    merged = pair.over(base)
    warning, critical = merged.warning, merged.critical
    if not (warning > 0 and critical > 0):
        return
    given = pair.model_fields_set
    inherited = (
        ""
        if len(given) == 2
        else (
            f" (the {'critical' if 'critical' not in given else 'warning'} level is inherited; "
            "set both)"
        )
    )
    if name in LOWER_IS_WORSE and warning < critical:
        reason = (
            f"inverted: warning {warning:g} is below critical "
            f"{critical:g}, but a lower {name} is worse, so warning must be "
            f"the larger limit{inherited}"
        )
    elif name not in LOWER_IS_WORSE and warning > critical:
        reason = (
            f"inverted: warning {warning:g} is above critical "
            f"{critical:g}; warning must be the smaller limit{inherited}"
        )
    else:
        return
    raise PydanticCustomError("inverted", "{reason}", {"reason": reason, "at": at})


# --------------------------------------------------------------------------- other tables


class Snapshots(Table):
    """The performance snapshot history's policy."""

    kind = "snapshots key"
    must = {"*": "a non-negative number"}
    not_a_table = "[snapshots] must be a table"

    retention_days: NonNegative = Field(
        default=DEFAULT_SNAPSHOTS["retention_days"],
        description="oldest snapshot older than this (+ grace) -> retention finding",
    )
    retention_grace_days: NonNegative = Field(default=DEFAULT_SNAPSHOTS["retention_grace_days"])
    gap_factor: NonNegative = Field(
        default=DEFAULT_SNAPSHOTS["gap_factor"],
        description="an interval over gap_factor x the frequency is a gap (0 = the default)",
    )
    growth_window_seconds: NonNegative = Field(
        default=DEFAULT_SNAPSHOTS["growth_window_seconds"],
        description="minimum sampling window before time-to-full is predicted",
    )


class Permissions(Table):
    """Which permission checks run."""

    kind = "permissions key"
    must = {"*": "true or false"}
    not_a_table = "[permissions] must be a table"

    check_modes: bool = Field(
        default=DEFAULT_PERMISSIONS["check_modes"],
        description="750 dirs / 640 JSON / 644 logs / 600 sensitive",
    )
    check_owner: bool = Field(
        default=DEFAULT_PERMISSIONS["check_owner"],
        description="owner/group differing from the root's",
    )
    stricter_is_info: bool = Field(
        default=DEFAULT_PERMISSIONS["stricter_is_info"],
        description="a mode stricter than the policy is info, not warning",
    )


class Retention(Table):
    """[retention]: botstore cleanup's days to keep per kind (0 = forever)."""

    kind = "retention kind"
    must = {"*": "a number of days >= 0 (0 = keep forever)"}
    not_a_table = "[retention] must be a table of kind -> days"

    reports: NonNegative = DEFAULT_RETENTION["reports"]
    daily_reports: NonNegative = DEFAULT_RETENTION["daily_reports"]
    rotated_logs: NonNegative = DEFAULT_RETENTION["rotated_logs"]
    quarantine: NonNegative = Field(
        default=DEFAULT_RETENTION["quarantine"],
        description="the only kind deleted for good (after a confirmed preview)",
    )
    decisions: NonNegative = Field(
        default=DEFAULT_RETENTION["decisions"],
        description="the bot's data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json files",
    )


class CloudTable(Table):
    """[cloud]: botstore sync's settings; command-line flags override them."""

    kind = "[cloud] key(s)"
    must = {"*": "a string", "retention_days": "a positive number"}
    not_a_table = "[cloud] must be a table"

    bucket: str | None = Field(
        default=None, description="bucket name (gs:// and a trailing / accepted)"
    )
    prefix: str = Field(default="botstore", description="object-name prefix")
    credentials: str | None = Field(
        default=None,
        description="service-account key file, mode 600 (relative to this file); omit: ADC",
    )
    every: str | None = Field(
        default=None, description="default interval of botstore sync (900, 15m, 2h)"
    )
    retention_days: Annotated[float, Field(gt=0)] | None = Field(
        default=None, description="prune runs older than this; omit to keep everything"
    )
    host: str | None = Field(
        default=None, description="name in object paths (default: the hostname)"
    )
    endpoint: str | None = Field(default=None, description="storage endpoint URL (an emulator)")


class ExchangeTable(Table):
    """The exchange botstore recovers the portfolio and market history from (ccxt)."""

    kind = "[exchange] key(s)"
    must = {
        "id": 'a ccxt exchange id such as "coinbase"',
        "credentials": "a string",
        "base": "a currency code such as EUR",
        "timeout": "a number >= 0.1",
        "retries": "an integer 0..10",
        "retry_delay": "a number >= 0",
        "series": "a list of series names",
        "url": "an http(s) URL",
    }
    must_type = {"id": "a string", "base": "a string", "url": "a string"}
    not_a_table = "[exchange] must be a table"

    id: str = Field(description="a ccxt exchange id (lower case)")
    credentials: str | None = Field(
        default=None,
        description="JSON key file: mode 600, outside the bot tree (relative: to this file)",
    )
    base: str = Field(default="EUR", description="the currency the bot trades against")
    timeout: Annotated[float, Field(ge=0.1)] = Field(
        default=10.0, description="seconds per HTTP request"
    )
    retries: Annotated[int, Field(ge=0, le=10)] = Field(
        default=2, description="extra attempts on network errors, 429 and 5xx"
    )
    retry_delay: NonNegative = Field(default=1.0, description="seconds between those attempts")
    series: list[str] = Field(
        default_factory=list, description="history files the bot keeps (for --missing)"
    )
    url: str | None = Field(
        default=None, description="send every API call here (a proxy, a test server)"
    )

    @field_validator("id")
    @classmethod
    def _ccxt_id(cls, value: str) -> str:
        if not value or not value.replace("_", "").isalnum() or not value.islower():
            raise ValueError("not a ccxt exchange id")
        return value

    @field_validator("base")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not (value.isalnum() and value.isupper() and 2 <= len(value) <= 10):
            raise ValueError("not a currency code")
        return value

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        return value


# --------------------------------------------------------------------------- the file


class HealthTables(Table):
    """The tables the health engine and the actions read."""

    kind = "section"

    ignore: list[str] = Field(
        default=list(DEFAULT_IGNORE),
        description="globs (fnmatch, relative to the root) never scanned",
    )
    thresholds: Thresholds = Field(default_factory=Thresholds)
    snapshots: Snapshots = Field(default_factory=Snapshots)
    retention: Retention = Field(default_factory=Retention)
    permissions: Permissions = Field(default_factory=Permissions)
    overrides: dict[str, Thresholds] = Field(
        default_factory=dict,
        description="glob -> thresholds for the paths it matches; the last match wins, key by key",
    )

    @model_validator(mode="after")
    def _pairs_are_ordered(self) -> Self:
        for name, pair in self.thresholds.given().items():
            _ordered(name, pair, DEFAULT_THRESHOLDS[name], ("thresholds", name))
        bases = {**DEFAULT_THRESHOLDS, **self.thresholds.over(DEFAULT_THRESHOLDS)}
        for pattern, table in self.overrides.items():
            for name, pair in table.given().items():
                _ordered(name, pair, bases[name], ("overrides", pattern, name))
        return self

    def to_config(self, source: str) -> Config:
        """The resolved :class:`Config`: defaults, then the built-in overrides, then the file."""
        thresholds = {**DEFAULT_THRESHOLDS, **self.thresholds.over(DEFAULT_THRESHOLDS)}
        overrides = [
            *BUILTIN_OVERRIDES,
            *((pattern, table.over(thresholds)) for pattern, table in self.overrides.items()),
        ]
        snapshots, perms = self.snapshots, self.permissions
        return Config(
            thresholds=thresholds,
            overrides=tuple(overrides),
            ignore=tuple(self.ignore),
            retention_days=snapshots.retention_days,
            retention_grace_days=snapshots.retention_grace_days,
            gap_factor=snapshots.gap_factor or DEFAULT_SNAPSHOTS["gap_factor"],
            growth_window_seconds=snapshots.growth_window_seconds,
            check_modes=perms.check_modes,
            check_owner=perms.check_owner,
            stricter_is_info=perms.stricter_is_info,
            retention=self.retention.model_dump(),
            source=source,
        )


class BotstoreToml(HealthTables):
    """botstore.toml: thresholds and policy for the health engine, [cloud] for
    botstore sync, [exchange] for the recovery actions. Every table and key is optional,
    except the id of an [exchange] table."""

    cloud: CloudTable | None = None
    exchange: ExchangeTable | None = None


#: The tables read on their own (a mistake in one does not stop the others' readers).
OWN_TABLES: dict[str, type[Table]] = {"cloud": CloudTable, "exchange": ExchangeTable}
#: The tables a dotted ``<table>.<key>`` message names, with their model.
TABLES: dict[str, type[Table]] = {
    "snapshots": Snapshots,
    "permissions": Permissions,
    "retention": Retention,
    **OWN_TABLES,
}
