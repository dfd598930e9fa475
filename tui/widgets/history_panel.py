"""Historical data: one row per Parquet file, from its footer only."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult

from core.standard.findings import Severity
from tui.formatting import fmt_age, ok_badge, severity_badge, worst
from tui.widgets.base import PanelContext, matches
from tui.widgets.file_table import FileTable, FileTablePanel


class HistoryPanel(FileTablePanel):
    PANEL_ID = "history"
    TITLE = "Historical data"
    NUMBER = 6

    def compose(self) -> ComposeResult:
        yield self.empty_message()
        table = FileTable(id="history-table")
        table.add_column("state", key="state", width=6)
        table.add_column("series", key="series")
        table.add_column("rows", key="rows", width=7)
        table.add_column("from", key="from", width=10)
        table.add_column("to", key="to", width=11)
        table.add_column("last", key="last", width=5)
        table.add_column("gaps", key="gaps", width=5)
        yield table

    def signature(self, ctx: PanelContext) -> object:
        report = ctx.report
        if report is None:
            return ("none", ctx.root_problem)
        paths = {p.path for p in report.parquet}
        findings = tuple(f for f in report.findings if f.path in paths)
        return (tuple(report.parquet), findings, ctx.filter, ctx.root_problem)

    def render_context(self, ctx: PanelContext) -> None:
        report = self.report_or_empty(ctx)
        if report is None:
            return
        if not report.parquet:
            self.query_one(FileTable).replace_rows([])
            self.set_empty(
                "No Parquet files in data/historical/ "
                "(expected {ASSET}-{BASE}_{granularity}_{period}.parquet)."
            )
            self.border_subtitle = "0 files"
            return
        rows: list[tuple[str, list[Text | str]]] = []
        for item in sorted(report.parquet, key=lambda p: p.path):
            findings = ctx.findings_for(item.path)
            severity = worst(findings)
            if item.error and severity is None:
                severity = Severity.WARNING
            state = severity_badge(severity) if severity else ok_badge()
            if item.asset:
                series = f"{item.asset}-{item.base} {item.granularity} {item.period}"
            else:
                series = item.path.rsplit("/", 1)[-1]
            if item.error:
                series += f" ({item.error[:30]})"
            gaps = item.gaps or 0
            cells: list[Text | str] = [
                state,
                series,
                "—" if item.rows is None else f"{item.rows:,}",
                (item.start or "—")[:10],
                (item.end or "—")[5:16].replace("T", " ") or "—",
                fmt_age(item.last_candle_age_s),
                Text(str(gaps), style="bold yellow") if gaps else Text("0", style="dim"),
            ]
            if matches(ctx.filter, item.path, series):
                rows.append((item.path, cells))
        self.query_one(FileTable).replace_rows(rows)
        self.border_subtitle = f"{len(report.parquet)} files"
        self.set_empty(None if rows else f"No series matches /{ctx.filter}")
