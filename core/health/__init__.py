"""The health engine: findings and the standard's health figures for a bot root.

Public API: :class:`HealthScanner` (``full_scan()``, ``update(changed)``) and
:func:`scan` (one-shot). Modules, named for what they hold:

* ``scanner``        — :class:`HealthScanner`: public API and incremental updates, built
  from ``scan_base`` (state, shared bookkeeping), ``scan_content`` (content verdicts),
  ``scan_entry`` (per-entry checks), ``scan_walk`` (the walk, hot loop with the
  ordinary-file fast path) and ``scan_report`` (report assembly);
* ``verdicts``       — content verdicts kept between processes (one-shot ``check``);
* ``walk``           — a plain scandir/lstat walk (used by ``core.actions``) and
  ``display_path`` / ``is_utf8_name`` for non-UTF-8 names;
* ``checks_json``    — parse, schema, pending migration, sensitive keys (JSON under
  data/, dashboard/, reports/);
* ``checks_perms``   — modes against the policy (``core.standard.policy``), world-readable
  secrets;
* ``checks_parquet`` — history files from their footer: name, compression, gaps,
  duplicates, span vs period, stale last candle; a bounded content probe of new or
  changed files;
* ``aggregates``     — existence of critical/expected files, ``portfolio.json.bak``
  (``backup_status``), the snapshot series (count, gaps, order, frequency, retention);
* ``botfiles``       — the real bot's ever-growing files (decision files,
  ``decision_records.json``, unrotated ``supervisor.log``): ``retention`` / ``size``;
* ``disk``           — tree size, free space, time-to-full from the growth between scans;
* ``state``          — caches: content results keyed by ``(mtime_ns, size, ino)``,
  per-directory entry map of compact entries (``lstat`` / ``FileKey`` / ``CleanFile`` /
  size), growth history.

JSON verdicts come from ``core.documents.validation`` (the one validation path).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.standard.lazy import lazy_exports

__all__ = ["HealthScanner", "display_path", "parse_timestamp", "scan"]

if TYPE_CHECKING:
    from core.health.scanner import HealthScanner, scan
    from core.health.walk import display_path
    from core.standard.times import parse_timestamp

#: Public name -> the module that defines it. Loaded on first use, so that
#: ``core.health.report`` (the scan result every layer reads) imports no scanner.
_HOME = {
    "HealthScanner": "core.health.scanner",
    "scan": "core.health.scanner",
    "display_path": "core.health.walk",
    "parse_timestamp": "core.standard.times",
}

__getattr__ = lazy_exports(__name__, _HOME)
