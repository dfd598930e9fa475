"""Recovery actions in the TUI: pick the action fitting the selected finding, preview its
plan in a modal, apply only on explicit confirmation, show the result.

Entry point for the app: :func:`offer_actions` (bound to ``a``). The app stays
in charge of refreshing: after a change the dismiss callback asks it to rescan.
``--read-only`` apps never get here (the binding refuses).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from core import layout
from core.actions import (
    Plan,
    Result,
    apply,
    cleanup,
    migrate,
    permissions,
    reset,
    restore,
    snapshot,
    temp,
)
from core.actions import verify as verify_backups
from core.atomic import BACKUP_SUFFIX
from core.config import Config
from core.sanitize import sanitize_text
from tui.literal import literal
from tui.widgets.base import PanelAction

if TYPE_CHECKING:
    from tui.app import BotstoreApp

_RESTORABLE = frozenset({"invalid_json", "schema", "missing", "unreadable", "backup", "size"})
_TRACKING = frozenset({layout.PERFORMANCE_CONFIG, layout.SNAPSHOTS})


@dataclass(frozen=True, slots=True)
class ActionChoice:
    """One action offered in the chooser; ``planner`` builds its plan (reads only)."""

    key: str
    label: str
    planner: Callable[[], Plan]
    fitting: bool = False  # fits the selected file's findings (listed first)


def choices_for(root: Path, path: str | None, codes: set[str],
                config: Config | None = None) -> list[ActionChoice]:
    """The actions fitting ``path``'s findings first, then every tree-wide action
    (each planned with ``config``, the configuration the scan used)."""
    fitting: list[ActionChoice] = []
    if path:
        if codes & _RESTORABLE and (root / (path + BACKUP_SUFFIX)).is_file():
            fitting.append(ActionChoice("restore", f"Restore {path} from its .bak",
                                        lambda: restore.plan(root, path), True))
        if "permissions" in codes:
            fitting.append(ActionChoice("fix-permissions-one", f"Fix the mode of {path}",
                                        lambda: permissions.plan(root, only=[path],
                                                                         config=config), True))
        if path in _TRACKING and codes & _RESTORABLE:
            fitting.append(ActionChoice("reset-tracking-fit", "Reinitialize performance tracking",
                                        lambda: reset.plan(root), True))
        if path == layout.SNAPSHOTS and codes & {"gap", "stale"}:
            fitting.append(ActionChoice("snapshot-fit", "Take a snapshot now",
                                        lambda: snapshot.plan(root), True))
    fitting += [c for c, wanted in (
        (ActionChoice("migrate-fit", "Migrate old versions",
                      lambda: migrate.plan(root, config=config), True),
         "version"),
        (ActionChoice("clean-temp-fit", "Remove leftover temp files",
                      lambda: temp.plan(root, config=config), True), "temp_leftover"),
        (ActionChoice("cleanup-fit", "Retention cleanup",
                      lambda: cleanup.plan(root, config=config), True),
         "retention"),
    ) if wanted in codes]
    general = [
        ActionChoice("fix-permissions", "Fix permissions (whole tree)",
                     lambda: permissions.plan(root, config=config)),
        ActionChoice("cleanup", "Retention cleanup", lambda: cleanup.plan(root, config=config)),
        ActionChoice("clean-temp", "Remove leftover temp files",
                     lambda: temp.plan(root, config=config)),
        ActionChoice("migrate", "Migrate old versions", lambda: migrate.plan(root, config=config)),
        ActionChoice("verify-backups", "Verify backups",
                     lambda: verify_backups.plan(root, config=config)),
        ActionChoice("snapshot", "Take a snapshot now", lambda: snapshot.plan(root)),
        ActionChoice("reset-tracking", "Reinitialize performance tracking",
                     lambda: reset.plan(root)),
    ]
    return fitting + general


def plan_text(plan: Plan) -> Text:
    """The plan preview, coloured: additions green, removals red, changes yellow."""
    text = Text()
    for line in plan.render().splitlines():
        stripped = line.strip()
        style = ""
        if stripped.startswith("~"):
            style = "yellow"
        elif stripped.startswith("+"):
            style = "green"
        elif stripped.startswith("-"):
            style = "red"
        elif stripped.startswith("ERROR"):
            style = "bold red"
        elif stripped.startswith(("skip", "note")):
            style = "dim"
        elif not line.startswith(" "):
            style = "bold"
        text.append(line + "\n", style=style)
    return text


class ChooseActionScreen(ModalScreen[ActionChoice | None]):
    """A short list of actions for the selected file."""

    DEFAULT_CSS = """
    ChooseActionScreen { align: center middle; }
    ChooseActionScreen > Vertical { width: 70; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1; }
    ChooseActionScreen OptionList { height: auto; max-height: 20; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[ActionChoice]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = {c.key: c for c in choices}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(literal(self.title_text, style="bold"))
            yield OptionList(*[Option(literal(c.label), id=c.key) for c in self.choices.values()],
                             id="action-choices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices.get(str(event.option.id)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmActionScreen(ModalScreen[Result | None]):
    """The plan, and an explicit ``Apply`` (``y``); ``escape`` cancels, nothing changes."""

    DEFAULT_CSS = """
    ConfirmActionScreen { align: center middle; }
    ConfirmActionScreen > Vertical { width: 90%; height: 85%; border: thick $warning;
        background: $surface; padding: 0 1; }
    ConfirmActionScreen #confirm-plan { height: 1fr; border: round $panel; }
    ConfirmActionScreen #confirm-result { height: auto; max-height: 8; }
    ConfirmActionScreen #confirm-result.-ok { color: $success; }
    ConfirmActionScreen #confirm-result.-failed { color: $error; }
    ConfirmActionScreen Horizontal { height: auto; align-horizontal: right; }
    ConfirmActionScreen Button { margin-left: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Apply"),
        Binding("escape,n", "cancel", "Cancel"),
    ]

    class Applied(Message):
        """Posted from the worker thread with the action's result."""

        def __init__(self, result: Result) -> None:
            super().__init__()
            self.result = result

    def __init__(self, plan: Plan, *, read_only: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.read_only = read_only
        self.result: Result | None = None
        self.busy = False

    @property
    def can_apply(self) -> bool:
        return (not self.read_only and self.plan.ok and bool(self.plan.steps)
                and self.result is None and not self.busy
                and self.plan.action != verify_backups.ACTION)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text.assemble(("Confirm: ", "bold"), (self.plan.action, "bold yellow"),
                                       (f" — {sanitize_text(self.plan.summary)}", "")),
                         id="confirm-title")
            with VerticalScroll(id="confirm-plan"):
                yield Static(plan_text(self.plan), id="confirm-plan-text")
            yield Static(self._hint(), id="confirm-result")
            with Horizontal():
                yield Button("Apply (y)", id="confirm-apply", variant="error",
                             disabled=not self.can_apply)
                yield Button("Cancel (esc)", id="confirm-cancel")

    def _hint(self) -> str:
        if self.read_only:
            return "read-only: actions are disabled"
        if self.plan.action == verify_backups.ACTION:
            return "verification only: nothing to apply"
        if not self.plan.ok:
            return "this plan cannot be applied"
        if not self.plan.steps:
            return "nothing to do"
        if self.plan.action == permissions.ACTION:
            return ("Nothing has changed yet. Press y to apply: modes change in place, "
                    "symlinks are never followed; every change goes to the audit log.")
        return ("Nothing has changed yet. Press y to apply: replaced files are quarantined "
                "under data/.quarantine/ first.")

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()  # never confirm by a stray Enter
        self.query_one("#confirm-plan").border_title = "plan (nothing changed yet)"

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm-apply":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        if not self.can_apply:
            return
        self.busy = True
        self.query_one("#confirm-apply", Button).disabled = True
        self.query_one("#confirm-result", Static).update("applying…")
        self._apply()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def _apply(self) -> None:
        self.post_message(self.Applied(apply(self.plan)))

    def on_confirm_action_screen_applied(self, message: Applied) -> None:
        self.busy = False
        self.result = message.result
        box = self.query_one("#confirm-result", Static)
        box.update(Text(message.result.render()))
        box.set_class(message.result.ok, "-ok")
        box.set_class(not message.result.ok, "-failed")
        self.query_one("#confirm-cancel", Button).label = "Close (esc)"

    def action_cancel(self) -> None:
        if self.busy:
            return  # the action is running: wait for its result
        self.dismiss(self.result)


def _codes(app: BotstoreApp, path: str | None) -> set[str]:
    if path is None or app.report is None:
        return set()
    return {f.code for f in app.report.findings if f.path == path}


def open_plan(app: BotstoreApp, plan: Plan) -> None:
    """Show ``plan`` in the confirmation modal; after a change, rescan and notify."""

    def done(result: Result | None) -> None:
        if result is None:
            return
        app.notify(sanitize_text(result.message), title=result.action,
                   severity="information" if result.ok else "error", timeout=8)
        app.action_rescan(reason="action")
        from tui.screens.detail import DetailScreen

        if isinstance(app.screen, DetailScreen):
            app.screen.action_reload()

    app.push_screen(ConfirmActionScreen(plan, read_only=app.read_only), done)


def offer_actions(app: BotstoreApp, path: str | None = None) -> None:
    """The ``a`` key: choose an action for the selected file (or ``path``), then confirm."""
    if app.read_only:
        app.notify("read-only: recovery actions are disabled", severity="warning")
        return
    from tui.screens.detail import DetailScreen

    screen = app.screen
    if isinstance(screen, DetailScreen):
        path = path or screen.path  # the file the detail view shows
    elif screen is not app.dashboard:
        return  # a modal is open
    if path is None:
        path = app.dashboard.active_panel().selected_path()
    choices = choices_for(app.root, path, _codes(app, path), app.engine.config)
    title = f"Actions for {path}" if path else "Actions"

    def chosen(choice: ActionChoice | None) -> None:
        if choice is None:
            return
        try:
            plan = choice.planner()
        except Exception as exc:  # noqa: BLE001 - any planning error is shown, never fatal
            app.notify(sanitize_text(f"cannot plan {choice.label}: {exc}"), severity="error")
            return
        open_plan(app, plan)

    app.push_screen(ChooseActionScreen(title, choices), chosen)


def recovery_actions(app: BotstoreApp, path: str) -> list[PanelAction]:
    """The fitting actions as :class:`PanelAction` (the detail view lists their names)."""

    def runner(choice: ActionChoice) -> Callable[[str], None]:
        return lambda _path: open_plan(app, choice.planner())

    return [PanelAction(c.label, c.label, True, runner(c))
            for c in choices_for(app.root, path, _codes(app, path), app.engine.config)
            if c.fitting]


__all__ = [
    "ActionChoice",
    "ChooseActionScreen",
    "ConfirmActionScreen",
    "choices_for",
    "offer_actions",
    "open_plan",
    "plan_text",
    "recovery_actions",
]
