"""The status bar: overall status with counts, root, host, last scan, watcher state."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from core.findings import Severity, Status
from core.report import HealthReport
from tui.formatting import SEVERITY_STYLE, fmt_age, status_badge


@dataclass(slots=True)
class WatchState:
    """What the header says about the watcher."""

    mode: str = "starting"  # "inotify", "polling", "off", "unavailable", "starting"
    last_event_at: float | None = None  # app clock reading
    rescans: int = 0
    detail: str = ""


class StatusHeader(Widget):
    """Two lines: status + counts + root, then host · last scan · watcher.

    Redrawn every second for the ages, so it repaints itself only (fixed
    height: no relayout of the screen) and only when the text changed.
    """

    def __init__(self, root_label: str, host: str, *, show_timings: bool = True) -> None:
        super().__init__(id="status-header")
        self._text = Text("")
        self.root_label = root_label
        self.host = host
        self.show_timings = show_timings

    def show(
        self,
        report: HealthReport | None,
        *,
        now: float,
        scanned_at: float | None,
        scan_seconds: float | None,
        watch: WatchState,
        filter_text: str,
        read_only: bool,
        error: str | None = None,
    ) -> None:
        line = Text()
        if report is None:
            line.append_text(status_badge(Status.UNKNOWN))
            if error:
                line.append(f"  scan failed: {error}"[:70], style="bold red")
            else:
                line.append("  scanning…", style="dim")
        else:
            line.append_text(status_badge(report.status))
            counts = report.counts()
            for severity in (Severity.CRITICAL, Severity.WARNING, Severity.INFO):
                style = SEVERITY_STYLE[severity] if counts[severity.value] else "dim"
                line.append(
                    f"  {severity.symbol} {counts[severity.value]} {severity.value}", style=style
                )
        line.append("  │ ", style="dim")
        line.append(self.root_label, style="bold")
        if read_only:
            line.append("  [read-only]", style="dim")
        if filter_text:
            line.append("  filter ", style="dim")
            line.append(f"/{filter_text}", style="bold reverse")
        line.append("\n")
        line.append(self.host, style="bold")
        line.append(" │ scan ", style="dim")
        if scanned_at is None:
            line.append("—")
        else:
            from datetime import UTC, datetime

            stamp = datetime.fromtimestamp(scanned_at, UTC).strftime("%H:%M:%S")
            line.append(f"{stamp}Z")
            if scan_seconds is not None and self.show_timings:
                line.append(f" {scan_seconds * 1000:.0f}ms", style="dim")
        line.append(" │ ", style="dim")
        mode_style = {"inotify": "green", "polling": "yellow"}.get(watch.mode, "red")
        if watch.mode not in {"inotify", "polling"}:
            line.append("watch ", style="dim")
        line.append(watch.mode, style=mode_style)
        if watch.last_event_at is not None:
            line.append(f" · event {fmt_age(now - watch.last_event_at)} ago")
        line.append(f" · rescans {watch.rescans}", style="bold yellow" if watch.rescans else "")
        if line.plain != self._text.plain or line.spans != self._text.spans:
            self._text = line
            self.refresh()

    def render(self) -> Text:
        return self._text
