# str paths on purpose: the scan is hot, and Path objects cost.
"""The health scan's walk: ``scandir`` below a directory, ordinary files decided inline.

:class:`TreeWalk` lists every directory once (never following symlinks) and
stats every entry. The common case — an ordinary regular file with the policy's
mode and the root's owner, outside data/, logs/ and dashboard/ — is kept as just
its size without a method call per file; names are screened in bulk (one regex
over a directory's joined names). Everything else goes through
:meth:`~core.health.scan_entry.EntryChecks._evaluate`. This keeps a full scan
close to the cost of a bare walk (``bench/scan.py``).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from typing import Final

from core.health.scan_base import LISTED_TOPS, MB
from core.health.scan_entry import EntryChecks
from core.health.state import ContentResult, Entry, EntryMap, entry_ino, entry_size
from core.health.walk import os_error_finding
from core.standard.findings import Finding
from core.standard.policy import is_sensitive_name
from core.text.sanitize import is_sensitive_filename

_S_ISREG = stat.S_ISREG
_SLOW_SUFFIXES: Final = (".json", ".bak", ".parquet", ".tmp", ".lock")
_LOG_SUFFIXES: Final = (".log", ".txt")
#: Looked for in a directory's "\n"-joined names (substring search runs at C speed).
_SUSPECT_ENDINGS: Final = tuple(f"{suffix}\n" for suffix in _SLOW_SUFFIXES)
#: The whole names (lines of the joined names) that are hidden or end with a slow suffix.
_SUSPECT_LINES: Final = re.compile(
    r"^(?:\.[^\n]*|[^\n]*(?:" + "|".join(re.escape(x) for x in _SLOW_SUFFIXES) + r"))$",
    re.MULTILINE,
)


class TreeWalk(EntryChecks):
    """The walk of a full scan and of a subtree that appeared (see the module docstring)."""

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
                or is_sensitive_filename(joined)
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
                        or is_sensitive_name(name)
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


__all__ = ["TreeWalk"]
