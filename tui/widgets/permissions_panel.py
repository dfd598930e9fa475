"""Permissions audit: entries whose mode differs from the policy, and sensitive files."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from core.standard.findings import Finding, Severity
from tui.formatting import fmt_mode, ok_badge, severity_badge, worst
from tui.widgets.base import PanelContext, matches
from tui.widgets.file_table import FileTable, FileTablePanel


class PermissionsPanel(FileTablePanel):
    PANEL_ID = "permissions"
    TITLE = "Permissions"
    NUMBER = 4

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        table = FileTable(id="permissions-table")
        table.add_column("state", key="state", width=6)
        table.add_column("want", key="expected", width=4)
        table.add_column("have", key="actual", width=4)
        table.add_column("secret", key="sensitive", width=6)
        table.add_column("path", key="path")
        yield table

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        modes = tuple((f.path, f.mode, f.expected_mode, f.sensitive) for f in report.files)
        findings = tuple(f for f in report.findings if f.code == "permissions")
        return (modes, findings, ctx.filter, ctx.root_problem)

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
            return
        rows: list[tuple[str, list[Text | str]]] = []
        listed: set[str] = set()
        by_path: dict[str, list[Finding]] = {}
        for finding in report.findings:
            if finding.code == "permissions":
                by_path.setdefault(finding.path, []).append(finding)
        audited = 0
        for stat in report.files:
            if stat.expected_mode is None:
                continue
            audited += 1
            actual = stat.mode & 0o7777
            findings = by_path.get(stat.path, [])
            if actual == stat.expected_mode and not stat.sensitive and not findings:
                continue
            severity = worst(findings)
            state = (
                severity_badge(severity)
                if severity
                else (ok_badge() if actual == stat.expected_mode else severity_badge(Severity.INFO))
            )
            secret = (
                Text("yes", style="bold magenta") if stat.sensitive else Text("no", style="dim")
            )
            have = Text(
                fmt_mode(actual), style="" if actual == stat.expected_mode else "bold reverse"
            )
            cells: list[Text | str] = [
                state,
                fmt_mode(stat.expected_mode),
                have,
                secret,
                stat.path.removeprefix("data/"),
            ]
            listed.add(stat.path)
            if matches(ctx.filter, stat.path, "sensitive" if stat.sensitive else ""):
                rows.append((stat.path, cells))
        for path, findings in sorted(by_path.items()):  # directories, owners...
            if path in listed:
                continue
            severity = worst(findings) or Severity.INFO
            message = findings[0].message
            if matches(ctx.filter, path, message):
                rows.append((path, [severity_badge(severity), "", "", "", f"{path}: {message}"]))
        self.query_one(FileTable).replace_rows(rows)
        self.border_subtitle = f"{audited} audited · {len(rows)} listed"
        if not rows:
            self.set_empty(
                f"No entry matches /{ctx.filter}"
                if ctx.filter
                else f"✔ All {audited} files and the directories match the policy "
                "(dirs 750, JSON 640, logs 644, secrets 600); no sensitive file."
            )
        else:
            self.set_empty(None)
