"""What recovery can fall back on: the ``.bak`` files the bot should keep, and the
quarantine's size.

``botstore check`` and ``botstore verify-backups`` count backups the same way:
*expected* are the ``.bak`` of every file the bot writes with a backup that
exists (and of each critical file, always); *found* are those present. The
quarantine's bytes are reported apart from the tree's: a cleanup moves files
there, so the tree only shrinks once they are purged.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable
from typing import Final

from core.health.report import BackupCounts, QuarantineSummary
from core.standard import layout
from core.standard.layout import BACKUP_SUFFIX
from core.standard.times import parse_compact, utc_stamp

#: Files the bot writes with a ``.bak`` (``core.storage.write.write_json(backup=True)``).
BACKED_UP: Final = (layout.PORTFOLIO, layout.PERFORMANCE_CONFIG, layout.SNAPSHOTS)
_STAMP: Final = re.compile(r"(\d{8}T\d{6}Z)")


def expected_backups(exists: Callable[[str], bool]) -> list[str]:
    """The ``.bak`` paths that should exist, given which primaries ``exists``."""
    return [rel + BACKUP_SUFFIX for rel in BACKED_UP if rel in layout.CRITICAL_FILES or exists(rel)]


def count_backups(
    exists: Callable[[str], bool], found: Callable[[str], bool], also_found: list[str] | None = None
) -> BackupCounts:
    """Expected against found (``also_found``: other ``.bak`` files seen, counted in both)."""
    expected = expected_backups(exists)
    missing = [rel for rel in expected if not found(rel)]
    extra = sorted(set(also_found or ()) - set(expected))
    critical = {rel + BACKUP_SUFFIX for rel in layout.CRITICAL_FILES}
    return BackupCounts(
        expected=len(expected) + len(extra),
        found=len(expected) - len(missing) + len(extra),
        missing=missing,
        critical_missing=[rel for rel in missing if rel in critical],
    )


def _entry_bytes(path: str) -> int:
    total = 0
    stack = [path]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                for entry in it:
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(entry.path)
                    elif stat.S_ISREG(st.st_mode):
                        total += st.st_size
        except OSError:
            continue
    return total


class QuarantineMeter:
    """Size of ``data/.quarantine/``; an entry (made once, never changed) is measured
    once, so a scan costs one directory listing."""

    def __init__(self) -> None:
        self._sizes: dict[tuple[str, int], int] = {}

    def measure(self, root: str) -> QuarantineSummary:
        base = f"{root}/{layout.QUARANTINE_DIR}"
        seen: dict[tuple[str, int], int] = {}
        oldest: str | None = None
        count = 0
        try:
            with os.scandir(base) as it:
                entries = list(it)
        except OSError:
            entries = []
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            key = (entry.name, st.st_ino)
            if stat.S_ISDIR(st.st_mode):
                size = self._sizes.get(key)
                seen[key] = _entry_bytes(entry.path) if size is None else size
            elif stat.S_ISREG(st.st_mode):
                seen[key] = st.st_size
            else:
                continue
            match = _STAMP.match(entry.name)
            if match is None:
                continue  # the actions lock, not an entry (its bytes still count)
            count += 1
            if oldest is None or match.group(1) < oldest:
                oldest = match.group(1)
        self._sizes = seen
        when = None if oldest is None else utc_stamp(parse_compact(oldest))
        return QuarantineSummary(bytes=sum(seen.values()), entries=count, oldest=when)


__all__ = ["BACKED_UP", "QuarantineMeter", "count_backups", "expected_backups"]
