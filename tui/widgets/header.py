"""The status bar: overall status with counts, root, host, last scan, watcher, cloud backup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.widget import Widget

from core.health.report import HealthReport
from core.standard.findings import Severity, Status
from core.text.textsafe import escape_controls
from tui.formatting import SEVERITY_STYLE, cloud_view, fmt_age, status_badge


@dataclass(slots=True)
class WatchState:
    """What the header says about the watcher."""

    mode: str = "starting"  # "inotify", "polling", "off", "unavailable", "starting"
    last_event_at: float | None = None  # app clock reading
    rescans: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class _Shown:
    """The arguments of the last :meth:`StatusHeader.show` (redrawn on resize)."""

    report: HealthReport | None
    now: float
    scanned_at: float | None
    scan_seconds: float | None
    watch: WatchState
    filter_text: str
    read_only: bool
    error: str | None


#: Optional pieces shortened or dropped, in this order, when a line is wider than the header.
_DROP_ORDER = ("timing", "rescans", "info", "event", "scan-label")
_MIN_SQUEEZED = 8  # a squeezed host or root label keeps at least this many cells


@dataclass(frozen=True, slots=True)
class _Part:
    """A piece of a header line.

    ``name``d pieces are replaced by ``short`` (or dropped) to make room; a
    ``squeeze`` piece (host, root label) is then cut with an ellipsis, so the
    pieces after it (the cloud segment, the filter) stay visible.
    """

    text: Text
    name: str | None = None
    short: Text | None = None
    squeeze: bool = False


def _fit(parts: list[_Part], width: int) -> Text:
    """Join ``parts`` into one line of at most ``width`` cells (0: no limit)."""
    texts = [part.text for part in parts]

    def excess() -> int:
        return sum(t.cell_len for t in texts) - width if width > 0 else 0

    for name in _DROP_ORDER:
        if excess() <= 0:
            break
        for index, part in enumerate(parts):
            if part.name == name:
                texts[index] = part.short if part.short is not None else Text("")
    for index, part in enumerate(parts):
        over = excess()
        if over > 0 and part.squeeze:
            keep = max(_MIN_SQUEEZED, part.text.cell_len - over)
            if keep < part.text.cell_len:
                texts[index] = part.text.copy()
                texts[index].truncate(keep, overflow="ellipsis")
    line = Text()
    for text in texts:
        line.append_text(text)
    return _crop(line, width)


def _crop(line: Text, width: int) -> Text:
    if width > 0 and line.cell_len > width:
        line.truncate(width, overflow="ellipsis")
    return line


class StatusHeader(Widget):
    """Two lines: status + counts + root, then host · last scan · watcher · cloud backup.

    Redrawn every second for the ages, so it repaints itself only (fixed
    height: no relayout of the screen) and only when the text changed. Each
    line is fitted to the width: optional pieces go first (scan timing, a zero
    rescan count, a zero info count, the last event's age, the word "scan"),
    then the host or root label is shortened with an ellipsis, so the cloud
    segment and the filter stay visible and nothing wraps into the line below.
    """

    def __init__(self, root_label: str, host: str, *, show_timings: bool = True) -> None:
        super().__init__(id="status-header")
        self._text = Text("")
        self._shown: _Shown | None = None
        self.root_label = escape_controls(root_label)  # a path: may hold anything
        self.host = escape_controls(host)
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
        self._shown = _Shown(
            report, now, scanned_at, scan_seconds, watch, filter_text, read_only, error
        )
        self._redraw()

    def on_resize(self, event: events.Resize) -> None:
        del event
        self._redraw()

    def _redraw(self) -> None:
        if self._shown is None:
            return
        line = self._build(self._shown, self.size.width)
        if line.plain != self._text.plain or line.spans != self._text.spans:
            self._text = line
            self.refresh()

    def _build(self, shown: _Shown, width: int) -> Text:
        """Both lines for a content ``width`` (0: not laid out yet, no fitting)."""
        line = self._first_line(shown, width)
        line.append("\n")
        line.append_text(self._second_line(shown, width))
        return line

    def _first_line(self, shown: _Shown, width: int) -> Text:
        report = shown.report
        parts: list[_Part] = []
        if report is None:
            lead = Text.assemble(status_badge(Status.UNKNOWN))  # the badge's style stays its own
            if shown.error:
                lead.append(f"  scan failed: {shown.error}"[:70], style="bold red")
            else:
                lead.append("  scanning…", style="dim")
            parts.append(_Part(lead))
        else:
            parts.append(_Part(status_badge(report.status)))
            counts = report.counts()
            for severity in (Severity.CRITICAL, Severity.WARNING, Severity.INFO):
                count = counts[severity.value]
                style = SEVERITY_STYLE[severity] if count else "dim"
                text = Text(f"  {severity.symbol} {count} {severity.value}", style=style)
                droppable = severity is Severity.INFO and not count
                parts.append(_Part(text, "info" if droppable else None))
        parts.append(_Part(Text("  │ ", style="dim")))
        parts.append(_Part(Text(self.root_label, style="bold"), squeeze=True))
        if shown.read_only:
            parts.append(_Part(Text("  [read-only]", style="dim")))
        if shown.filter_text:
            parts.append(_Part(Text("  filter ", style="dim")))
            parts.append(_Part(Text(f"/{shown.filter_text}", style="bold reverse")))
        return _fit(parts, width)

    def _second_line(self, shown: _Shown, width: int) -> Text:
        watch = shown.watch
        parts = [
            _Part(Text(self.host, style="bold"), squeeze=True),
            _Part(Text(" │ scan ", style="dim"), "scan-label", Text(" │ ", style="dim")),
        ]
        if shown.scanned_at is None:
            parts.append(_Part(Text("—")))
        else:
            stamp = datetime.fromtimestamp(shown.scanned_at, UTC).strftime("%H:%M:%S")
            parts.append(_Part(Text(f"{stamp}Z")))
            if shown.scan_seconds is not None and self.show_timings:
                timing = Text(f" {shown.scan_seconds * 1000:.0f}ms", style="dim")
                parts.append(_Part(timing, "timing"))
        watching = Text.assemble((" │ ", "dim"))  # a span, not a base style: "off" stays red
        mode_style = {"inotify": "green", "polling": "yellow"}.get(watch.mode, "red")
        if watch.mode not in {"inotify", "polling"}:
            watching.append("watch ", style="dim")
        watching.append(watch.mode, style=mode_style)
        parts.append(_Part(watching))
        if watch.last_event_at is not None:
            event_age = fmt_age(shown.now - watch.last_event_at)
            parts.append(_Part(Text(f" · event {event_age} ago"), "event"))
        rescans = Text(f" · rescans {watch.rescans}", style="bold yellow" if watch.rescans else "")
        parts.append(_Part(rescans, None if watch.rescans else "rescans"))
        view = None if shown.report is None else cloud_view(shown.report, shown.now)
        if view is not None:
            cloud = Text.assemble((" │ ", "dim"))
            cloud.append(view.segment(), style=view.style)
            parts.append(_Part(cloud))
        return _fit(parts, width)

    def render(self) -> Text:
        return self._text
