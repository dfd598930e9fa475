"""Enter on a file: metadata, validation (failing field path highlighted), content, .bak diff."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from core.standard.findings import Finding
from core.text.textsafe import escape_controls, safe_lines
from tui.detail_model import FileDetail
from tui.driver import Driver, driver_of
from tui.formatting import ok_badge, severity_badge
from tui.literal import literal
from tui.messages import DetailLoaded
from tui.widgets.base import PanelAction

_DIFF_STYLE = {"replace": "on #5f3f00", "delete": "on #5f0000", "insert": "on #005f00"}
MAX_DIFF_ROWS = 400


def metadata_table(detail: FileDetail) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="dim", no_wrap=True)
    table.add_column()
    table.add_row("path", literal(detail.path, style="bold"))
    table.add_row("schema", literal(detail.kind or "—"))
    for key, value in detail.metadata:
        table.add_row(literal(key), literal(value))
    return table


def findings_text(findings: list[Finding]) -> Text:
    """The findings that brought the operator here, as the list shows them (badge, code,
    message), worst first."""
    text = Text()
    if not findings:
        text.append_text(ok_badge())
        text.append(" no finding on this file")
        return text
    for i, finding in enumerate(sorted(findings, key=lambda f: -f.severity.rank)):
        if i:
            text.append("\n")
        text.append_text(severity_badge(finding.severity))
        text.append(f" {escape_controls(finding.code)} ", style="bold")
        text.append(escape_controls(finding.message))  # from the tree: literal, escaped
    return text


def fixes_text(fixes: list[PanelAction], read_only: bool) -> Text:
    """The fixes, best first, with their CLI command."""
    text = Text()
    if not fixes:
        text.append("no action fits this file's findings", style="dim")
        return text
    for i, fix in enumerate(fixes):
        if i:
            text.append("\n")
        text.append(" a " if i == 0 else "   ", style="bold reverse" if i == 0 else "")
        text.append(f" {escape_controls(fix.name)}", style="bold" if i == 0 else "")
        text.append(f"  {escape_controls(fix.description)}", style="dim")
    if read_only:
        text.append("\nread-only: actions are disabled", style="dim italic")
    else:
        text.append("\na previews the first, A lists every action; y applies", style="dim")
    return text


def validation_text(detail: FileDetail) -> Text:
    text = Text()
    if detail.error is not None:
        text.append("✖ ", style="bold")  # the severity is the findings' (above), not ours
        text.append(escape_controls(detail.error))
        if detail.error_line is not None:
            text.append(f"  (line {detail.error_line} highlighted below)", style="dim")
        return text
    if detail.kind is None:
        text.append("i INFO ", style="bold cyan")
        text.append("no schema for this path: shown as read, not validated")
        return text
    if not detail.violations:
        text.append("✔ valid", style="bold green")
        text.append(f" against the {detail.kind} schema")
        return text
    text.append(f"✖ {len(detail.violations)} schema violation(s)\n", style="bold")
    lines = detail.violation_lines + [None] * (len(detail.violations) - len(detail.violation_lines))
    for (field_path, message), line in zip(detail.violations, lines, strict=True):
        text.append("  ")
        text.append(f" {escape_controls(field_path or '(document)')} ", style="bold white on red")
        text.append(f" {escape_controls(message)}")
        if line is not None:
            text.append(f"  (line {line} ❱)", style="dim")
        text.append("\n")
    text.rstrip()
    return text


def content_view(detail: FileDetail) -> RenderableType:
    if detail.pretty is None:
        return Text("(no content to show)", style="dim")
    lexer = "json" if detail.pretty_is_json else "text"
    return Syntax(
        safe_lines(detail.pretty.split("\n")),
        lexer,
        line_numbers=True,
        word_wrap=False,
        highlight_lines=detail.highlight_lines,
        theme="ansi_dark",
        background_color="default",
    )


def diff_view(detail: FileDetail) -> RenderableType:
    if detail.backup_error is not None:
        return literal(f"! WARN no diff: {detail.backup_error}", style="yellow")
    if detail.diff is None:
        return Text("(no .bak to compare)", style="dim")
    table = Table(expand=True, show_lines=False, box=None, padding=(0, 1))
    table.add_column(".bak (previous save)", ratio=1, no_wrap=True, overflow="ellipsis")
    table.add_column("current", ratio=1, no_wrap=True, overflow="ellipsis")
    changed = 0
    for tag, left, right in detail.diff[:MAX_DIFF_ROWS]:
        style = _DIFF_STYLE.get(tag, "")
        changed += tag != "equal"
        marker_l = "-" if tag in ("replace", "delete") else " "
        marker_r = "+" if tag in ("replace", "insert") else " "
        table.add_row(
            literal(f"{marker_l} {left}", style=style), literal(f"{marker_r} {right}", style=style)
        )
    summary = Text(f"{changed} changed line(s); - .bak  + current", style="dim")
    return Group(summary, table)


class DetailScreen(Screen[None]):
    """A full screen for one file; the app loads it in a worker and posts :class:`DetailLoaded`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("r", "reload", "Reload"),
        Binding("a", "fix", "Fix"),
        Binding("A", "actions", "Actions", key_display="A"),
    ]

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.detail: FileDetail | None = None

    @property
    def driver(self) -> Driver:
        return driver_of(self.app)

    def compose(self) -> ComposeResult:
        shown = escape_controls(self.path)
        yield Static(Text.assemble(("detail ", "dim"), (shown, "bold")), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(
                findings_text(self.findings()), id="detail-findings", classes="detail-section"
            )
            yield Static("Loading…", id="detail-meta", classes="detail-section")
            yield Static("", id="detail-validation", classes="detail-section")
            yield Static("", id="detail-diff", classes="detail-section")
            yield Static("", id="detail-content", classes="detail-section")
            yield Static("", id="detail-fixes", classes="detail-section")
        yield Footer()

    def findings(self) -> list[Finding]:
        """The current report's findings on this file (same severity and message as the list)."""
        report = self.driver.report
        return [f for f in report.findings if f.path == self.path] if report is not None else []

    def on_mount(self) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        body.border_title = literal(self.path)
        self.query_one("#detail-findings").border_title = "findings"
        body.focus()  # arrows / pgup / pgdn scroll the view
        self.action_reload()

    def action_reload(self) -> None:
        self.driver.load_detail(self.path, self)

    def action_fix(self) -> None:
        self.driver.action_fix()

    def action_actions(self) -> None:
        self.driver.action_recover()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        detail = message.detail
        self.detail = detail
        self.query_one("#detail-meta", Static).update(metadata_table(detail))
        validation = self.query_one("#detail-validation", Static)
        validation.update(validation_text(detail))
        validation.border_title = "validation"
        diff = self.query_one("#detail-diff", Static)
        if detail.diff is not None or detail.backup_error is not None:
            diff.display = True
            diff.border_title = "portfolio.json vs portfolio.json.bak"
            diff.update(diff_view(detail))
        else:
            diff.display = False
        content = self.query_one("#detail-content", Static)
        content.border_title = "content (sanitized)"
        content.update(content_view(detail))
        if detail.error is not None:  # a broken file: its error line before the .bak diff
            self.query_one("#detail-body", VerticalScroll).move_child(content, before=diff)
        findings = self.query_one("#detail-findings", Static)
        findings.update(findings_text(self.findings()))
        actions = self.driver.actions_for(detail.path)
        fixes = self.query_one("#detail-fixes", Static)
        fixes.border_title = "fix"
        fixes.update(fixes_text(actions, self.driver.read_only))
        mode = "read-only" if self.driver.read_only else "actions"
        names = ", ".join(a.name for a in actions) or "none"
        self.query_one("#detail-body").border_subtitle = literal(f"{mode}: {names}")
