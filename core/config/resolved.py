"""The resolved configuration the health engine and the actions read, and its defaults.

:class:`Config` is ``botstore.toml`` after validation, with the defaults and the
built-in overrides merged in; :class:`Threshold` is one warning/critical pair. No
pydantic here (the file's models live in :mod:`core.config.models`): importing
this module is cheap, so every layer may name these types.
"""

from __future__ import annotations

import difflib
import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from core.errors import BotstoreError

if TYPE_CHECKING:
    from collections.abc import Iterable

#: A configuration file larger than this is refused (it is a few hundred bytes in practice).
CONFIG_MAX_BYTES: Final = 1024 * 1024


class ConfigError(BotstoreError, ValueError):
    """The configuration file cannot be used (bad TOML, unknown key, bad value)."""

    code = "config"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def file_problem(self) -> str:
        """One line on a file that cannot be loaded, as the ``[cloud]`` and ``[exchange]``
        settings report it: ``config file P does not exist`` or ``config file P: reason``."""
        if self.reason == "config file does not exist":
            return f"config file {self.path} does not exist"
        return f"config file {self.path}: {self.reason}"


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

#: Thresholds where a *lower* value is worse: their warning limit lies above the critical one.
LOWER_IS_WORSE: Final = frozenset({"disk_free_percent", "disk_free_mb", "time_to_full_hours"})

BUILTIN_OVERRIDES: Final[tuple[tuple[str, dict[str, Threshold]], ...]] = (
    ("data/cache/latest_decisions.json", {"stale_seconds": Threshold(6 * 3600, 48 * 3600)}),
    ("logs/supervisor.log", {"stale_seconds": Threshold(6 * 3600, 48 * 3600)}),
    ("logs/daily_report.log", {"stale_seconds": Threshold(26 * 3600, 72 * 3600)}),
    ("data/historical/*", {"size_max_mb": Threshold(4096, 0)}),
)

DEFAULT_IGNORE: Final = ("data/.quarantine/**", ".git/**", "**/__pycache__/**", ".venv/**")

#: ``[snapshots]``: the snapshot history's policy.
DEFAULT_SNAPSHOTS: Final = {
    "retention_days": 365.0,
    "retention_grace_days": 7.0,
    "gap_factor": 2.5,
    "growth_window_seconds": 600.0,
}

#: ``[permissions]``: which permission checks run.
DEFAULT_PERMISSIONS: Final = {"check_modes": True, "check_owner": True, "stricter_is_info": True}

#: ``[retention]`` kinds besides snapshots (whose days live in ``[snapshots]``).
DEFAULT_RETENTION: Final = {
    "reports": 365.0,
    "daily_reports": 90.0,
    "rotated_logs": 90.0,
    "quarantine": 90.0,
    "decisions": 90.0,  # the real bot's data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json files
}


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved configuration (defaults merged with the file)."""

    thresholds: dict[str, Threshold] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    overrides: tuple[tuple[str, dict[str, Threshold]], ...] = BUILTIN_OVERRIDES
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    retention_days: float = DEFAULT_SNAPSHOTS["retention_days"]
    retention_grace_days: float = DEFAULT_SNAPSHOTS["retention_grace_days"]
    gap_factor: float = DEFAULT_SNAPSHOTS["gap_factor"]
    growth_window_seconds: float = DEFAULT_SNAPSHOTS["growth_window_seconds"]
    check_modes: bool = DEFAULT_PERMISSIONS["check_modes"]
    check_owner: bool = DEFAULT_PERMISSIONS["check_owner"]
    stricter_is_info: bool = DEFAULT_PERMISSIONS["stricter_is_info"]
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


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, else ``""``."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
