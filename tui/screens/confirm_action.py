"""The recovery actions' modals: the chooser of actions, and the preview of one plan that
applies only on explicit confirmation and then shows the result.

What opens them (and rescans after a change) is :mod:`tui.screens.action_flow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from core.actions import Plan, Result, apply, catalog
from core.actions import verify as verify_backups
from core.actions.catalog import Fix
from core.config import Config
from core.standard.findings import Finding
from core.text.sanitize import sanitize_text
from tui.literal import literal

#: What the confirmation modal returns for ``o`` (choose another action).
OTHERS = "others"


@dataclass(frozen=True, slots=True)
class ActionChoice:
    """One action offered in the chooser, from :mod:`core.actions.catalog`."""

    key: str
    label: str
    fix: Fix
    fitting: bool = False  # fits the selected finding or file (listed first)

    def planner(self) -> Plan:
        return self.fix.plan()


def choices_for(
    root: Path,
    path: str | None,
    findings: list[Finding],
    selected: Finding | None = None,
    config: Config | None = None,
) -> list[ActionChoice]:
    """The selected finding's fixes, then the other fixes of ``path``, then every tree-wide
    action (each once) — each planned with ``config``, the configuration the scan used."""
    fitting: list[Fix] = []
    if selected is not None:
        fitting += catalog.fixes_for(root, selected, config)
    if path:
        fitting += catalog.fixes_for_path(root, path, findings, config)
    out: list[ActionChoice] = []
    seen: set[str] = set()
    for fix in fitting:
        key = f"fit-{fix.action}"
        if key not in seen:
            seen.add(key)
            out.append(ActionChoice(key, fix.label, fix, True))
    for fix in catalog.tree_actions(root, config):
        out.append(ActionChoice(fix.action, fix.label, fix))
    return out


#: A field change's colour by its kind: additions green, removals red, changes yellow.
CHANGE_STYLE: Final[dict[str, str]] = {"changed": "yellow", "added": "green", "removed": "red"}


def plan_styles(plan: Plan) -> list[str]:
    """The style of each line :meth:`Plan.render` prints, from the plan's structure.

    ``render`` prints one line per element, in this order (it escapes every value,
    so none adds a line): the heading, each step, the field changes under their
    heading, each skipped item, note and error, and "nothing to do" for a plan with
    neither steps nor errors."""
    styles = ["bold"]  # "action: summary"
    styles += [""] * len(plan.steps)  # plain, whatever their op
    if plan.diff:
        styles.append("")  # "field changes (current → after):"
        styles += [CHANGE_STYLE[change.kind] for change in plan.diff]
    styles += ["dim"] * (len(plan.skipped) + len(plan.notes))
    styles += ["bold red"] * len(plan.errors)
    if not plan.steps and not plan.errors:
        styles.append("")  # "nothing to do"
    return styles


def plan_text(plan: Plan) -> Text:
    """The plan preview: the CLI's text (:meth:`Plan.render`), each line coloured by the
    element it shows (:func:`plan_styles`), never by parsing the text."""
    text = Text()
    lines = plan.render().splitlines()
    styles = plan_styles(plan)
    styles += [""] * (len(lines) - len(styles))  # a line render added later shows plain
    for line, style in zip(lines, styles, strict=False):
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
            yield OptionList(
                *[Option(literal(c.label), id=c.key) for c in self.choices.values()],
                id="action-choices",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices.get(str(event.option.id)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmActionScreen(ModalScreen["Result | str | None"]):
    """The plan, and an explicit ``Apply`` (``y``); ``escape`` cancels, nothing changes;
    ``o`` offers every other action instead. After apply it says what happened."""

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
        Binding("o", "others", "Other actions"),
    ]

    class Applied(Message):
        """Posted from the worker thread with the action's result."""

        def __init__(self, result: Result) -> None:
            super().__init__()
            self.result = result

    def __init__(self, plan: Plan, *, read_only: bool = False, others: bool = False) -> None:
        super().__init__()
        self.plan = plan
        self.others = others
        self.read_only = read_only
        self.result: Result | None = None
        self.busy = False

    @property
    def can_apply(self) -> bool:
        return (
            not self.read_only
            and self.plan.ok
            and bool(self.plan.steps)
            and self.result is None
            and not self.busy
            and self.plan.action != verify_backups.ACTION
        )

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text.assemble(
                    ("Confirm: ", "bold"),
                    (self.plan.action, "bold yellow"),
                    (f" — {sanitize_text(self.plan.summary)}", ""),
                ),
                id="confirm-title",
            )
            with VerticalScroll(id="confirm-plan"):
                yield Static(plan_text(self.plan), id="confirm-plan-text")
            yield Static(self._hint(), id="confirm-result")
            with Horizontal():
                yield Button(
                    "Apply (y)", id="confirm-apply", variant="error", disabled=not self.can_apply
                )
                yield Button("Cancel (esc)", id="confirm-cancel")

    def _hint(self) -> str:
        hint = self._state_hint()
        return hint + ("  ·  o: other actions" if self.others else "")

    def _state_hint(self) -> str:
        if self.read_only:
            return "read-only: actions are disabled"
        if self.plan.action == verify_backups.ACTION:
            return "verification only: nothing to apply"
        if not self.plan.ok:
            return "this plan cannot be applied"
        if not self.plan.steps:
            return "nothing to do"
        if self.plan.action == "fix-permissions":
            return (
                "Nothing has changed yet. Press y to apply: modes change in place, "
                "symlinks are never followed; every change goes to the audit log."
            )
        return (
            "Nothing has changed yet. Press y to apply: replaced files are quarantined "
            "under data/.quarantine/ first."
        )

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
        apply_button = self.query_one("#confirm-apply", Button)
        apply_button.label = "Applied ✔" if message.result.ok else "Failed ✖"
        apply_button.disabled = True
        self.query_one("#confirm-plan").border_title = (
            "applied: these changes were made"
            if message.result.ok
            else "failed: nothing changed (rolled back)"
            if not message.result.applied
            else "failed: partly applied, see the result"
        )
        self.query_one("#confirm-cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:  # noqa: ARG002
        if action == "others":
            return self.others and self.result is None and not self.busy
        if action == "confirm":
            return self.can_apply or None  # shown greyed out when it cannot apply
        return True

    def action_others(self) -> None:
        if self.others and self.result is None and not self.busy:
            self.dismiss(OTHERS)

    def action_cancel(self) -> None:
        if self.busy:
            return  # the action is running: wait for its result
        self.dismiss(self.result)


__all__ = [
    "OTHERS",
    "ActionChoice",
    "ChooseActionScreen",
    "ConfirmActionScreen",
    "choices_for",
    "plan_styles",
    "plan_text",
]
