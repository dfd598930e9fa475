"""Findings grouped for people: many files with the same problem are one line.

A bot writes 1,000 files at 644 where the policy says 640: that is one
problem, not 1,000. :func:`group_findings` folds non-critical findings that
share code, severity and message into a :class:`FindingGroup` (which keeps
every path). Critical findings — a world-readable secret — are never folded:
each stays its own line, at the top. Every face (``check`` text, ``--json``,
metrics, the TUI) reads the groups from here, never by re-parsing text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from core.standard.findings import Finding, Severity

#: Findings that share code, severity and message are grouped from this many on.
GROUP_MIN: Final = 3
#: Paths named in a group's summary line (``e.g. a, b, c``); ``paths`` keeps them all.
EXAMPLES: Final = 3


@dataclass(frozen=True, slots=True)
class FindingGroup:
    """``count`` findings with one code, severity and message (``paths`` sorted)."""

    code: str
    severity: Severity
    message: str
    paths: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.paths)

    @property
    def summary(self) -> str:
        """``1,143 files: file mode 644, policy 640: too permissive — e.g. a, b, c``."""
        shown = ", ".join(self.paths[:EXAMPLES])
        more = ", …" if self.count > EXAMPLES else ""
        noun = "directories" if self.message.startswith("directory") else "files"
        return f"{self.count:,} {noun}: {self.message} — e.g. {shown}{more}"

    def findings(self) -> list[Finding]:
        return [Finding(self.code, self.severity, p, self.message) for p in self.paths]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "count": self.count,
            "summary": self.summary,
            "paths": list(self.paths),
        }


Item = Finding | FindingGroup


def group_findings(
    findings: Iterable[Finding], *, minimum: int = GROUP_MIN, worst_first: bool = True
) -> list[Item]:
    """Findings with the repetitive ones folded; worst first (unless not ``worst_first``:
    a list already sorted by something else), order otherwise kept.

    Critical findings are never grouped. A group takes the place of its first member.
    """
    items = list(findings)
    buckets: dict[tuple[str, Severity, str], list[str]] = {}
    for f in items:
        if f.severity is not Severity.CRITICAL:
            buckets.setdefault((f.code, f.severity, f.message), []).append(f.path)
    out: list[Item] = []
    placed: set[tuple[str, Severity, str]] = set()
    for f in items:
        key = (f.code, f.severity, f.message)
        paths = buckets.get(key)
        if paths is None or len(paths) < minimum:
            out.append(f)
        elif key not in placed:
            placed.add(key)
            out.append(FindingGroup(f.code, f.severity, f.message, tuple(sorted(paths))))
    if worst_first:
        out.sort(key=lambda item: -item.severity.rank)  # stable: keeps the order within
    return out


def groups_only(items: Sequence[Item]) -> list[FindingGroup]:
    return [i for i in items if isinstance(i, FindingGroup)]


__all__ = ["EXAMPLES", "GROUP_MIN", "FindingGroup", "Item", "group_findings", "groups_only"]
