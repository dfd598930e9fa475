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

``[cloud]`` (``botstore sync``) and ``[exchange]`` (the exchange actions) are described
in :mod:`core.cloud.settings` and :mod:`core.exchange.settings`; every table's keys, types
and defaults are in the JSON Schema ``botstore schema --config`` prints
(``docs/schemas/botstore.toml.schema.json``).

The package: :mod:`~core.config.resolved` (:class:`Config`, :class:`Threshold`, the
defaults; no pydantic), :mod:`~core.config.models` (the pydantic models of every table),
:mod:`~core.config.messages` (their errors as operator-facing sentences),
:mod:`~core.config.loader` (the one loader), :mod:`~core.config.schema` (the JSON Schema).
Importing ``core.config`` does not import pydantic; the first load does.
"""

from __future__ import annotations

from core.config.loader import BotstoreConfig, load, load_config, parse_config, read_toml
from core.config.resolved import (
    BUILTIN_OVERRIDES,
    CONFIG_MAX_BYTES,
    DEFAULT_IGNORE,
    DEFAULT_RETENTION,
    DEFAULT_THRESHOLDS,
    LOWER_IS_WORSE,
    Config,
    ConfigError,
    Threshold,
    did_you_mean,
)
from core.standard.layout import CONFIG_NAME

__all__ = [
    "BUILTIN_OVERRIDES",
    "CONFIG_MAX_BYTES",
    "CONFIG_NAME",
    "DEFAULT_IGNORE",
    "DEFAULT_RETENTION",
    "DEFAULT_THRESHOLDS",
    "LOWER_IS_WORSE",
    "BotstoreConfig",
    "Config",
    "ConfigError",
    "Threshold",
    "did_you_mean",
    "load",
    "load_config",
    "parse_config",
    "read_toml",
]
