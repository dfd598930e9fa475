"""Storage health: the standard's seven figures and the sortable, filterable finding list."""

from __future__ import annotations

from typing import ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static

from core.actions import catalog
from core.actions.catalog import Fix
from core.health.grouping import FindingGroup, group_findings
from core.standard.findings import HEALTH_KEYS, Finding
from tui.formatting import fmt_value, severity_badge
from tui.literal import literal
from tui.messages import OpenDetail
from tui.widgets.base import Panel, PanelContext, matches
from tui.widgets.table import Table

MAX_ROWS: Final = 500
SORT_KEYS: Final = ("severity", "path", "code", "message")
_LABELS: Final = {
    "portfolio_file_exists": "portfolio exists",
    "portfolio_file_size": "portfolio size",
    "portfolio_last_modified": "portfolio modified",
    "performance_snapshots_count": "snapshots",
    "disk_usage_mb": "disk usage",
    "oldest_snapshot_age_days": "oldest snapshot",
    "backup_status": "backup",
}


def sort_findings(findings: list[Finding], key: str, reverse: bool) -> list[Finding]:
    """Severity sorts worst-first by default; the others alphabetically (ties by path)."""
    if key == "severity":
        ordered = sorted(findings, key=lambda f: (-f.severity.rank, f.path, f.code))
    elif key == "path":
        ordered = sorted(findings, key=lambda f: (f.path, -f.severity.rank))
    elif key == "code":
        ordered = sorted(findings, key=lambda f: (f.code, -f.severity.rank, f.path))
    else:
        ordered = sorted(findings, key=lambda f: (f.message, f.path))
    return ordered[::-1] if reverse else ordered


class FindingsTable(Table):
    """The finding list; Enter opens the detail view of the row's file."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "cycle_sort", "Sort", tooltip="cycle the sort column"),
    ]

    def action_cycle_sort(self) -> None:
        panel = self.query_ancestor(HealthPanel)
        panel.cycle_sort()


class HealthPanel(Panel):
    PANEL_ID = "health"
    TITLE = "Storage health"
    NUMBER = 1

    def __init__(self) -> None:
        super().__init__()
        self.sort_key = "severity"
        self.sort_reverse = False
        self._ctx: PanelContext | None = None
        self.shown: list[Finding] = []  # one per row: the finding, or a group's first one
        self.row_groups: list[FindingGroup | None] = []  # the group a row stands for
        self._fixes: dict[Finding, Fix | None] = {}
        self._group_fixes: dict[FindingGroup, Fix | None] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="health-figures")
        yield self.empty_message()
        table: FindingsTable = FindingsTable(id="findings", cursor_type="row", zebra_stripes=True)
        table.add_column("sev", key="severity", width=6)
        table.add_column("code", key="code", width=12)
        table.add_column("path", key="path")
        table.add_column("message", key="message")
        yield table
        yield Static("", id="finding-detail", classes="body")

    def focus_target(self) -> Widget:
        return self.query_one(FindingsTable)

    def cycle_sort(self) -> None:
        index = SORT_KEYS.index(self.sort_key)
        self.sort_key = SORT_KEYS[(index + 1) % len(SORT_KEYS)]
        self.sort_reverse = False
        if self._ctx is not None:
            self.refresh_from(self._ctx, force=True)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_key, self.sort_reverse = key, False
        if self._ctx is not None:
            self.refresh_from(self._ctx, force=True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        path = self.selected_path()
        if path is not None:
            self.post_message(OpenDetail(path))

    def on_resize(self) -> None:
        if self._ctx is not None:
            self.refresh_from(self._ctx)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_selected()

    def _show_selected(self) -> None:
        """The highlighted finding in full under the table (the message column is often cut)."""
        table = self.query_one(FindingsTable)
        line = self.query_one("#finding-detail", Static)
        row = table.cursor_row
        if not self.shown or not 0 <= row < len(self.shown):
            line.update("")
            return
        finding = self.shown[row]
        group = self.row_groups[row] if row < len(self.row_groups) else None
        text = Text()
        fix = self.group_fix(group) if group is not None else self.best_fix(finding)
        if fix is not None:  # every piece from the tree escaped on its own (the \n is ours)
            text.append(" a ", style="bold reverse")
            text.append_text(literal(f" fix: {fix.label}", style="bold"))
            text.append_text(literal(f"  ({fix.command})", style="dim"))
            text.append("\n")
        text.append_text(severity_badge(finding.severity))
        text.append_text(literal(f" {finding.code} ", style="bold"))
        if group is not None:  # one row for many alike findings; --json lists every path
            text.append_text(literal(group.summary))
            text.append("  ⏎ detail of the first", style="dim")
        else:
            text.append_text(literal(finding.path, style="underline"))
            text.append_text(literal(f": {finding.message}"))
            text.append("  ⏎ detail", style="dim")
        line.update(text)

    def group_fix(self, group: FindingGroup) -> Fix | None:
        """The catalog's fix for every path of ``group`` (cached per scan)."""
        if group not in self._group_fixes:
            root = getattr(self.app, "root", None)
            engine = getattr(self.app, "engine", None)
            config = getattr(engine, "config", None)
            self._group_fixes[group] = (
                None if root is None else catalog.group_fix(root, group, config)
            )
        return self._group_fixes[group]

    def selected_group_fix(self) -> Fix | None:
        table = self.query_one(FindingsTable)
        row = table.cursor_row
        if not 0 <= row < len(self.row_groups):
            return None
        group = self.row_groups[row]
        return None if group is None else self.group_fix(group)

    def best_fix(self, finding: Finding) -> Fix | None:
        """The catalog's best fix for ``finding`` (cached per finding and scan)."""
        if finding not in self._fixes:
            root = getattr(self.app, "root", None)
            self._fixes[finding] = None if root is None else catalog.best_fix(root, finding)
        return self._fixes[finding]

    def selected_finding(self) -> Finding | None:
        table = self.query_one(FindingsTable)
        if not self.shown or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def selected_path(self) -> str | None:
        table = self.query_one(FindingsTable)
        if not self.shown or table.cursor_row < 0 or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row].path

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        return (
            tuple(report.findings),
            repr(report.health),
            ctx.filter,
            self.sort_key,
            self.sort_reverse,
            ctx.root_problem,
            self.content_size.width,
        )

    def _figures(self, ctx: PanelContext) -> Text:
        """The seven figures, in two columns where they fit (one in a half-width panel)."""
        text = Text()
        width = self.content_size.width
        two_columns = width == 0 or width >= 2 * (19 + 14)
        value_width = 22 if width == 0 else max(14, min(22, width // 2 - 19))
        health = ctx.report.health if ctx.report else {}
        for i, key in enumerate(HEALTH_KEYS):
            value = health.get(key)
            shown = fmt_value(value)
            if key == "portfolio_file_size" and isinstance(value, int):
                shown = f"{value} B"
            if key == "portfolio_last_modified" and isinstance(value, str):
                shown = value.replace("T", " ")[:19] + ("Z" if value.endswith("Z") else "")
            if key == "disk_usage_mb" and isinstance(value, int | float):
                shown = f"{value:.2f} MB"
            if key == "oldest_snapshot_age_days" and isinstance(value, int | float):
                shown = f"{value:.1f} days"
            style = (
                "bold red" if value is False or value in ("missing", "invalid", "corrupt") else ""
            )
            cell = Text.assemble(
                (f"{_LABELS[key]:>18} ", "dim"), (f"{shown:<{value_width}}", style)
            )
            text.append_text(cell)
            if (i % 2 == 1 or not two_columns) and i != len(HEALTH_KEYS) - 1:
                text.append("\n")
        return text

    def render_context(self, ctx: PanelContext) -> None:
        self._ctx = ctx
        self._fixes = {}
        self._group_fixes = {}
        self.query_one("#health-figures", Static).update(self._figures(ctx))
        table = self.query_one(FindingsTable)
        if ctx.report is None:
            self.set_empty("Scanning…")
            return
        findings = [
            f
            for f in ctx.report.findings
            if matches(ctx.filter, f.severity.value, f.code, f.path, f.message)
        ]
        ordered = sort_findings(findings, self.sort_key, self.sort_reverse)
        previous = self.selected_path()
        # alike findings (same code, severity, message; never critical) fold into one row
        rows = group_findings(ordered, worst_first=False)[:MAX_ROWS]  # the chosen sort kept
        first: dict[tuple[str, str, str], Finding] = {}
        for f in ordered:  # a group's row shows (and opens) its first member in this order
            first.setdefault((f.code, f.severity.value, f.message), f)
        self.row_groups = [item if isinstance(item, FindingGroup) else None for item in rows]
        self.shown = [
            first[(item.code, item.severity.value, item.message)]
            if isinstance(item, FindingGroup)
            else item
            for item in rows
        ]
        arrow = "▼" if not self.sort_reverse else "▲"
        total = len(ctx.report.findings)
        self.border_subtitle = (
            f"{len(findings)}/{total} findings · sort {self.sort_key} {arrow}"
            if ctx.filter
            else f"{total} findings · sort {self.sort_key} {arrow}"
        )
        table.clear()
        for i, (finding, group) in enumerate(zip(self.shown, self.row_groups, strict=True)):
            where = finding.path if group is None else (f"{group.count:,} files: {finding.path}, …")
            table.add_row(
                severity_badge(finding.severity),
                literal(finding.code),
                literal(where, no_wrap=True, overflow="ellipsis"),
                literal(finding.message, no_wrap=True, overflow="ellipsis"),
                key=f"{i}:{finding.code}:{finding.path}",
            )
        left = len(ordered) - sum(1 if g is None else g.count for g in self.row_groups)
        if left > 0:
            table.add_row("…", "", f"{left} more", "narrow with /filter")
        if not findings:
            if ctx.filter:
                self.set_empty(f"No finding matches /{ctx.filter} (Esc clears the filter)")
            else:
                self.set_empty("✔ No findings: every check passed.")
        else:
            self.set_empty(None)
        if previous is not None:
            for i, finding in enumerate(self.shown):
                if finding.path == previous:
                    table.move_cursor(row=i, animate=False)
                    break
        self._show_selected()
