"""Disk & backups: filesystem headroom, growth, sizes by kind, the quarantine apart, the last
cloud sync, and an ncdu-style drill-down (Enter descends, Backspace goes up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Static

from core.health.report import CloudBackup, DiskSummary, FileStat
from core.standard import layout
from core.text.sanitize import sanitize_text
from core.text.textsafe import escape_controls
from tui.formatting import (
    CloudView,
    cloud_view,
    fmt_bytes,
    fmt_duration,
    fmt_utc,
    severity_badge,
    worst,
)
from tui.literal import literal
from tui.messages import OpenDetail
from tui.widgets.base import Panel, PanelContext
from tui.widgets.table import Table

BAR_WIDTH = 16
MAX_DIRS = 8
ERROR_MAX = 240  # characters of the last sync error shown (the status file keeps it whole)
#: Shown, dim, when the tree has no ``[cloud]`` table.
CLOUD_HINT = 'off — set [cloud] bucket = "…" in botstore.toml, run botstore sync'


def _bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "█" * filled + "░" * (width - filled)


def disk_text(disk: DiskSummary, findings_text: Text | None, max_dirs: int = MAX_DIRS) -> Text:
    text = Text()
    if findings_text is not None:
        text.append_text(findings_text)
        text.append("\n")
    used = disk.fs_total - disk.fs_free
    fraction = used / disk.fs_total if disk.fs_total else 0.0
    free_pct = 100.0 * disk.fs_free / disk.fs_total if disk.fs_total else 0.0
    style = "red" if free_pct < 5 else "yellow" if free_pct < 15 else "green"
    text.append("filesystem ", style="dim")
    text.append(_bar(fraction), style=style)
    text.append(f" {fmt_bytes(disk.fs_free)} free ({free_pct:.0f} %)\n")
    text.append("tree       ", style="dim")
    text.append(f"{fmt_bytes(disk.tree_bytes)}", style="bold")
    text.append("   growth ", style="dim")
    if disk.growth_bytes_per_s is None:
        text.append("measuring…", style="dim")
    else:
        text.append(f"{fmt_bytes(disk.growth_bytes_per_s * 3600)}/h")
    text.append("   full in ", style="dim")
    text.append(fmt_duration(disk.time_to_full_s) if disk.time_to_full_s is not None else "—")
    total = max(disk.tree_bytes, 1)
    for name, size in sorted(disk.by_top_dir.items(), key=lambda kv: -kv[1])[:max_dirs]:
        label = "(top)" if name in {".", ""} else escape_controls(name)  # a name from the tree
        text.append(f"\n{label[:10]:<10} ", style="dim")
        text.append(_bar(size / total, 12), style="cyan")
        text.append(f" {fmt_bytes(size):>10}")
    return text


def cloud_text(cloud: CloudBackup | None, view: CloudView | None) -> Text:
    """The backups block: bucket, last success with lag, last attempt and result, the error."""
    text = Text()
    if cloud is None or view is None:
        text.append("cloud      ", style="dim")
        text.append(CLOUD_HINT, style="dim italic")
        return text
    text.append("cloud      ", style="dim")
    text.append(escape_controls(sanitize_text(cloud.bucket or "(no bucket)")), style="bold")
    text.append("\nlast ok    ", style="dim")
    text.append(fmt_utc(cloud.last_success))
    if view.age is not None:
        text.append(" · lag ", style="dim")
        text.append(view.age, style="bold yellow" if view.late else "")
        if view.late:
            text.append(" ! late", style="bold yellow")
    text.append("\nattempt    ", style="dim")
    text.append(fmt_utc(cloud.last_attempt))
    text.append("  ")
    if cloud.ok is True:
        text.append("✔ ok", style="green")
    elif cloud.ok is False:
        text.append("✖ failed", style="bold red")
    elif cloud.last_attempt is None:
        text.append("— not run yet (botstore sync)", style="yellow")
    else:
        text.append("? unknown", style="yellow")
    if cloud.ok is False:
        text.append("\nerror      ", style="dim")
        # already sanitized by the scan (sanitize_text is not idempotent: no second pass)
        error = escape_controls(" ".join((cloud.error or "unknown error").split()))
        if len(error) > ERROR_MAX:
            error = error[: ERROR_MAX - 1] + "…"
        text.append(error, style="red")
    return text


@dataclass(frozen=True, slots=True)
class DiskEntry:
    """One row of the drill-down: a directory (its files summed) or a file."""

    name: str
    path: str  # root-relative
    is_dir: bool
    size: int
    files: int


def dir_entries(files: list[FileStat], prefix: str) -> list[DiskEntry]:
    """The children of directory ``prefix`` (``""``: the root), biggest first (ncdu)."""
    base = f"{prefix}/" if prefix else ""
    sizes: dict[str, list[int]] = {}
    dirs: set[str] = set()
    for item in files:
        if not item.path.startswith(base):
            continue
        head, sep, _rest = item.path[len(base) :].partition("/")
        if sep:
            dirs.add(head)
        slot = sizes.setdefault(head, [0, 0])
        slot[0] += item.size
        slot[1] += 1
    entries = [
        DiskEntry(name, base + name, name in dirs, size, count)
        for name, (size, count) in sizes.items()
    ]
    return sorted(entries, key=lambda e: (-e.size, e.name))


def kind_sizes(files: list[FileStat]) -> dict[str, int]:
    """Bytes by file kind (json, parquet, log, backup, other), the quarantine apart."""
    out: dict[str, int] = {}
    for item in files:
        if not in_quarantine(item.path):
            out[item.kind] = out.get(item.kind, 0) + item.size
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def in_quarantine(path: str) -> bool:
    return path == layout.QUARANTINE_DIR or path.startswith(layout.QUARANTINE_DIR + "/")


def kinds_text(files: list[FileStat]) -> Text:
    text = Text("by kind    ", style="dim")
    parts = [f"{kind} {fmt_bytes(size)}" for kind, size in kind_sizes(files).items()]
    text.append(" · ".join(parts) or "—")
    quarantined = [f for f in files if in_quarantine(f.path)]
    text.append("\nquarantine ", style="dim")
    if quarantined:
        text.append(
            f"{fmt_bytes(sum(f.size for f in quarantined))} in {len(quarantined)} "
            f"file(s) under {layout.QUARANTINE_DIR}/"
        )
    else:
        text.append("empty", style="dim")
    return text


class DiskTable(Table):
    """The drill-down: Enter descends into a directory, Backspace goes up."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "descend", "Open dir"),
        Binding("backspace", "ascend", "Up"),
        Binding("s", "cycle_sort", "Sort"),
    ]

    def action_descend(self) -> None:
        self.query_ancestor(DiskPanel).descend()

    def action_ascend(self) -> None:
        self.query_ancestor(DiskPanel).ascend()

    def action_cycle_sort(self) -> None:
        self.query_ancestor(DiskPanel).cycle_sort()


class DiskPanel(Panel):
    PANEL_ID = "disk"
    TITLE = "Disk & backups"
    NUMBER = 5
    SORTS: ClassVar[tuple[str, ...]] = ("size", "name")

    def __init__(self) -> None:
        super().__init__()
        self.cwd = ""  # the drill-down's directory, root-relative ("" = the root)
        self.sort = "size"
        self.entries: list[DiskEntry] = []
        self._files: list[FileStat] = []

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        yield Static("", id="disk-body", classes="body")
        table: DiskTable = DiskTable(id="disk-tree", cursor_type="row", zebra_stripes=True)
        table.add_column("size", key="size", width=10)
        table.add_column("share", key="share", width=14)
        table.add_column("files", key="files", width=6)
        table.add_column("name", key="name")
        yield table

    def focus_target(self) -> Widget:
        return self.query_one(DiskTable)

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        view = cloud_view(report, ctx.now)
        return (
            report.disk,
            tuple(f for f in report.findings if f.code == "disk"),
            report.cloud,
            view,
            ctx.root_problem,
            len(report.files),
            sum(f.size for f in report.files),
        )

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
            return
        if report.disk is None:
            self.set_empty("No disk figures in this scan.")
            return
        self.set_empty(None)
        findings = [f for f in report.findings if f.code == "disk"]
        severity = worst(findings)
        lead = None
        if severity is not None:
            lead = severity_badge(severity)
            lead.append("  ")
            lead.append_text(literal(findings[0].message, style="italic"))
        self._files = list(report.files)
        body = disk_text(report.disk, lead, max_dirs=0)
        body.append("\n")
        body.append_text(kinds_text(self._files))
        body.append("\n")
        body.append_text(cloud_text(report.cloud, cloud_view(report, ctx.now)))
        self.query_one("#disk-body", Static).update(body)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DiskTable)
        entries = dir_entries(self._files, self.cwd)
        if self.sort == "name":
            entries.sort(key=lambda e: e.name)
        self.entries = entries
        total = max(sum(e.size for e in entries), 1)
        previous = table.cursor_row
        table.clear()
        if self.cwd:
            table.add_row("", "", "", Text("..  (Backspace: up)", style="dim"), key="..")
        for entry in entries:
            name = literal(
                entry.name + ("/" if entry.is_dir else ""), style="bold" if entry.is_dir else ""
            )
            if in_quarantine(entry.path):
                name.append("  quarantine", style="italic dim")
            table.add_row(
                fmt_bytes(entry.size),
                Text(
                    _bar(entry.size / total, 10) + f" {100 * entry.size / total:3.0f}%",
                    style="cyan",
                ),
                str(entry.files) if entry.is_dir else "",
                name,
                key=entry.path,
            )
        if 0 <= previous < table.row_count:
            table.move_cursor(row=previous, animate=False)
        where = "/" + self.cwd if self.cwd else "/"
        # a directory name from the tree: a plain string here would be parsed as markup
        self.border_subtitle = literal(f"{where} · {fmt_bytes(sum(e.size for e in entries))}")

    def selected_entry(self) -> DiskEntry | None:
        row = self.query_one(DiskTable).cursor_row - (1 if self.cwd else 0)
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def selected_path(self) -> str | None:
        entry = self.selected_entry()
        return entry.path if entry is not None and not entry.is_dir else None

    def descend(self) -> None:
        if self.cwd and self.query_one(DiskTable).cursor_row == 0:
            self.ascend()
            return
        entry = self.selected_entry()
        if entry is None:
            return
        if entry.is_dir:
            self.cwd = entry.path
            self.query_one(DiskTable).move_cursor(row=0, animate=False)
            self._fill()
        else:
            self.post_message(OpenDetail(entry.path))

    def ascend(self) -> None:
        if not self.cwd:
            return
        left = self.cwd
        self.cwd = self.cwd.rpartition("/")[0]
        self._fill()
        names = [e.path for e in self.entries]
        if left in names:
            self.query_one(DiskTable).move_cursor(
                row=names.index(left) + (1 if self.cwd else 0), animate=False
            )

    def cycle_sort(self) -> None:
        self.sort = self.SORTS[(self.SORTS.index(self.sort) + 1) % len(self.SORTS)]
        self._fill()
