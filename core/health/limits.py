"""How much of a file the scan will parse: per-kind caps that keep its memory bounded.

Parsing JSON costs several times the file's size in memory (a 100 MB array of
small objects is over 1 GB of Python objects), so the scan never parses a file
larger than the cap for its kind; such a file is itself a ``size`` finding (the
bot's own files are kilobytes). The one file that legitimately grows large is
the snapshots history (about 6 MB per year of hourly snapshots; the default
retention keeps one year): its gate is sized for ten years of hourly history
(59 MB parses in about 2 s at a 370 MB peak); beyond it the file is a ``size``
finding too.
"""

from __future__ import annotations

from typing import Final

from core.standard import layout
from core.standard.findings import Finding, Severity

MB: Final = 1024 * 1024
#: Every JSON file the scan parses (portfolio, cache, performance, dashboard, reports).
DEFAULT_PARSE_CAP: Final = 16 * MB
#: The snapshots history (and its backup).
SNAPSHOTS_PARSE_CAP: Final = 64 * MB
_BY_PATH: Final = {
    layout.SNAPSHOTS: SNAPSHOTS_PARSE_CAP,
    layout.SNAPSHOTS + layout.BACKUP_SUFFIX: SNAPSHOTS_PARSE_CAP,
}


def parse_cap(rel: str) -> int:
    """The largest ``rel`` (root-relative) the scan parses, in bytes."""
    return _BY_PATH.get(rel, DEFAULT_PARSE_CAP)


def over_cap_finding(display: str, size: int, cap: int, *, critical: bool) -> Finding:
    """The ``size`` finding for a file too large to parse (its contents are not checked)."""
    return Finding(
        "size",
        Severity.CRITICAL if critical else Severity.WARNING,
        display,
        f"{size / MB:.1f} MB is over the {cap // MB} MB this kind of file may have: "
        "not parsed, contents not checked",
    )


__all__ = ["DEFAULT_PARSE_CAP", "SNAPSHOTS_PARSE_CAP", "over_cap_finding", "parse_cap"]
