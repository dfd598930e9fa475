"""File age & size alerts: critical and expected files, their age, size and size change."""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual.app import ComposeResult

from core.health.report import FileStat
from core.standard import layout
from tui.formatting import fmt_age, fmt_bytes, fmt_delta, ok_badge, severity_badge, worst
from tui.widgets.base import PanelContext, matches
from tui.widgets.file_table import FileTable, FileTablePanel

AGE_SIZE_CODES: Final = frozenset(
    {
        "missing",
        "stale",
        "size",
        "unreadable",
        "invalid_json",
        "schema",
        "version",
        "backup",
    }
)


def short_path(path: str) -> str:
    """Paths under ``data/`` lose the prefix (the column header says so); others stay whole."""
    return path.removeprefix("data/")


class AlertsPanel(FileTablePanel):
    PANEL_ID = "alerts"
    TITLE = "File age & size"
    NUMBER = 2

    def __init__(self) -> None:
        super().__init__()
        self.shown_sizes: dict[str, int | None] = {}
        self.last_delta: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        table = FileTable(id="alerts-table")
        table.add_column("state", key="state", width=6)
        table.add_column("file (data/…)", key="file")
        table.add_column("age", key="age", width=5)
        table.add_column("size", key="size", width=9)
        table.add_column("Δ size", key="delta", width=9)
        yield table

    def _delta(self, stat: FileStat, before: dict[str, int]) -> int | None:
        """The scanner's size change, else the change since the previous report shown."""
        if stat.size_delta is not None:
            self.last_delta[stat.path] = stat.size_delta
        elif stat.path in before and before[stat.path] != stat.size:
            self.last_delta[stat.path] = stat.size - before[stat.path]
        return self.last_delta.get(stat.path)

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
            return
        stats: dict[str, FileStat] = {f.path: f for f in report.files}
        before = {f.path: f.size for f in ctx.previous.files} if ctx.previous else {}
        roles = dict.fromkeys(layout.CRITICAL_FILES, "critical")
        roles.update(dict.fromkeys(layout.EXPECTED_FILES, "expected"))
        for seen in report.files:
            if seen.role is not None:
                roles.setdefault(seen.path, seen.role)
        flagged = {f.path for f in report.findings if f.code in AGE_SIZE_CODES and f.path in stats}
        paths = list(roles) + sorted(flagged - set(roles))
        rows: list[tuple[str, list[Text | str]]] = []
        sizes: dict[str, int | None] = {}
        for path in paths:
            findings = [f for f in ctx.findings_for(path) if f.code in AGE_SIZE_CODES]
            stat = stats.get(path)
            role = roles.get(path, "")
            severity = worst(findings)
            state = severity_badge(severity) if severity is not None else ok_badge()
            label = Text(short_path(path), style="bold" if role == "critical" else "")
            if stat is None:
                cells: list[Text | str] = [state, label, "—", Text("missing", style="bold"), "—"]
                sizes[path] = None
            else:
                cells = [
                    state,
                    label,
                    fmt_age(ctx.now - stat.mtime),
                    fmt_bytes(stat.size),
                    fmt_delta(self._delta(stat, before)),
                ]
                sizes[path] = stat.size
            if matches(ctx.filter, path, role, severity.value if severity else "ok"):
                rows.append((path, cells))
        self.query_one(FileTable).replace_rows(rows)
        self.shown_sizes = sizes
        problems = sum(
            1 for p in paths if [f for f in ctx.findings_for(p) if f.code in AGE_SIZE_CODES]
        )
        self.border_subtitle = f"{len(paths)} files · {problems} alerting"
        if not report.files:
            self.border_subtitle = "empty tree: every standard file is missing"
        if not rows:
            self.set_empty(f"No file matches /{ctx.filter}")
        else:
            self.set_empty(None)
