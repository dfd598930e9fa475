"""The panel base class, the context every panel renders from, and what a panel may ask
of the app it is mounted in (:class:`PanelHost`: widgets never import the app)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Protocol, runtime_checkable

from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from core.actions.catalog import Fix
from core.health.report import HealthReport
from core.standard.findings import Finding
from tui.literal import literal


@dataclass(frozen=True, slots=True)
class PanelContext:
    """What a panel needs to draw itself: the report, the clock reading, the filter."""

    report: HealthReport | None
    now: float
    filter: str = ""
    root_problem: str | None = None
    previous: HealthReport | None = None

    def findings_for(self, path: str) -> list[Finding]:
        if self.report is None:
            return []
        return [f for f in self.report.findings if f.path == path]


@dataclass(frozen=True, slots=True)
class PanelAction:
    """An operation a panel offers on a path (the recovery issue fills these in).

    ``destructive`` actions are refused while the app is read-only.
    """

    name: str
    description: str
    destructive: bool
    run: Callable[[str], None] = field(repr=False)


@runtime_checkable
class PanelHost(Protocol):
    """The little a panel asks of its app directly (the rest arrives in a
    :class:`PanelContext` or is posted as a message); :class:`tui.app.BotstoreApp`
    implements it."""

    @property
    def root(self) -> Path:
        """The bot's data root the monitor watches."""
        ...

    def follow_log(self, rel: str) -> None:
        """Tail ``rel`` (root-relative, under ``logs/``) from now on, and read it now."""
        ...


def host_of(app: object) -> PanelHost:
    """``app`` as a :class:`PanelHost` (a panel mounted in another app is a programming error)."""
    if not isinstance(app, PanelHost):  # pragma: no cover - panels live in the BotstoreApp
        raise TypeError(f"a panel needs an app that implements PanelHost, not {type(app).__name__}")
    return app


def matches(text: str, *fields: str) -> bool:
    """Case-insensitive filter: every whitespace-separated term must appear in some field."""
    if not text:
        return True
    haystack = " ".join(fields).lower()
    return all(term in haystack for term in text.lower().split())


class Panel(Vertical):
    """One dashboard panel: a titled, focusable box that renders from a :class:`PanelContext`."""

    PANEL_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    NUMBER: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__(id=self.PANEL_ID, classes="panel")
        self.border_title = f"{self.NUMBER} {self.TITLE}"
        self.rendered_at: float | None = None  # clock reading of the last render (bench/tests)
        self._signature: object = None

    def empty_message(self) -> Static:
        return Static("", classes="empty")

    def set_empty(self, message: str | None) -> None:
        """Show ``message`` instead of the panel's body (None: show the body)."""
        empty = self.query_one(".empty", Static)
        empty.update(literal(message or ""))
        self.set_class(message is not None, "-empty")

    def report_or_empty(self, ctx: PanelContext) -> HealthReport | None:
        """The report to draw, or None after showing why there is none (scanning, no root)."""
        if ctx.report is None or ctx.root_problem:
            self.set_empty(ctx.root_problem or "Scanning…")
            return None
        return ctx.report

    def focus_target(self) -> Widget:
        """The widget that receives focus when the panel is selected."""
        return self

    def refresh_from(self, ctx: PanelContext, *, force: bool = False) -> None:
        """Redraw from ``ctx`` unless nothing this panel shows has changed."""
        signature = self.signature(ctx)
        if not force and signature is not None and signature == self._signature:
            return
        self._signature = signature
        self.render_context(ctx)
        self.rendered_at = ctx.now

    def signature(self, ctx: PanelContext) -> object:
        """What the panel's drawing depends on (None: always redraw)."""
        del ctx
        return None

    def invalidate(self) -> None:
        self._signature = None

    def render_context(self, ctx: PanelContext) -> None:
        raise NotImplementedError

    def actions_for(self, path: str) -> list[PanelAction]:
        """Actions this panel offers on ``path``; none yet (see the recovery issue)."""
        del path
        return []

    def selected_path(self) -> str | None:
        """The file under the cursor, when the panel lists files."""
        return None

    def selected_finding(self) -> Finding | None:
        """The finding under the cursor, when the panel lists findings."""
        return None

    def selected_group_fix(self) -> Fix | None:
        """The fix of the group of findings under the cursor (one row standing for many)."""
        return None
