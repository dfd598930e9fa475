# str paths on purpose: the scan is hot, and Path objects cost.
# ruff: noqa: PTH116
"""The health scanner: one walk of a bot root into findings and the standard's health figures.

``HealthScanner(root, config)`` keeps state between scans:

* every entry below the root, compactly (``state.Entry``: the ``lstat`` only where a
  later step reads it, else the content key or just the size); sizes from the previous
  scan give size changes and the growth rate used for the time-to-full prediction;
* per-file content results (parsed JSON verdicts, Parquet footers) keyed by
  ``(st_mtime_ns, st_size, st_ino)``, so an unchanged file is never read twice (a
  clean result is not stored at all: the entry, a ``state.CleanFile``, stands for it);
* per-path findings, so :meth:`HealthScanner.update` re-checks only the changed
  paths, the time-dependent ones (ages, temp files, candles) and the aggregate
  checks (existence, backup, snapshots, disk).

Nothing is ever followed through a symlink, no FIFO/device is ever opened, and
a check that raises becomes an ``unreadable`` finding instead of a crash.

The class is built from its parts, one module each: ``scan_base`` (state and
shared bookkeeping), ``scan_entry`` (per-entry checks), ``scan_walk`` (the walk
and its fast path), ``scan_report`` (report assembly); this module adds the
public API and the incremental bookkeeping of :meth:`HealthScanner.update`.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable

from core.config import Config
from core.health.report import HealthReport
from core.health.scan_report import ReportAssembly
from core.health.scan_walk import TreeWalk
from core.health.state import (
    Entry,
    EntryMap,
    entry_ino,
    entry_is_dir,
    entry_is_file,
    entry_size,
)
from core.health.walk import os_error_finding
from core.standard.findings import Finding

_S_ISDIR = stat.S_ISDIR


class HealthScanner(TreeWalk, ReportAssembly):
    """Scans ``root`` and keeps what it needs to re-scan incrementally."""

    # ------------------------------------------------------------------ public API

    def full_scan(self) -> HealthReport:
        """Walk the whole tree.

        Raises ``FileNotFoundError`` / ``NotADirectoryError`` for a bad root.
        """
        started = time.perf_counter()
        with self._lock:
            self._stat_root()
            old = self._entries
            self._entries = EntryMap()
            self._bytes = {}
            self._walk_errors = {}
            self._findings = {}
            self._filestats = {}
            self._timed = set()
            old_content = self._content
            self._content = {}
            old_sizes = self._size_findings
            self._size_findings = {}
            now = time.time()
            if self._verdicts is not None:
                self._verdicts.begin(now)
            self._scan_tree("", now, old_content, old if self._scanned else None, old_sizes)
            self._scanned = True
            report = self._report(now, started)
            if self._verdicts is not None:
                self._verdicts.save()
            return report

    def update(self, changed: Iterable[str]) -> HealthReport:
        """Re-check ``changed`` relative paths (plus time-dependent and aggregate checks)."""
        started = time.perf_counter()
        with self._lock:
            if not self._scanned:
                return self.full_scan()
            self._stat_root()
            now = time.time()
            seen: set[str] = set()
            for raw in changed:
                rel = raw.strip("/").removeprefix("./")
                if rel in ("", "."):
                    return self.full_scan()
                if rel in seen or self._ignored_path(rel):
                    continue
                seen.add(rel)
                self._refresh(rel, now)
            for rel in list(self._timed - seen):
                st = self._entries.get(rel)
                if not isinstance(st, os.stat_result):
                    self._timed.discard(rel)
                    continue
                self._store(rel, self._evaluate(rel, st, now, self._content, st))
            return self._report(now, started)

    # ------------------------------------------------------------------ incremental helpers

    def _stat_root(self) -> None:
        st = os.stat(self.root)
        if not _S_ISDIR(st.st_mode):
            raise NotADirectoryError(f"{self.root}: not a directory")
        self._root_uid, self._root_gid = st.st_uid, st.st_gid

    def _account(self, rel: str, entry: Entry | None, sign: int) -> None:
        if entry is not None and entry_is_file(entry):
            bucket = rel.partition("/")[0] if "/" in rel else "."
            self._bytes[bucket] = self._bytes.get(bucket, 0) + sign * entry_size(entry)

    def _forget(self, rel: str) -> None:
        """Drop ``rel`` and everything below it from every store."""
        entry = self._entries.get(rel)
        if entry is not None and entry_is_dir(entry):
            for key in self._entries.under(rel):
                self._forget_one(key)
            self._entries.dirs.pop(rel, None)
        prefix = rel + "/"
        for key in [k for k in self._walk_errors if k.startswith(prefix)]:
            self._walk_errors.pop(key, None)
        self._forget_one(rel)

    def _forget_one(self, rel: str) -> None:
        self._account(rel, self._entries.pop(rel), -1)
        self._findings.pop(rel, None)
        self._size_findings.pop(rel, None)
        self._content.pop(rel, None)
        self._filestats.pop(rel, None)
        self._walk_errors.pop(rel, None)
        self._timed.discard(rel)

    def _refresh(self, rel: str, now: float) -> None:
        old = self._entries.get(rel)
        try:
            st = os.lstat(f"{self.root}/{rel}")
        except (FileNotFoundError, NotADirectoryError):
            self._forget(rel)
            return
        except OSError as exc:
            self._forget(rel)
            self._walk_errors[rel] = [os_error_finding(rel, "cannot stat", exc)]
            return
        parent = rel.rpartition("/")[0]
        if parent and parent not in self._entries:
            # a path below a directory we never saw (moved in): walk from the topmost new one
            top = parent
            while "/" in top and top.rpartition("/")[0] not in self._entries:
                top = top.rpartition("/")[0]
            self._add_subtree(top, now)
            return
        if _S_ISDIR(st.st_mode) and (old is None or not entry_is_dir(old)):
            self._add_subtree(rel, now)
            return
        if old is not None and entry_is_dir(old) and not _S_ISDIR(st.st_mode):
            self._forget(rel)
            old = None
        self._walk_errors.pop(rel, None)
        self._account(rel, self._entries.pop(rel), -1)
        self._account(rel, st, +1)
        self._store(rel, self._evaluate(rel, st, now, self._content, old))
        self._entries.set(rel, self._settle(rel, st))
        if old is not None:
            self._set_delta(rel, old, st)
        old_ino = entry_ino(old) if old is not None else None
        if old is not None and entry_size(old) != st.st_size:
            self._set_size_finding(rel, old, st)
        elif old is None or (old_ino is not None and old_ino != st.st_ino):
            self._size_findings.pop(rel, None)

    def _add_subtree(self, rel: str, now: float) -> None:
        self._forget(rel)
        try:
            st = os.lstat(f"{self.root}/{rel}")
        except OSError:
            return
        self._account(rel, st, +1)
        self._store(rel, self._evaluate(rel, st, now, self._content, None))
        self._entries.set(rel, self._settle(rel, st))
        if _S_ISDIR(st.st_mode):
            self._scan_tree(rel, now, self._content, None, {})

    def _store(self, rel: str, result: list[Finding] | None) -> None:
        if result:
            self._findings[rel] = result
        else:
            self._findings.pop(rel, None)


def scan(root: str | os.PathLike[str], config: Config | None = None) -> HealthReport:
    """One-shot full scan of ``root``."""
    return HealthScanner(root, config).full_scan()


__all__ = ["HealthScanner", "scan"]
