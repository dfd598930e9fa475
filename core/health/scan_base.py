# str paths on purpose: the scan is hot, and Path objects cost.
# ruff: noqa: PTH100
"""The scanner's state and the bookkeeping both the full walk and the incremental update use.

:class:`ScanBase` holds everything a :class:`~core.health.scanner.HealthScanner`
keeps between scans (see that module for what and why) and the helpers that
compare an entry with what the previous scan kept for it (size deltas, shrink
findings) and apply the ignore policy. The scanner's other parts build on it
class by class: ``scan_entry`` (per-entry checks) < ``scan_walk`` (the walk)
< ``scanner`` (public API, incremental updates); ``scan_report`` assembles the report.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import stat
import threading
from collections.abc import Iterable
from typing import Any, Final

from core.config import Config, load_config
from core.health.checks_perms import Access
from core.health.ignore import IgnorePolicy
from core.health.keep import QuarantineMeter
from core.health.report import FileStat, SnapshotSummary
from core.health.state import (
    ContentResult,
    Entry,
    EntryMap,
    GrowthHistory,
    entry_is_file,
    entry_size,
)
from core.health.verdicts import VerdictStore
from core.health.walk import display_path
from core.standard import layout
from core.standard.findings import Finding, Severity

ROLES: Final[dict[str, str]] = {
    **dict.fromkeys(layout.EXPECTED_FILES, "expected"),
    **dict.fromkeys(layout.CRITICAL_FILES, "critical"),
}
#: Top-level directories whose files are listed one by one in ``HealthReport.files``
#: (others are summarized in ``disk.by_top_dir``; files with findings are always listed).
LISTED_TOPS: Final = frozenset({"data", "logs", "dashboard"})
# The fast path (see ``scan_walk``) relies on every role file living below a listed top.
assert all(rel.partition("/")[0] in LISTED_TOPS for rel in ROLES)  # noqa: S101
MB: Final = 1024 * 1024
_S_ISREG = stat.S_ISREG


def _combined(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


class ScanBase:
    """What a scanner keeps between scans, and the bookkeeping shared by walk and update."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        config: Config | None = None,
        *,
        verdict_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        """``verdict_dir``: botstore's state directory, to keep content verdicts between
        processes (:mod:`core.health.verdicts`; for one-shot scans such as ``check``)."""
        self.root = os.path.abspath(os.fspath(root))
        self.config = config if config is not None else load_config(self.root)
        self._verdicts = VerdictStore(verdict_dir, self.root) if verdict_dir is not None else None
        self._lock = threading.RLock()
        self._entries = EntryMap()
        self._walk_errors: dict[str, list[Finding]] = {}
        self._findings: dict[str, list[Finding]] = {}
        self._size_findings: dict[str, Finding] = {}
        self._content: dict[str, ContentResult] = {}
        self._filestats: dict[str, FileStat] = {}
        self._timed: set[str] = set()
        self._growth = GrowthHistory()
        self._bytes: dict[str, int] = {}  # regular-file bytes per top-level directory
        self._snap_cache: tuple[Any, tuple[SnapshotSummary, list[float], int]] | None = None
        self._scanned = False
        self._root_uid = -1
        self._root_gid = -1
        self._access = Access()
        self._override_re = _combined(p for p, _ in self.config.overrides)
        self._stale_default = self.config.thresholds["stale_seconds"].enabled
        self._ignore = IgnorePolicy(self.config)  # critical files are never ignored
        self._quarantine = QuarantineMeter()
        literals = [p for p, _ in self.config.overrides]
        literals += [p for p in self.config.ignore if not p.endswith("/**")]
        self._override_literals = [re.split(r"[*?\[]", p, maxsplit=1)[0] for p in literals]
        self._override_dirs: dict[str, bool] = {}
        self._max_json_bytes = int(
            max(
                self.config.thresholds["size_max_mb"].critical,
                self.config.thresholds["size_max_mb"].warning,
                1,
            )
            * MB
        )

    # ------------------------------------------------------------------ bookkeeping

    def _skip_dir(self, rel: str) -> bool:
        return self._ignore.skip_dir(rel)

    def _skip_file(self, rel: str) -> bool:
        return self._ignore.skip_file(rel)

    def _ignored_path(self, rel: str) -> bool:
        return self._ignore.ignored_path(rel)

    def _set_delta(self, rel: str, prev: Entry, st: os.stat_result) -> None:
        """Fill ``FileStat.size_delta`` (listed files only) from the previous observation."""
        listed = self._filestats.get(rel)
        if listed is not None and entry_is_file(prev):
            self._filestats[rel] = dataclasses.replace(
                listed, size_delta=st.st_size - entry_size(prev)
            )

    def _set_size_finding(self, rel: str, prev: Entry, st: os.stat_result) -> None:
        self._size_findings.pop(rel, None)
        if not (_S_ISREG(st.st_mode) and entry_is_file(prev)):
            return
        name = rel.rpartition("/")[2]
        before = entry_size(prev)
        if not name.endswith((".json", ".parquet")) or before < 64:
            return
        shrink = (before - st.st_size) * 100.0 / before
        level = self.config.threshold("size_shrink_percent", rel).level_above(shrink)
        if level is not None:
            self._size_findings[rel] = Finding(
                "size",
                Severity(level),
                display_path(rel),
                f"shrank by {shrink:.0f}% since the previous scan ({before} -> {st.st_size} bytes)",
            )


__all__ = ["LISTED_TOPS", "MB", "ROLES", "ScanBase"]
