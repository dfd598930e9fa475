"""``botstore.toml``: thresholds and policy for the health engine.

Everything is optional; the defaults pass a healthy tree as the storage
standard describes it. Example (every key shown with its default)::

    # botstore.toml, in the bot root (or pass --config FILE)
    ignore = ["data/.quarantine/**", ".git/**", "**/__pycache__/**", ".venv/**"]

    # every threshold is a warning/critical pair; a level left out keeps its default
    # (0 turns a level off); an inverted pair (warning beyond critical) is refused
    [thresholds]
    stale_seconds = { warning = 0, critical = 0 }        # file age; 0 = not checked
    size_shrink_percent = { warning = 50, critical = 90 } # shrink since the previous scan
    size_max_mb = { warning = 100, critical = 500 }       # absolute file size
    temp_leftover_seconds = { warning = 60, critical = 0 }
    disk_free_percent = { warning = 5, critical = 2 }     # free space below this
    disk_free_mb = { warning = 1024, critical = 200 }     # ... or below this
    time_to_full_hours = { warning = 72, critical = 12 }  # predicted from growth between scans
    snapshot_late_factor = { warning = 3, critical = 10 } # newest snapshot older than N x frequency
    parquet_stale_candles = { warning = 6, critical = 48 } # last candle older than N x granularity
    parquet_stale_floor_hours = { warning = 48, critical = 336 } # ... and older than this

    [snapshots]
    retention_days = 365          # oldest snapshot older than this (+ grace) -> retention
    retention_grace_days = 7
    gap_factor = 2.5              # interval > gap_factor x frequency -> gap
    growth_window_seconds = 600   # min. sampling window before predicting time-to-full

    [retention]                   # botstore cleanup: days to keep per kind (0 = forever)
    reports = 365
    daily_reports = 90
    rotated_logs = 90
    quarantine = 90               # the only kind deleted for good (after a confirmed preview)
    decisions = 90                # the bot's data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json files

    [permissions]
    check_modes = true            # 750 dirs / 640 JSON / 644 logs / 600 sensitive
    check_owner = true            # owner/group differing from the root's
    stricter_is_info = true       # a mode stricter than the policy is info, not warning

    # per-path overrides: glob (fnmatch on the path relative to the root) -> thresholds;
    # the last matching table wins, key by key.
    [overrides."logs/supervisor.log"]
    stale_seconds = { warning = 3600, critical = 21600 }

Built-in overrides (applied before the file's own) give ages to the files the
standard expects to change: ``data/cache/latest_decisions.json`` (6 h / 48 h),
``logs/supervisor.log`` (6 h / 48 h), ``logs/daily_report.log`` (26 h / 72 h),
``data/portfolio.json`` (none: a bot with no trades legitimately leaves it alone);
and ``data/historical/*`` may grow to 4 GiB before ``size_max_mb`` warns.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collections.abc import Iterable

from core.errors import FileMissing, StorageError
from core.standard.layout import CONFIG_NAME
from core.storage.atomic import read_bytes

#: A configuration file larger than this is refused (it is a few hundred bytes in practice).
CONFIG_MAX_BYTES: Final = 1024 * 1024


class ConfigError(ValueError):
    """The configuration file cannot be used (bad TOML, unknown key, bad value)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Threshold:
    """A warning/critical pair; 0 (or less) disables that level."""

    warning: float
    critical: float

    @property
    def enabled(self) -> bool:
        return self.warning > 0 or self.critical > 0

    def level_above(self, value: float) -> str | None:
        """``"critical"``/``"warning"`` when ``value`` exceeds a limit (higher is worse)."""
        if self.critical > 0 and value > self.critical:
            return "critical"
        if self.warning > 0 and value > self.warning:
            return "warning"
        return None

    def level_below(self, value: float) -> str | None:
        """``"critical"``/``"warning"`` when ``value`` falls under a limit (lower is worse)."""
        if self.critical > 0 and value < self.critical:
            return "critical"
        if self.warning > 0 and value < self.warning:
            return "warning"
        return None


DEFAULT_THRESHOLDS: Final[dict[str, Threshold]] = {
    "stale_seconds": Threshold(0, 0),
    "size_shrink_percent": Threshold(50, 90),
    "size_max_mb": Threshold(100, 500),
    "temp_leftover_seconds": Threshold(60, 0),
    "disk_free_percent": Threshold(5, 2),
    "disk_free_mb": Threshold(1024, 200),
    "time_to_full_hours": Threshold(72, 12),
    "snapshot_late_factor": Threshold(3, 10),
    "parquet_stale_candles": Threshold(6, 48),
    "parquet_stale_floor_hours": Threshold(48, 336),
}

BUILTIN_OVERRIDES: Final[tuple[tuple[str, dict[str, Threshold]], ...]] = (
    ("data/cache/latest_decisions.json", {"stale_seconds": Threshold(6 * 3600, 48 * 3600)}),
    ("logs/supervisor.log", {"stale_seconds": Threshold(6 * 3600, 48 * 3600)}),
    ("logs/daily_report.log", {"stale_seconds": Threshold(26 * 3600, 72 * 3600)}),
    ("data/historical/*", {"size_max_mb": Threshold(4096, 0)}),
)

DEFAULT_IGNORE: Final = ("data/.quarantine/**", ".git/**", "**/__pycache__/**", ".venv/**")

#: ``[retention]`` kinds besides snapshots (whose days live in ``[snapshots]``).
DEFAULT_RETENTION: Final = {
    "reports": 365.0,
    "daily_reports": 90.0,
    "rotated_logs": 90.0,
    "quarantine": 90.0,
    "decisions": 90.0,  # the real bot's data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json files
}
#: ``[cloud]`` belongs to ``core.cloud.settings`` (validated there); the health engine ignores it.
#: ``[exchange]`` belongs to ``core.exchange.settings`` (validated there), likewise.
_SECTIONS: Final = {
    "ignore",
    "thresholds",
    "snapshots",
    "permissions",
    "overrides",
    "cloud",
    "retention",
    "exchange",
}
_SNAPSHOT_KEYS: Final = {
    "retention_days": 365.0,
    "retention_grace_days": 7.0,
    "gap_factor": 2.5,
    "growth_window_seconds": 600.0,
}
_PERMISSION_KEYS: Final = {"check_modes": True, "check_owner": True, "stricter_is_info": True}


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved configuration (defaults merged with the file)."""

    thresholds: dict[str, Threshold] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    overrides: tuple[tuple[str, dict[str, Threshold]], ...] = BUILTIN_OVERRIDES
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    retention_days: float = 365.0
    retention_grace_days: float = 7.0
    gap_factor: float = 2.5
    growth_window_seconds: float = 600.0
    check_modes: bool = True
    check_owner: bool = True
    stricter_is_info: bool = True
    #: ``[retention]``: days to keep per kind for ``botstore cleanup`` (0 = keep forever).
    retention: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RETENTION))
    source: str | None = None  # the file read, None for pure defaults

    def threshold(self, name: str, relpath: str | None = None) -> Threshold:
        """The pair for ``name`` at ``relpath`` (last matching override wins)."""
        result = self.thresholds[name]
        if relpath is not None:
            for pattern, values in self.overrides:
                if name in values and fnmatch.fnmatchcase(relpath, pattern):
                    result = values[name]
        return result

    def has_override(self, name: str, relpath: str) -> bool:
        return any(
            name in values and fnmatch.fnmatchcase(relpath, pattern)
            for pattern, values in self.overrides
        )

    def is_ignored(self, relpath: str, *, is_dir: bool = False) -> bool:
        """True when ``relpath`` (or, for a directory, everything below it) is ignored."""
        for pattern in self.ignore:
            if fnmatch.fnmatchcase(relpath, pattern):
                return True
            if is_dir and (
                fnmatch.fnmatchcase(relpath + "/", pattern)
                or (fnmatch.fnmatchcase(relpath + "/x", pattern) and pattern.endswith("/**"))
            ):
                return True
        return False


#: Thresholds where a *lower* value is worse: their warning limit lies above the critical one.
LOWER_IS_WORSE: Final = frozenset({"disk_free_percent", "disk_free_mb", "time_to_full_hours"})


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, else ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(kind: str, found: Iterable[str], known: Iterable[str]) -> str:
    """``unknown <kind> 'x' (did you mean 'y'?); known: ...`` for the first unknown key."""
    names = sorted(known)
    key = sorted(found)[0]
    return f"unknown {kind} {key!r}{did_you_mean(key, names)}; known: {', '.join(names)}"


def _threshold(where: str, name: str, value: Any, base: Threshold) -> Threshold:
    """One warning/critical pair; a level left out keeps ``base``'s (never silently 0)."""
    if not isinstance(value, dict):
        raise ConfigError(where, "must be a table like { warning = 1, critical = 2 }")
    unknown = set(value) - {"warning", "critical"}
    if unknown:
        raise ConfigError(where, _unknown("key", unknown, ("warning", "critical")))
    out = {"warning": base.warning, "critical": base.critical}
    for level in ("warning", "critical"):
        if level not in value:
            continue
        item = value[level]
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise ConfigError(where, f"{level} must be a number, got {type(item).__name__}")
        if item < 0:
            raise ConfigError(where, f"{level} must be >= 0 (0 turns that level off)")
        out[level] = float(item)
    warning, critical = out["warning"], out["critical"]
    inherited = (
        ""
        if len(value) == 2
        else (
            f" (the {'critical' if 'critical' not in value else 'warning'} level is inherited; "
            "set both)"
        )
    )
    if warning > 0 and critical > 0:
        if name in LOWER_IS_WORSE and warning < critical:
            raise ConfigError(
                where,
                f"inverted: warning {warning:g} is below critical "
                f"{critical:g}, but a lower {name} is worse, so warning must be "
                f"the larger limit{inherited}",
            )
        if name not in LOWER_IS_WORSE and warning > critical:
            raise ConfigError(
                where,
                f"inverted: warning {warning:g} is above critical "
                f"{critical:g}; warning must be the smaller limit{inherited}",
            )
    return Threshold(warning, critical)


def _thresholds(
    where: str, table: Any, bases: dict[str, Threshold] | None = None
) -> dict[str, Threshold]:
    if not isinstance(table, dict):
        raise ConfigError(where, "must be a table")
    result: dict[str, Threshold] = {}
    for key, value in table.items():
        if key not in DEFAULT_THRESHOLDS:
            raise ConfigError(f"{where}.{key}", _unknown("threshold", [key], DEFAULT_THRESHOLDS))
        base = (bases or DEFAULT_THRESHOLDS)[key]
        result[key] = _threshold(f"{where}.{key}", key, value, base)
    return result


def _retention(source: str, table: Any) -> dict[str, float]:
    if not isinstance(table, dict):
        raise ConfigError(source, "[retention] must be a table of kind -> days")
    unknown = set(table) - set(DEFAULT_RETENTION)
    if unknown:
        raise ConfigError(source, _unknown("retention kind", unknown, DEFAULT_RETENTION))
    out = dict(DEFAULT_RETENTION)
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(
                source, f"retention.{key} must be a number of days >= 0 (0 = keep forever)"
            )
        out[key] = float(value)
    return out


def parse_config(raw: dict[str, Any], source: str = "<config>") -> Config:
    """Build a :class:`Config` from a parsed TOML document, validating every key."""
    unknown = set(raw) - _SECTIONS
    if unknown:
        raise ConfigError(source, _unknown("section", unknown, _SECTIONS))
    thresholds = dict(DEFAULT_THRESHOLDS)
    thresholds.update(_thresholds(f"{source}: thresholds", raw.get("thresholds", {})))
    ignore = raw.get("ignore", list(DEFAULT_IGNORE))
    if not isinstance(ignore, list) or not all(isinstance(p, str) for p in ignore):
        raise ConfigError(source, "ignore must be a list of glob strings")
    snapshots = raw.get("snapshots", {})
    if not isinstance(snapshots, dict):
        raise ConfigError(source, "[snapshots] must be a table")
    snap_values: dict[str, float] = {}
    for key, default in _SNAPSHOT_KEYS.items():
        value = snapshots.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(source, f"snapshots.{key} must be a non-negative number")
        snap_values[key] = float(value)
    if set(snapshots) - set(_SNAPSHOT_KEYS):
        raise ConfigError(
            source, _unknown("snapshots key", set(snapshots) - set(_SNAPSHOT_KEYS), _SNAPSHOT_KEYS)
        )
    perms = raw.get("permissions", {})
    if not isinstance(perms, dict):
        raise ConfigError(source, "[permissions] must be a table")
    if set(perms) - set(_PERMISSION_KEYS):
        raise ConfigError(
            source,
            _unknown("permissions key", set(perms) - set(_PERMISSION_KEYS), _PERMISSION_KEYS),
        )
    perm_values: dict[str, bool] = {}
    for key, default in _PERMISSION_KEYS.items():
        value = perms.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(source, f"permissions.{key} must be true or false")
        perm_values[key] = value
    retention = _retention(source, raw.get("retention", {}))
    overrides_raw = raw.get("overrides", {})
    if not isinstance(overrides_raw, dict):
        raise ConfigError(source, "[overrides] must be a table of glob -> thresholds")
    overrides = list(BUILTIN_OVERRIDES)
    for pattern, table in overrides_raw.items():
        overrides.append(
            (pattern, _thresholds(f"{source}: overrides.{pattern!r}", table, thresholds))
        )
    return Config(
        thresholds=thresholds,
        overrides=tuple(overrides),
        ignore=tuple(ignore),
        retention_days=snap_values["retention_days"],
        retention_grace_days=snap_values["retention_grace_days"],
        gap_factor=snap_values["gap_factor"] or 2.5,
        growth_window_seconds=snap_values["growth_window_seconds"],
        check_modes=perm_values["check_modes"],
        check_owner=perm_values["check_owner"],
        stricter_is_info=perm_values["stricter_is_info"],
        retention=retention,
        source=source,
    )


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


def load_config(root: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> Config:
    """Read ``path`` (or ``<root>/botstore.toml`` when present) into a :class:`Config`.

    A missing default file gives the defaults; a missing explicit ``path``, bad
    TOML or a bad value raises :class:`ConfigError` with a clear message.
    """
    explicit = path is not None
    file = Path(path) if path is not None else Path(root) / CONFIG_NAME
    raw = read_toml(file, explicit=explicit)
    if raw is None:
        return Config()
    return parse_config(raw, str(file))


__all__ = [
    "LOWER_IS_WORSE",
    "Config",
    "ConfigError",
    "Threshold",
    "did_you_mean",
    "load_config",
    "parse_config",
    "read_toml",
]
