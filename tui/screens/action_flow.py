"""The recovery actions' flow: the selection's fitting action, its preview, apply, rescan.

``a`` (:func:`offer_actions` with ``best``) previews the selected finding's best
fix; ``A`` (:func:`offer_actions`) lists every action, fitting ones first; the
palette runs one fix (:func:`run_fix`). A plan is shown in the confirmation
modal (:mod:`tui.screens.confirm_action`) and applies only on ``y``; after a
change the app rescans. ``--read-only`` apps never get past the first check.

The app calls these with itself; they reach its botstore side through
:func:`tui.driver.driver_of`, never by importing :mod:`tui.app`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from textual.app import App

from core.actions import Plan, Result, catalog
from core.actions.catalog import Fix
from core.standard.findings import Finding
from core.text.sanitize import sanitize_text
from tui.driver import driver_of
from tui.screens.confirm_action import (
    OTHERS,
    ActionChoice,
    ChooseActionScreen,
    ConfirmActionScreen,
    choices_for,
)
from tui.screens.dashboard import DashboardScreen
from tui.screens.detail import DetailScreen
from tui.widgets.base import PanelAction


def _findings(app: App[Any], path: str | None) -> list[Finding]:
    report = driver_of(app).report
    if path is None or report is None:
        return []
    return [f for f in report.findings if f.path == path]


def run_fix(app: App[Any], fix: Fix, others: Callable[[], None] | None = None) -> None:
    """Preview ``fix`` (its plan in the modal) or, for a log fix, show that log."""
    if fix.kind == "log":
        driver_of(app).show_log(fix.path or catalog.WRITER_LOG)
        return
    if fix.remote:  # the exchange may be slow or down: never plan on the UI thread
        app.notify(f"{fix.label}: asking the exchange…", markup=False)
        app.run_worker(
            lambda: _plan_remote(app, fix, others), thread=True, group="remote-plan", exclusive=True
        )
        return
    try:
        plan = fix.plan()
    except Exception as exc:  # noqa: BLE001 - any planning error is shown, never fatal
        app.notify(sanitize_text(f"cannot plan {fix.label}: {exc}"), severity="error", markup=False)
        return
    open_plan(app, plan, others)


def _plan_remote(app: App[Any], fix: Fix, others: Callable[[], None] | None) -> None:
    """Worker thread: plan ``fix``, then open its preview (or say why not) on the UI thread."""
    try:
        plan = fix.plan()
    except Exception as exc:  # noqa: BLE001 - any planning error is shown, never fatal
        message = sanitize_text(f"cannot plan {fix.label}: {exc}")
        with contextlib.suppress(RuntimeError):  # the app quit meanwhile
            app.call_from_thread(app.notify, message, severity="error", markup=False)
        return
    with contextlib.suppress(RuntimeError):
        app.call_from_thread(open_plan, app, plan, others)


def open_plan(app: App[Any], plan: Plan, others: Callable[[], None] | None = None) -> None:
    """Show ``plan`` in the confirmation modal; after a change, rescan and notify.

    ``others``: what ``o`` in the modal opens (the chooser of every action)."""

    def done(result: Result | str | None) -> None:
        if result == OTHERS:  # "o": another action instead
            if others is not None:
                others()
            return
        if not isinstance(result, Result):
            return
        app.notify(
            sanitize_text(result.message),
            title=result.action,
            severity="information" if result.ok else "error",
            timeout=8,
        )
        driver_of(app).action_rescan(reason="action")
        if isinstance(app.screen, DetailScreen):
            app.screen.action_reload()

    app.push_screen(
        ConfirmActionScreen(plan, read_only=driver_of(app).read_only, others=others is not None),
        done,
    )


def _target(app: App[Any], path: str | None) -> tuple[str | None, Finding | None] | None:
    """The file and finding ``a`` works on (None: a modal is open)."""
    screen = app.screen
    if isinstance(screen, DetailScreen):
        path = path or screen.path  # the file the detail view shows
        found = _findings(app, path)
        return path, max(found, key=lambda f: f.severity.rank) if found else None
    if not isinstance(screen, DashboardScreen):
        return None
    panel = screen.active_panel()
    selected = panel.selected_finding()
    if path is None:
        path = panel.selected_path()
    if selected is None and path is not None:
        found = _findings(app, path)
        selected = max(found, key=lambda f: f.severity.rank) if found else None
    return path, selected


def offer_actions(app: App[Any], path: str | None = None, *, best: bool = False) -> None:
    """``A`` (and ``a`` without a fix): choose an action for the selection, then confirm.

    ``best``: ``a``, straight to the preview of the selected finding's best fix."""
    driver = driver_of(app)
    if driver.read_only:
        app.notify("read-only: recovery actions are disabled", severity="warning")
        return
    target = _target(app, path)
    if target is None:
        return
    path, selected = target
    choices = choices_for(driver.root, path, _findings(app, path), selected, driver.engine.config)
    screen = app.screen
    group = (
        screen.active_panel().selected_group_fix() if isinstance(screen, DashboardScreen) else None
    )
    if group is not None:  # a row standing for many files: its fix covers them all
        choices.insert(0, ActionChoice("fit-group", group.label, group, True))

    def chooser() -> None:
        title = f"Actions for {path}" if path else "Actions (whole tree)"
        app.push_screen(ChooseActionScreen(title, choices), chosen)

    def chosen(choice: ActionChoice | None) -> None:
        if choice is not None:
            run_fix(app, choice.fix)

    if best and choices and choices[0].fitting:
        run_fix(app, choices[0].fix, chooser)
    else:
        chooser()


def recovery_actions(app: App[Any], path: str) -> list[PanelAction]:
    """The fitting fixes of ``path`` as :class:`PanelAction` (the detail view lists them)."""

    def runner(fix: Fix) -> Callable[[str], None]:
        return lambda _path: run_fix(app, fix)

    driver = driver_of(app)
    return [
        PanelAction(c.label, c.fix.command, c.fix.destructive, runner(c.fix))
        for c in choices_for(driver.root, path, _findings(app, path), config=driver.engine.config)
        if c.fitting
    ]


__all__ = ["offer_actions", "open_plan", "recovery_actions", "run_fix"]
