"""The health engine: findings and the standard's health figures for a bot root.

Modules: ``walk`` (scandir/lstat walk), ``checks_json``, ``checks_perms``,
``checks_parquet`` (per-file checks), ``aggregates`` (existence, backup,
snapshots), ``disk``, ``state`` (caches), ``scanner`` (:class:`HealthScanner`).
"""

from __future__ import annotations

from core.health.aggregates import parse_timestamp
from core.health.scanner import HealthScanner, scan
from core.health.walk import display_path

__all__ = ["HealthScanner", "display_path", "parse_timestamp", "scan"]
