"""The shared model of every recovery action: a :class:`Plan` (pure preview) and a :class:`Result`.

An action is a module with ``plan(root, ...) -> Plan`` (reads only) and
``apply(plan) -> Result``. Every :class:`Step` carries the :class:`Fingerprint`
of the file it touches as seen by the preview; ``apply`` re-checks it under the
file's lock and refuses with "changed since preview" when it differs.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from core.errors import ActionError
from core.standard.policy import format_mode
from core.standard.times import compact_stamp
from core.text.sanitize import sanitize_for_logging, sanitize_text
from core.text.textsafe import escape_controls, safe_lines

#: What a step does. ``replace``: new bytes at ``path`` (old bytes quarantined);
#: ``move``: ``path`` moved into the quarantine; ``chmod``: mode change in place;
#: ``check``: read-only verification.
StepOp = Literal["replace", "move", "chmod", "check", "delete"]

CHANGED_SINCE_PREVIEW: Final = "changed since preview"


class ChangedSincePreview(ActionError):
    """A file the plan depends on differs from what the preview saw."""

    code = "changed_since_preview"

    def __init__(self, relpath: str, detail: str) -> None:
        self.relpath = relpath
        super().__init__(f"{relpath}: {CHANGED_SINCE_PREVIEW} ({detail}); preview again")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Identity of a file when the plan was made (``None`` sha256: not a regular file)."""

    kind: str  # "file", "dir", "symlink", "other", "missing"
    sha256: str | None = None
    size: int = 0
    mode: int = 0
    inode: int = 0
    device: int = 0

    @property
    def exists(self) -> bool:
        return self.kind != "missing"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = format_mode(self.mode)
        return data


MISSING: Final = Fingerprint("missing")


@dataclass(frozen=True, slots=True)
class Change:
    """One field-level difference (values already sanitized for display)."""

    field: str
    before: str
    after: str
    kind: Literal["changed", "added", "removed"] = "changed"

    def render(self) -> str:
        if self.kind == "added":
            return f"+ {self.field}: {self.after}"
        if self.kind == "removed":
            return f"- {self.field}: {self.before}"
        return f"~ {self.field}: {self.before} → {self.after}"


@dataclass(frozen=True, slots=True)
class Step:
    """One change the plan will make, with everything needed to verify and audit it."""

    op: StepOp
    path: str  # root-relative POSIX path
    detail: str = ""
    before: Fingerprint = MISSING
    #: ``replace``: where the new bytes come from (root-relative) and their sha256.
    source: str | None = None
    after_sha256: str | None = None
    mode_before: int | None = None
    mode_after: int | None = None
    size: int = 0  # bytes written (replace) or freed (move/delete)
    depends: tuple[tuple[str, Fingerprint], ...] = ()  # other files the step reads

    def render(self) -> str:
        text = f"{self.op:<7} {self.path}"
        if self.mode_before is not None and self.mode_after is not None:
            text += f"  {format_mode(self.mode_before)} → {format_mode(self.mode_after)}"
        if self.source:
            text += f"  ← {self.source}"
        if self.detail:
            text += f"  ({self.detail})"
        return escape_controls(sanitize_text(text))

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "path": self.path,
            "detail": sanitize_text(self.detail),
            "before": self.before.to_dict(),
            "source": self.source,
            "after_sha256": self.after_sha256,
            "mode_before": None if self.mode_before is None else format_mode(self.mode_before),
            "mode_after": None if self.mode_after is None else format_mode(self.mode_after),
            "size": self.size,
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something the action will not touch, and why (symlink, outside the root, ...)."""

    path: str
    reason: str

    def render(self) -> str:
        return escape_controls(sanitize_text(f"skip    {self.path}  ({self.reason})"))


def new_action_id(now: _dt.datetime | None = None) -> str:
    """A sortable unique id: ``20260101T120000Z-1a2b3c``."""
    return f"{compact_stamp(now)}-{secrets.token_hex(3)}"


@dataclass(slots=True)
class Plan:
    """What an action would do. Building one never changes a file."""

    action: str
    root: Path
    steps: list[Step] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    diff: list[Change] = field(default_factory=list)
    #: Problems that forbid applying (invalid backup, ...): apply refuses.
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: Inputs ``apply`` needs; keys starting with ``_`` are internal (never printed).
    params: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    created: str = field(
        default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    )

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def empty(self) -> bool:
        return not self.steps

    @property
    def paths(self) -> list[str]:
        return [step.path for step in self.steps]

    @property
    def bytes_affected(self) -> int:
        return sum(step.size for step in self.steps)

    def require(self, action: str) -> None:
        """Refuse (:class:`ActionError`) a plan of another action: every ``apply`` asks first."""
        if self.action != action:
            raise ActionError(f"not a {action} plan: {self.action}")

    def render(self) -> str:
        """The human preview printed by the CLI and shown in the TUI modal."""
        lines = [f"{self.action}: {self.summary or (str(len(self.steps)) + ' step(s)')}"]
        lines += [f"  {step.render()}" for step in self.steps]
        if self.diff:
            lines.append("  field changes (current → after):")
            lines += [f"    {change.render()}" for change in self.diff]
        lines += [f"  {item.render()}" for item in self.skipped]
        lines += [f"  note: {sanitize_text(note)}" for note in self.notes]
        lines += [f"  ERROR: {sanitize_text(err)}" for err in self.errors]
        if not self.steps and not self.errors:
            lines.append("  nothing to do")
        return safe_lines(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "root": str(self.root),
            "summary": sanitize_text(self.summary),
            "created": self.created,
            "ok": self.ok,
            "steps": [step.to_dict() for step in self.steps],
            "skipped": [asdict(item) for item in self.skipped],
            "diff": [asdict(change) for change in self.diff],
            "errors": [sanitize_text(e) for e in self.errors],
            "notes": [sanitize_text(n) for n in self.notes],
            "params": sanitize_for_logging(
                {k: v for k, v in self.params.items() if not k.startswith("_")}
            ),
            "bytes_affected": self.bytes_affected,
        }


@dataclass(slots=True)
class Result:
    """What ``apply`` did. ``ok`` False: nothing changed (refused or rolled back),
    unless ``committed``: the action is applied but something after its commit
    point failed (journal finalization, audit line) — reported ``applied, but …``."""

    action: str
    ok: bool
    message: str
    action_id: str | None = None
    applied: list[Step] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # relpath -> quarantine relpath
    after: dict[str, str | None] = field(default_factory=dict)  # relpath -> sha256 after
    details: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # action-specific report
    committed: bool = False  # past the commit point: the change stands

    def render(self) -> str:
        head = "OK" if self.ok else ("APPLIED WITH ERRORS" if self.committed else "FAILED")
        lines = [f"{self.action}: {head} — {sanitize_text(self.message)}"]
        if self.action_id:
            lines.append(f"  action id: {self.action_id}")
        lines += [f"  {step.render()}" for step in self.applied]
        lines += [f"  quarantined {src} → {dst}" for src, dst in self.quarantined.items()]
        lines += [f"  {sanitize_text(d)}" for d in self.details]
        return safe_lines(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "ok": self.ok,
            "committed": self.committed,
            "message": sanitize_text(self.message),
            "action_id": self.action_id,
            "applied": [step.to_dict() for step in self.applied],
            "quarantined": dict(self.quarantined),
            "after": dict(self.after),
            "details": [sanitize_text(d) for d in self.details],
            "data": sanitize_for_logging(self.data),
        }


__all__ = [
    "CHANGED_SINCE_PREVIEW",
    "MISSING",
    "ActionError",
    "Change",
    "ChangedSincePreview",
    "Fingerprint",
    "Plan",
    "Result",
    "Skipped",
    "Step",
    "StepOp",
    "new_action_id",
]
