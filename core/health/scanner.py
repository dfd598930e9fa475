# str paths on purpose: the scan is hot, and Path objects cost.
# ruff: noqa: PTH100, PTH115, PTH116, PTH118, PTH120
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
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import os
import re
import stat
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final

from core.config import Config, load_config
from core.health import aggregates
from core.health.botfiles import DEFAULT_DECISION_DAYS, growth_findings
from core.health.checks_json import JSON_TOPS, KEEP_DATA, check_json, reuse_json
from core.health.checks_parquet import (
    HISTORICAL_PREFIX,
    check_parquet,
    reuse_parquet,
    stale_candle,
)
from core.health.checks_perms import DIR_MODE, Access, check_mode, expected_mode, sensitive_name
from core.health.cloud_status import cloud_backup
from core.health.disk import disk_findings, disk_summary
from core.health.ignore import IgnorePolicy
from core.health.keep import QuarantineMeter, count_backups
from core.health.limits import over_cap_finding, parse_cap
from core.health.report import HEALTH_KEYS, FileStat, HealthReport, SnapshotSummary
from core.health.state import (
    CleanFile,
    ContentKey,
    ContentResult,
    Entry,
    EntryMap,
    FileKey,
    GrowthHistory,
    clean_result,
    entry_ino,
    entry_is_dir,
    entry_is_file,
    entry_size,
    is_clean,
)
from core.health.verdicts import VerdictStore
from core.health.walk import display_path, is_utf8_name, os_error_finding
from core.standard import layout
from core.standard.findings import Finding, Severity, Status
from core.text.sanitize import SENSITIVE_KEYS

ROLES: Final[dict[str, str]] = {
    **dict.fromkeys(layout.EXPECTED_FILES, "expected"),
    **dict.fromkeys(layout.CRITICAL_FILES, "critical"),
}
#: Top-level directories whose files are listed one by one in ``HealthReport.files``
#: (others are summarized in ``disk.by_top_dir``; files with findings are always listed).
LISTED_TOPS: Final = frozenset({"data", "logs", "dashboard"})
# The fast path (see ``_list_dir``) relies on every role file living below a listed top.
assert all(rel.partition("/")[0] in LISTED_TOPS for rel in ROLES)  # noqa: S101
MB: Final = 1024 * 1024
_S_ISREG = stat.S_ISREG
_S_ISDIR = stat.S_ISDIR
_S_ISLNK = stat.S_ISLNK
_new_tuple = tuple.__new__
_EMPTY: Final[list[Finding]] = []
_LOG_RE: Final = re.compile(r"\.(?:log|txt)$|\.log\.")
_SENSITIVE_SEARCH: Final = re.compile("|".join(sorted(SENSITIVE_KEYS))).search  # on name.lower()
_SLOW_SUFFIXES: Final = (".json", ".bak", ".parquet", ".tmp", ".lock")
_LOG_SUFFIXES: Final = (".log", ".txt")
#: Looked for in a directory's "\n"-joined names (substring search runs at C speed).
_SUSPECT_ENDINGS: Final = tuple(f"{suffix}\n" for suffix in _SLOW_SUFFIXES)
#: The whole names (lines of the joined names) that are hidden or end with a slow suffix.
_SUSPECT_LINES: Final = re.compile(
    r"^(?:\.[^\n]*|[^\n]*(?:" + "|".join(re.escape(x) for x in _SLOW_SUFFIXES) + r"))$",
    re.MULTILINE,
)


def _iso(epoch: float) -> str:
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age_text(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds:.0f} s"


def _file_kind(name: str) -> str:
    if name.endswith(".json"):
        return "json"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".bak"):
        return "backup"
    if _LOG_RE.search(name) is not None:
        return "log"
    return "other"


def _combined(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


class HealthScanner:
    """Scans ``root`` and keeps what it needs to re-scan incrementally."""

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

    def _skip_dir(self, rel: str) -> bool:
        return self._ignore.skip_dir(rel)

    def _skip_file(self, rel: str) -> bool:
        return self._ignore.skip_file(rel)

    def _ignored_path(self, rel: str) -> bool:
        return self._ignore.ignored_path(rel)

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

    def _scan_tree(
        self,
        start: str,
        now: float,
        cache: dict[str, ContentResult],
        old: EntryMap | None,
        old_sizes: dict[str, Finding],
    ) -> None:
        """Walk below directory ``start`` (never following symlinks) and check every entry.

        The common case — an ordinary regular file with the policy's mode and the
        root's owner — is decided inline and stored as just its size; anything
        else goes through :meth:`_evaluate`. This keeps a full scan close to the
        cost of a bare walk.
        """
        root = self.root
        dirs = self._entries.dirs
        errors = self._walk_errors
        config = self.config
        fast_ok = config.check_modes and not self._stale_default
        size_limit = config.thresholds["size_max_mb"]
        limits = [v for v in (size_limit.warning, size_limit.critical) if v > 0]
        max_size = min(limits) * MB if limits else float("inf")
        stack = [start]
        while stack:
            rel_dir = stack.pop()
            abs_dir = f"{root}/{rel_dir}" if rel_dir else root
            try:
                iterator = os.scandir(abs_dir)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                key = rel_dir or "."
                errors[key] = [os_error_finding(key, "cannot list directory", exc)]
                continue
            top = rel_dir.partition("/")[0]
            # may anything special apply to an ordinary file directly in this directory?
            fast = fast_ok and top not in LISTED_TOPS and not self._maybe_override(rel_dir)
            names: dict[str, Entry] = {}
            dirs[rel_dir] = names
            with iterator:
                slow, dir_bytes = self._list_dir(
                    iterator,
                    rel_dir=rel_dir,
                    names=names,
                    stack=stack,
                    fast=fast,
                    max_size=max_size,
                )
            self._bytes[top or "."] = self._bytes.get(top or ".", 0) + dir_bytes
            prefix = f"{rel_dir}/" if rel_dir else ""
            # popped, not read: the previous scan's entries are freed as the walk goes
            old_names = old.dirs.pop(rel_dir, None) if old is not None else None
            for name, st in slow:
                rel = prefix + name
                if self._ignore.active and self._skip_file(rel):
                    names.pop(name, None)
                    if _S_ISREG(st.st_mode):
                        self._bytes[top or "."] -= st.st_size
                    continue
                prev = old_names.get(name) if old_names is not None else None
                result = self._evaluate(rel, st, now, cache, prev)
                if result:
                    self._findings[rel] = result
                names[name] = self._settle(rel, st)
                if prev is not None:
                    self._set_delta(rel, prev, st)
                if prev is not None and entry_size(prev) != st.st_size:
                    self._set_size_finding(rel, prev, st)
                elif rel in old_sizes and prev is not None and entry_ino(prev) == st.st_ino:
                    self._size_findings[rel] = old_sizes[rel]

    def _list_dir(
        self,
        iterator: Iterator[os.DirEntry[str]],
        *,
        rel_dir: str,
        names: dict[str, Entry],
        stack: list[str],
        fast: bool,
        max_size: float,
    ) -> tuple[list[tuple[str, os.stat_result]], int]:
        """The hot loop: stat every entry, keep ordinary files as their size, return the rest.

        ``fast`` directories lie outside data/, logs/ and dashboard/ (no role files, no
        ``data/`` 640 rule, no override): there a regular file with the root's owner, a
        sane size and a mode the policy accepts is *ordinary* unless its name is special
        (hidden, temp/lock/backup/JSON/Parquet suffix, not ASCII, or sensitive). Names
        are checked in bulk, one regex over the directory's joined names, and one by
        one only when that finds something.
        """
        ruid, rgid = self._root_uid, self._root_gid
        own_uid = self._access.euid
        need_read_bit = own_uid != 0
        if need_read_bit and ruid != own_uid:
            fast = False  # readability depends on group/other bits: judge file by file
        log_suffixes = _LOG_SUFFIXES
        prefix = f"{rel_dir}/" if rel_dir else ""
        slow: list[tuple[str, os.stat_result]] = []
        cand_names: list[str] = []
        cand_stats: list[os.stat_result] = []
        dir_bytes = 0
        try:
            for entry in iterator:
                name = entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    rel = prefix + name
                    self._walk_errors[rel] = [os_error_finding(rel, "cannot stat", exc)]
                    continue
                mode = st.st_mode
                kind = mode & 0o170000
                if kind == 0o100000:  # regular file
                    size = st.st_size
                    dir_bytes += size
                    if (
                        fast
                        and 0 < size <= max_size
                        and st.st_uid == ruid
                        and st.st_gid == rgid
                        and (not need_read_bit or mode & 0o400)
                        and (
                            mode & 0o777 == 0o644
                            or (not name.endswith(log_suffixes) and ".log." not in name)
                        )
                    ):
                        names[name] = size
                        cand_names.append(name)
                        cand_stats.append(st)
                        continue
                elif kind == 0o040000:
                    rel = prefix + name
                    if self._skip_dir(rel):
                        continue
                    stack.append(rel)
                names[name] = st
                slow.append((name, st))
        except OSError as exc:  # I/O error in the middle of a listing
            key = rel_dir or "."
            self._walk_errors[key] = [os_error_finding(key, "error while listing directory", exc)]
        if cand_names:
            joined = "\n" + "\n".join(cand_names) + "\n"
            odd = (
                not joined.isascii()
                or joined.count("\n") != len(cand_names) + 1  # a name holds a newline
                or any(word in joined.lower() for word in SENSITIVE_KEYS)
            )
            if not odd and (
                "\n." in joined or any(suffix in joined for suffix in _SUSPECT_ENDINGS)
            ):
                # only hidden names or slow suffixes: pick those names out at C speed
                by_name = dict(zip(cand_names, cand_stats, strict=True))
                for name in _SUSPECT_LINES.findall(joined):
                    st = by_name[name]
                    names[name] = st
                    slow.append((name, st))
            elif odd:
                for name, st in zip(cand_names, cand_stats, strict=True):
                    if (
                        not name.isascii()
                        or name[0] == "."
                        or name.endswith(_SLOW_SUFFIXES)
                        or _SENSITIVE_SEARCH(name.lower()) is not None
                    ):
                        names[name] = st
                        slow.append((name, st))
        return slow, dir_bytes

    def _maybe_override(self, rel_dir: str) -> bool:
        """True when an override or file-ignore glob could match a file directly in ``rel_dir``."""
        cached = self._override_dirs.get(rel_dir)
        if cached is None:
            prefix = f"{rel_dir}/" if rel_dir else ""
            cached = any(
                lit.startswith(prefix) or prefix.startswith(lit) for lit in self._override_literals
            )
            self._override_dirs[rel_dir] = cached
        return cached

    # ------------------------------------------------------------------ per-entry checks

    def _evaluate(
        self,
        rel: str,
        st: os.stat_result,
        now: float,
        cache: dict[str, ContentResult],
        prev: Entry | None,
    ) -> list[Finding] | None:
        """The findings for one entry; ``prev`` is what the previous scan kept for it."""
        try:
            mode = st.st_mode
            if _S_ISREG(mode):
                return self._check_file(rel, st, now, cache, prev)
            if _S_ISDIR(mode):
                return self._check_dir(rel, st)
            if _S_ISLNK(mode):
                return self._check_symlink(rel)
            return self._check_special(rel, mode)
        except Exception as exc:  # noqa: BLE001 - one bad entry must never stop the scan
            return [
                Finding(
                    "unreadable",
                    Severity.WARNING,
                    display_path(rel),
                    f"internal error while checking: {type(exc).__name__}: {exc}",
                )
            ]

    def _owner(self, rel: str, st: os.stat_result, out: list[Finding]) -> None:
        if st.st_uid != self._root_uid or st.st_gid != self._root_gid:
            out.append(
                Finding(
                    "permissions",
                    Severity.WARNING,
                    display_path(rel),
                    f"owner {st.st_uid}:{st.st_gid} differs from the root's "
                    f"{self._root_uid}:{self._root_gid}",
                )
            )

    def _check_dir(self, rel: str, st: os.stat_result) -> list[Finding] | None:
        out: list[Finding] | None = None
        config = self.config
        if rel in ROLES:  # e.g. a directory left where data/portfolio.json should be
            out = [
                Finding(
                    "special_file",
                    Severity.CRITICAL if ROLES[rel] == "critical" else Severity.WARNING,
                    display_path(rel),
                    "is a directory, not a regular file",
                )
            ]
        if config.check_modes and st.st_mode & 0o777 != DIR_MODE:
            found = check_mode(
                display_path(rel),
                st.st_mode,
                DIR_MODE,
                sensitive=False,
                is_dir=True,
                stricter_is_info=config.stricter_is_info,
            )
            if found is not None:
                out = [*(out or ()), found]
        if config.check_owner and (st.st_uid != self._root_uid or st.st_gid != self._root_gid):
            out = out or []
            self._owner(rel, st, out)
        if not is_utf8_name(rel.rpartition("/")[2]):
            out = out or []
            out.append(
                Finding(
                    "naming",
                    Severity.WARNING,
                    display_path(rel),
                    "directory name is not valid UTF-8",
                )
            )
        return out

    def _check_symlink(self, rel: str) -> list[Finding]:
        display = display_path(rel)
        severity = Severity.CRITICAL if ROLES.get(rel) == "critical" else Severity.WARNING
        abs_path = f"{self.root}/{rel}"
        try:
            target = os.readlink(abs_path)
        except OSError as exc:
            return [os_error_finding(rel, "cannot read symlink", exc)]
        shown = display_path(target)
        resolved = os.path.normpath(os.path.join(os.path.dirname(abs_path), target))
        if resolved != self.root and not resolved.startswith(self.root + "/"):
            return [
                Finding(
                    "symlink",
                    Severity.CRITICAL,
                    display,
                    f"symlink escapes the root -> {shown} (not followed)",
                )
            ]
        try:
            os.stat(abs_path)  # resolves the link (inside the root) without opening anything
        except OSError as exc:
            return [
                Finding(
                    "symlink",
                    Severity.WARNING,
                    display,
                    f"dangling symlink -> {shown} ({exc.strerror or exc})",
                )
            ]
        if rel in ROLES:
            return [
                Finding(
                    "symlink",
                    severity,
                    display,
                    f"is a symlink -> {shown}; atomic writes refuse symlinked targets",
                )
            ]
        return [Finding("symlink", Severity.INFO, display, f"symlink -> {shown} (not followed)")]

    def _check_special(self, rel: str, mode: int) -> list[Finding]:
        if stat.S_ISFIFO(mode):
            what = "a FIFO"
        elif stat.S_ISSOCK(mode):
            what = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            what = "a device node"
        else:
            what = "a special file"
        severity = Severity.CRITICAL if ROLES.get(rel) == "critical" else Severity.WARNING
        return [
            Finding(
                "special_file",
                severity,
                display_path(rel),
                f"is {what}, not a regular file (never opened)",
            )
        ]

    def _check_file(
        self,
        rel: str,
        st: os.stat_result,
        now: float,
        cache: dict[str, ContentResult],
        prev: Entry | None,
    ) -> list[Finding] | None:
        slash = rel.rfind("/")
        name = rel[slash + 1 :]
        config = self.config
        if not rel.isascii() and not is_utf8_name(name):
            return [
                Finding(
                    "naming",
                    Severity.WARNING,
                    display_path(rel),
                    "file name is not valid UTF-8 (contents not checked)",
                )
            ]
        if name.endswith(".tmp"):
            self._timed.add(rel)
            age = now - st.st_mtime
            level = config.threshold("temp_leftover_seconds", rel).level_above(age)
            if level is None:
                return None
            return [
                Finding(
                    "temp_leftover",
                    Severity(level),
                    display_path(rel),
                    f"temporary file left by an interrupted write, {_age_text(age)} old",
                )
            ]
        if name[0] == "." and name.endswith(".lock"):
            return None
        out: list[Finding] | None = None
        role = ROLES.get(rel)
        top = rel[:slash].partition("/")[0] if slash > 0 else ""
        content: ContentResult | None = None
        readable = self._access.readable(st)
        if not readable:
            out = [
                Finding(
                    "unreadable",
                    Severity.CRITICAL if role == "critical" else Severity.WARNING,
                    display_path(rel),
                    "permission denied: cannot be read by this user",
                )
            ]
        elif top in JSON_TOPS:
            if name.endswith((".json", ".json.bak")):
                content = self._content_for(rel, st, cache, prev, json=True, role=role)
            elif name.endswith(".parquet") and rel.startswith(HISTORICAL_PREFIX):
                content = self._content_for(rel, st, cache, prev, json=False, role=role)
        if content is not None and content.findings:
            out = list(content.findings)
        sensitive = sensitive_name(name) or (content is not None and content.sensitive_keys)
        expected: int | None = None
        if config.check_modes:
            expected = expected_mode(rel, name, sensitive=sensitive)
            if expected is not None and st.st_mode & 0o777 != expected:
                found = check_mode(
                    display_path(rel),
                    st.st_mode,
                    expected,
                    sensitive=sensitive,
                    is_dir=False,
                    stricter_is_info=config.stricter_is_info,
                )
                if found is not None:
                    out = out or []
                    out.append(found)
        if config.check_owner and (st.st_uid != self._root_uid or st.st_gid != self._root_gid):
            out = out or []
            self._owner(rel, st, out)
        overridden = self._override_re is not None and self._override_re.match(rel) is not None
        size_max = (
            config.threshold("size_max_mb", rel) if overridden else config.thresholds["size_max_mb"]
        )
        if (st.st_size > size_max.warning * MB and size_max.warning > 0) or (
            size_max.critical > 0 and st.st_size > size_max.critical * MB
        ):
            level = size_max.level_above(st.st_size / MB)
            if level is not None and not any(f.code == "size" for f in out or ()):
                out = out or []
                out.append(
                    Finding(
                        "size",
                        Severity(level),
                        display_path(rel),
                        f"{st.st_size / MB:.1f} MB exceeds the {level} limit",
                    )
                )
        if st.st_size == 0 and top == "data" and content is None and not name.endswith(".bak"):
            out = out or []
            out.append(
                Finding(
                    "size",
                    Severity.CRITICAL if role == "critical" else Severity.WARNING,
                    display_path(rel),
                    "zero-byte file",
                )
            )
        if self._stale_default or (overridden and config.has_override("stale_seconds", rel)):
            self._timed.add(rel)
            stale = config.threshold("stale_seconds", rel)
            age = now - st.st_mtime
            level = stale.level_above(age)
            if level is not None:
                out = out or []
                out.append(
                    Finding(
                        "stale",
                        Severity(level),
                        display_path(rel),
                        f"not modified for {_age_text(age)} (limit "
                        f"{_age_text(stale.warning if level == 'warning' else stale.critical)})",
                    )
                )
        if content is not None and content.parquet is not None:
            self._timed.add(rel)
            found = stale_candle(content.parquet, display_path(rel), now, config, rel)
            if found is not None:
                out = out or []
                out.append(found)
        if top in LISTED_TOPS or out:
            self._filestats[rel] = FileStat(
                path=display_path(rel),
                size=st.st_size,
                mtime=st.st_mtime,
                mode=st.st_mode & 0o7777,
                uid=st.st_uid,
                gid=st.st_gid,
                expected_mode=expected,
                sensitive=sensitive,
                role=role,
                size_delta=None,
                kind=_file_kind(name),
            )
        return out

    def _settle(self, rel: str, st: os.stat_result) -> Entry:
        """What to keep for ``rel`` once its checks ran (``state.Entry``).

        The full ``lstat`` stays only where a later step reads it without a new
        ``lstat``: non-regular entries, role files and ``KEEP_DATA`` files (the
        report's aggregates), time-dependent files (re-evaluated by ``update``).
        Other regular files keep their content key; a clean content result is
        dropped from the cache and the entry (a ``CleanFile``) stands for it.
        """
        if not _S_ISREG(st.st_mode) or rel in ROLES or rel in KEEP_DATA or rel in self._timed:
            return st
        content = self._content.get(rel)
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        # tuple.__new__: the NamedTuple's own __new__ is a Python-level call (hot path)
        if content is not None and is_clean(content):
            del self._content[rel]
            return _new_tuple(CleanFile, key)
        return _new_tuple(FileKey, key)

    def _content_for(
        self,
        rel: str,
        st: os.stat_result,
        cache: dict[str, ContentResult],
        prev: Entry | None,
        *,
        json: bool,
        role: str | None,
    ) -> ContentResult:
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        cached = cache.get(rel)
        if cached is None and isinstance(prev, CleanFile) and prev == key:
            cached = clean_result(key)  # checked clean before and unchanged since
        if cached is not None and cached.key == key:
            if self._verdicts is not None:
                self._verdicts.keep(rel, st)
        else:
            cached = self._judge(rel, st, key, json=json, role=role)
        self._content[rel] = cached
        return cached

    def _judge(
        self, rel: str, st: os.stat_result, key: ContentKey, *, json: bool, role: str | None
    ) -> ContentResult:
        """Read and judge ``rel``, or reuse the verdict kept between processes for it."""
        display = display_path(rel)
        abs_path = f"{self.root}/{rel}"
        limit = min(parse_cap(rel), self._max_json_bytes)
        if json and st.st_size > limit:
            # never parsed: the scan's memory stays bounded whatever the tree holds
            over = over_cap_finding(display, st.st_size, limit, critical=role == "critical")
            return ContentResult(key, (over,), ok=False)
        verdicts = self._verdicts
        if verdicts is not None:
            kept = verdicts.get(rel, st)
            if kept is not None:
                reused = (
                    reuse_json(abs_path, rel, display, kept, st, max_bytes=self._max_json_bytes)
                    if json
                    else reuse_parquet(kept)
                )
                if reused is not None:
                    return reused
        if json:
            severity = Severity.CRITICAL if role == "critical" else Severity.WARNING
            result = check_json(
                abs_path, rel, display, key, severity=severity, max_bytes=self._max_json_bytes
            )
        else:
            result = check_parquet(abs_path, rel, display, key)
        if verdicts is not None:
            verdicts.put(rel, st, result)
        return result

    # ------------------------------------------------------------------ the report

    def _report(self, now: float, started: float) -> HealthReport:
        entries = self._entries
        findings: list[Finding] = []
        for items in self._walk_errors.values():
            findings.extend(items)
        for items in self._findings.values():
            findings.extend(items)
        findings.extend(self._size_findings.values())
        findings.extend(
            f for f in aggregates.existence_findings(entries) if not self._ignored_path(f.path)
        )
        findings.extend(self._ignore.warnings())

        primary_entry = entries.get(layout.PORTFOLIO)
        primary = primary_entry if isinstance(primary_entry, os.stat_result) else None
        status, backup_finding = aggregates.backup_status(
            primary,
            entries.get(aggregates.BACKUP_REL),
            self._content.get(layout.PORTFOLIO),
            self._content.get(aggregates.BACKUP_REL),
        )
        if backup_finding is not None:
            findings.append(backup_finding)

        snapshots, oldest_days = self._snapshots(now, findings)

        by_top = {top: size for top, size in self._bytes.items() if size}
        tree_bytes = sum(by_top.values())
        self._growth.add(now, tree_bytes, self.config.growth_window_seconds)
        disk = disk_summary(
            self.root, tree_bytes, by_top, self._growth.rate(self.config.growth_window_seconds)
        )
        findings.extend(disk_findings(disk, self.config))
        dirs = entries.dirs
        findings.extend(
            growth_findings(
                dirs.get(layout.DATA_DIR),
                dirs.get(layout.PERFORMANCE_DIR),
                dirs.get(layout.LOGS_DIR),
                now,
                self.config.retention.get("decisions", DEFAULT_DECISION_DAYS),
            )
        )
        cloud, cloud_findings = cloud_backup(self.root, now)
        findings.extend(cloud_findings)

        findings.sort(key=lambda f: (-f.severity.rank, f.path, f.code, f.message))
        portfolio_ok = primary is not None and _S_ISREG(primary.st_mode)
        health: dict[str, Any] = {
            "portfolio_file_exists": portfolio_ok,
            "portfolio_file_size": primary.st_size if portfolio_ok and primary else 0,
            "portfolio_last_modified": _iso(primary.st_mtime) if portfolio_ok and primary else None,
            "performance_snapshots_count": snapshots.count if snapshots else 0,
            "disk_usage_mb": round(by_top.get(layout.DATA_DIR, 0) / MB, 3),
            "oldest_snapshot_age_days": oldest_days,
            "backup_status": status,
        }
        assert tuple(health) == HEALTH_KEYS  # noqa: S101 - the contract, kept honest
        parquet = [c.parquet for rel, c in self._content.items() if c.parquet is not None]
        return HealthReport(
            root=self.root,
            checked_at=_iso(now),
            status=Status.from_findings(findings),
            health=health,
            findings=findings,
            files=list(self._filestats.values()),
            snapshots=snapshots,
            parquet=parquet,
            disk=disk,
            scan_seconds=time.perf_counter() - started,
            cloud=cloud,
            backups=count_backups(lambda rel: rel in entries, lambda rel: rel in entries),
            quarantine=self._quarantine.measure(self.root),
        )

    def _snapshots(
        self, now: float, findings: list[Finding]
    ) -> tuple[SnapshotSummary | None, float | None]:
        snap = self._content.get(layout.SNAPSHOTS)
        if snap is None or snap.data is None or layout.SNAPSHOTS not in self._entries:
            return None, None
        perf = self._content.get(layout.PERFORMANCE_CONFIG)
        perf_data = (
            perf.data if perf is not None and layout.PERFORMANCE_CONFIG in self._entries else None
        )
        cache_key = (snap.key, perf.key if perf is not None else None)
        if self._snap_cache is None or self._snap_cache[0] != cache_key:
            self._snap_cache = (
                cache_key,
                aggregates.summarize_snapshots(snap.data, perf_data, self.config),
            )
        summary, times, disorder = self._snap_cache[1]
        tracking = not (isinstance(perf_data, dict) and perf_data.get("tracking_enabled") is False)
        findings.extend(
            aggregates.snapshot_findings(
                summary, times, disorder, now, self.config, tracking_enabled=tracking
            )
        )
        oldest = round((now - times[0]) / 86400, 3) if times else None
        return summary, oldest


def scan(root: str | os.PathLike[str], config: Config | None = None) -> HealthReport:
    """One-shot full scan of ``root``."""
    return HealthScanner(root, config).full_scan()


__all__ = ["KEEP_DATA", "HealthScanner", "scan"]
