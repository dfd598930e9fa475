"""The small protocol through which screens and the command palette drive the app.

Like harlequin's ``driver.py``: screens (:mod:`tui.screens`) and commands
(:mod:`tui.commands`) never import :mod:`tui.app`. They get the app's
:class:`Driver` side from ``driver_of(self.app)``: the state they may read (the
latest report, the root, read-only mode) and the few things they may ask for
(a rescan, a panel, a file's detail, an action's preview). :class:`tui.app.BotstoreApp`
implements it (mypy checks that where the app module says so); panels use the
smaller :class:`tui.widgets.base.PanelHost`, which this extends.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from textual.message_pump import MessagePump

from core.actions.catalog import Fix
from core.health.report import HealthReport
from tui.engine import Engine
from tui.widgets.base import PanelAction, PanelHost


@runtime_checkable
class Driver(PanelHost, Protocol):
    """What the app offers its screens and commands."""

    # ------------------------------------------------------------------ state (read-only)

    @property
    def report(self) -> HealthReport | None:
        """The latest health report (None before the first scan)."""
        ...

    @property
    def read_only(self) -> bool:
        """``--read-only``: no recovery action may be applied (or offered)."""
        ...

    @property
    def engine(self) -> Engine:
        """The scan engine; its ``config`` is the one actions must plan with."""
        ...

    def panel_titles(self) -> list[tuple[str, str]]:
        """``(panel id, title)`` of every dashboard panel, in order."""
        ...

    def actions_for(self, path: str) -> list[PanelAction]:
        """Every action offered on ``path`` (destructive ones vanish when read-only)."""
        ...

    # ------------------------------------------------------------------ requests

    def action_rescan(self, reason: str = "rescan") -> None:
        """A full scan now (and a fresh log tail)."""
        ...

    def action_help(self) -> None: ...

    def action_filter(self) -> None: ...

    def action_clear_filter(self) -> None: ...

    def action_show_panel(self, panel_id: str) -> None: ...

    def action_fix(self) -> None:
        """``a``: preview the selection's best fix."""
        ...

    def action_recover(self) -> None:
        """``A``: choose among every action for the selection."""
        ...

    def run_fix(self, fix: Fix) -> None:
        """Preview ``fix`` (apply only on confirmation), or show the log it points at."""
        ...

    def open_detail(self, path: str) -> None:
        """The detail view of ``path``."""
        ...

    def show_log(self, path: str) -> None:
        """The Logs panel showing ``path``."""
        ...

    def load_detail(self, path: str, target: MessagePump) -> object:
        """Read ``path`` in a worker; ``target`` receives :class:`tui.messages.DetailLoaded`."""
        ...


def driver_of(app: object) -> Driver:
    """``app`` as a :class:`Driver` (a screen pushed on another app is a programming error)."""
    if not isinstance(app, Driver):  # pragma: no cover - screens live in the BotstoreApp
        raise TypeError(
            f"botstore screens need an app that implements Driver, not {type(app).__name__}"
        )
    return app


__all__ = ["Driver", "driver_of"]
