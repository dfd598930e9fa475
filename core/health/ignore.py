"""Which paths the scan skips: the ``ignore`` globs, except that a critical file is never
ignored.

Ignoring ``data/**`` must not turn a present ``data/portfolio.json`` into
"critical file is missing": the critical files and their ``.bak`` are always
walked and checked (the other entries of their directories stay ignored), and
each one an ``ignore`` glob matches gets a warning saying so. An ignored
*expected* file is simply not checked, so its absence is no finding either.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from typing import Final

from core.config import Config
from core.standard import layout
from core.standard.findings import Finding, Severity
from core.standard.layout import BACKUP_SUFFIX

#: Never ignored: the files the standard calls critical, and their backups.
PROTECTED: Final = frozenset(
    [*layout.CRITICAL_FILES, *(rel + BACKUP_SUFFIX for rel in layout.CRITICAL_FILES)]
)


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]


def _combined(patterns: Iterable[str]) -> re.Pattern[str] | None:
    parts = [fnmatch.translate(p) for p in patterns]
    return re.compile("|".join(f"(?:{p})" for p in parts)) if parts else None


class IgnorePolicy:
    """The scan's skip decisions for one :class:`Config`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        #: directories holding a protected file: walked even when a glob ignores them
        self._protected_dirs = frozenset(d for rel in PROTECTED for d in _ancestors(rel))
        self._file_re = _combined(p for p in config.ignore if not p.endswith("/**"))
        #: protected directories a glob ignores: only their protected files are kept
        self._forced = frozenset(
            d
            for d in self._protected_dirs
            if any(config.is_ignored(a, is_dir=True) for a in [*_ancestors(d), d])
        )
        self.active = self._file_re is not None or bool(self._forced)

    def skip_dir(self, rel: str) -> bool:
        return rel not in self._protected_dirs and self.config.is_ignored(rel, is_dir=True)

    def skip_file(self, rel: str) -> bool:
        if rel in PROTECTED:
            return False
        if self._file_re is not None and self._file_re.match(rel) is not None:
            return True
        return rel.rpartition("/")[0] in self._forced

    def ignored_path(self, rel: str) -> bool:
        """True when ``rel`` (a file or directory anywhere) lies in what the scan skips."""
        if rel in PROTECTED or rel in self._protected_dirs:
            return False
        return self.skip_file(rel) or any(self.skip_dir(a) for a in _ancestors(rel))

    def warnings(self) -> list[Finding]:
        """One warning per critical file (or its backup) an ``ignore`` glob would hide."""
        out: list[Finding] = []
        for rel in sorted(PROTECTED):
            hits = [
                p
                for p in self.config.ignore
                if fnmatch.fnmatchcase(rel, p) or any(_glob_covers(p, a) for a in _ancestors(rel))
            ]
            if hits:
                out.append(
                    Finding(
                        "ignored",
                        Severity.WARNING,
                        rel,
                        f"ignore {', '.join(repr(h) for h in hits)} matches a critical file; it "
                        "is checked anyway (remove it from ignore)",
                    )
                )
        return out


def _glob_covers(pattern: str, directory: str) -> bool:
    return any(
        fnmatch.fnmatchcase(form, pattern)
        for form in (directory, directory + "/", directory + "/x")
    )


__all__ = ["PROTECTED", "IgnorePolicy"]
