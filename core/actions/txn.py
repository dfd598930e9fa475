"""All-or-nothing execution of a plan: per-action quarantine directory + journal + rollback.

``apply`` of every changing action runs through :func:`execute`:

1. take the actions lock (one action at a time per root) and roll back any
   journal a crashed action left ``pending`` (:func:`recover`);
2. check every step's fingerprint against the preview (refuse on change);
3. create ``data/.quarantine/<UTC stamp>-<action>/`` and write its journal
   ``.action.json`` (state ``pending``, listing every planned change) *before*
   touching anything;
4. run the action: each replaced file is first copied into that directory,
   each removed file is moved there — nothing is ever deleted;
5. mark the journal ``done`` — the commit point — and append the audit line.

A failure (or a crash, found later by :func:`recover`) before step 5 rolls the
root back to the state of step 2: replaced files get their quarantined bytes
back (whatever is there now is preserved under ``.rollback/`` first), moved
files move back. So after any fault the tree holds either the old or the new
state, and every original byte sequence still exists in place or in quarantine.
"""

# ruff: noqa: PTH101, PTH102, PTH108

from __future__ import annotations

import contextlib
import datetime as _dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from core import performance
from core.actions import audit
from core.actions.base import (
    ActionError,
    ChangedSincePreview,
    Fingerprint,
    Plan,
    Result,
    Step,
)
from core.actions.safety import (
    clean_rel,
    copy_to_new,
    fingerprint,
    move_file,
    read_beneath,
    sha256,
    verify,
    write_private_file,
)
from core.atomic import BACKUP_SUFFIX, atomic_write_bytes, dumps, ensure_dir, file_lock, parse_json
from core.errors import StorageError
from core.layout import PERFORMANCE_CONFIG, PORTFOLIO, QUARANTINE_DIR, SNAPSHOTS
from core.policy import DIR_MODE
from core.recovery import QUARANTINE_STAMP

JOURNAL_NAME: Final = ".action.json"
ROLLBACK_DIR: Final = ".rollback"
_TRACKED: Final = frozenset({PERFORMANCE_CONFIG, SNAPSHOTS})
#: How long ``apply`` waits for another action on the same root.
ACTIONS_LOCK_TIMEOUT: Final = 60.0


@contextlib.contextmanager
def actions_lock(root: Path, timeout: float = ACTIONS_LOCK_TIMEOUT) -> Iterator[None]:
    """Serialize actions on one root (``data/.quarantine/.actions.lock``)."""
    ensure_dir(root / QUARANTINE_DIR)
    with file_lock(root / QUARANTINE_DIR / "actions", timeout=timeout):
        yield


@contextlib.contextmanager
def path_lock(root: Path, rel: str, lock_for: str | None = None) -> Iterator[None]:
    """The lock a bot writer of ``rel`` takes (plus the tracking lock for performance files)."""
    # A .bak is written by its primary's writer, under the primary's lock.
    target = (lock_for or rel).removesuffix(BACKUP_SUFFIX)
    with contextlib.ExitStack() as stack:
        if target in _TRACKED:
            stack.enter_context(performance.tracking_lock(root))
        stack.enter_context(file_lock(root / target))
        yield


@contextlib.contextmanager
def _maybe_lock(root: Path, rel: str | None) -> Iterator[None]:
    if rel is None:
        yield
        return
    with path_lock(root, rel):
        yield


@dataclass(slots=True)
class Transaction:
    """One action's quarantine directory and journal."""

    root: Path
    action: str
    action_id: str
    entries: list[dict[str, Any]] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)  # what begin() journaled
    state: str = "new"
    quarantined: dict[str, str] = field(default_factory=dict)
    after: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def create(cls, root: Path, action: str, now: _dt.datetime | None = None) -> Transaction:
        """Reserve a fresh ``data/.quarantine/<stamp>-<action>[-n]`` directory."""
        moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
        base = root / QUARANTINE_DIR
        ensure_dir(base)
        stem = f"{moment.strftime(QUARANTINE_STAMP)}-{action}"
        name, counter = stem, 1
        while True:
            try:
                os.mkdir(base / name, DIR_MODE)
                break
            except FileExistsError:
                counter += 1
                name = f"{stem}-{counter}"
        os.chmod(base / name, DIR_MODE)
        return cls(root, action, name)

    @classmethod
    def load(cls, root: Path, action_id: str) -> Transaction:
        """Read an existing journal (for undo and recovery); every path in it must be a
        clean path inside the root, else :class:`ActionError`."""
        if not action_id or "/" in action_id or action_id.startswith("."):
            raise ActionError(f"{action_id!r} is not an action id")
        path = root / QUARANTINE_DIR / action_id / JOURNAL_NAME
        try:
            data = orjson.loads(path.read_bytes())
            entries = [dict(e) for e in data.get("entries", [])]
            for entry in entries:
                for key in ("path", "copy", "to"):
                    value = entry.get(key)
                    if value is not None and clean_rel(root, str(value)) != value:
                        raise ActionError(f"journal of {action_id}: bad path {value!r}")
        except (OSError, orjson.JSONDecodeError, TypeError, ValueError, AttributeError) as exc:
            raise ActionError(f"no readable journal for action {action_id}: {exc}") from exc
        tx = cls(root, str(data.get("action", "?")), action_id)
        tx.entries = entries
        tx.state = str(data.get("state", "pending"))
        return tx

    @property
    def qrel(self) -> str:
        return f"{QUARANTINE_DIR}/{self.action_id}"

    def qpath(self, rel: str) -> str:
        """Where ``rel`` goes in this action's quarantine (root-relative)."""
        return f"{self.qrel}/{rel}"

    def _save(self) -> None:
        payload = dumps({"id": self.action_id, "action": self.action, "state": self.state,
                         "entries": self.entries})
        write_private_file(self.root / self.qrel / JOURNAL_NAME, payload, 0o640)

    def begin(self, steps: list[Step], lock_for: dict[str, str] | None = None) -> None:
        """Journal every planned change (state ``pending``) before any is made."""
        self.steps = list(steps)
        for step in steps:
            if step.op == "replace":
                self.entries.append({
                    "op": "replace", "path": step.path, "old_sha": step.before.sha256,
                    "old_kind": step.before.kind, "old_mode": step.before.mode,
                    "copy": self.qpath(step.path) if step.before.exists else None,
                })
            elif step.op == "move":
                self.entries.append({
                    "op": "move", "path": step.path, "sha": step.before.sha256,
                    "to": self.qpath(step.path),
                    "lock_for": (lock_for or {}).get(step.path),
                })
        self.state = "pending"
        self._save()

    def commit(self) -> None:
        """The commit point: from here on the new state stands."""
        self.state = "done"
        self._save()

    # ----------------------------------------------------------------- operations

    def preserve(self, step: Step) -> None:
        """Copy the current bytes of ``step.path`` into the quarantine (caller holds its lock)."""
        verify(self.root, step.path, step.before)
        if not step.before.exists:
            return
        payload = read_beneath(self.root, step.path)
        dest = self.qpath(step.path)
        copy_to_new(payload, self.root / dest, step.before.mode)
        self.quarantined[step.path] = dest

    def replace(self, step: Step, payload: bytes | Callable[[], bytes],
                mode: int | None = None) -> None:
        """Under the bot's lock: verify, quarantine a copy of the old bytes, write ``payload``.

        A callable ``payload`` is called under the lock (to read a source the bot
        also writes, such as the ``.bak``).
        """
        with path_lock(self.root, step.path):
            self.preserve(step)
            if callable(payload):
                payload = payload()
            final_mode = mode if mode is not None else step.before.mode
            # core.atomic's writer (its lock is reentrant: we already hold it).
            atomic_write_bytes(self.root / step.path, payload, mode=final_mode)
        self.after[step.path] = sha256(payload)

    def move(self, step: Step, lock_for: str | None = None) -> None:
        """Verify, then move ``step.path`` into the quarantine.

        ``lock_for``: the path whose writer lock to hold meanwhile (a temp file's
        target); ``None`` for files no writer touches any more (old reports).
        """
        with _maybe_lock(self.root, lock_for):
            verify(self.root, step.path, step.before)
            dest = self.qpath(step.path)
            move_file(self.root / step.path, self.root / dest)
        self.quarantined[step.path] = dest
        self.after[step.path] = None

    # ----------------------------------------------------------------- rollback

    def rollback(self) -> list[str]:
        """Undo every journaled change that happened; idempotent. Returns what it did."""
        done: list[str] = []
        for entry in reversed(self.entries):
            rel = str(entry["path"])
            if entry["op"] == "replace":
                message = self._rollback_replace(entry, rel)
            else:
                message = self._rollback_move(entry, rel)
            if message:
                done.append(message)
        self.state = "rolled_back"
        self._save()
        return done

    def _rollback_replace(self, entry: dict[str, Any], rel: str) -> str | None:
        with path_lock(self.root, rel):
            current = fingerprint(self.root, rel)
            old_sha = entry.get("old_sha")
            if current.sha256 == old_sha and current.kind == entry.get("old_kind"):
                return None
            copy = entry.get("copy")
            payload: bytes | None = None
            if copy is not None:
                try:
                    payload = read_beneath(self.root, str(copy))
                except (OSError, ActionError):
                    payload = None
                if payload is None or sha256(payload) != old_sha:
                    return f"{rel}: quarantined copy missing or incomplete; left as is"
            if current.kind == "file":  # keep whatever is there now, too
                keep = f"{self.qrel}/{ROLLBACK_DIR}/{rel}"
                if not os.path.lexists(self.root / keep):
                    copy_to_new(read_beneath(self.root, rel), self.root / keep, current.mode)
            if payload is None:  # the file did not exist before the action
                if current.kind == "file":
                    os.unlink(self.root / rel)
                return f"{rel}: removed (did not exist before)"
            atomic_write_bytes(self.root / rel, payload, mode=int(entry.get("old_mode") or 0o640))
            return f"{rel}: old bytes restored"

    def _rollback_move(self, entry: dict[str, Any], rel: str) -> str | None:
        lock_for = entry.get("lock_for")
        dest = self.root / str(entry["to"])
        with _maybe_lock(self.root, str(lock_for) if lock_for else None):
            if os.path.lexists(self.root / rel) or not os.path.lexists(dest):
                return None
            move_file(dest, self.root / rel)
        return f"{rel}: moved back from quarantine"


def pending_journals(root: Path) -> list[str]:
    """Ids of actions that started but neither committed nor rolled back."""
    base = root / QUARANTINE_DIR
    found: list[str] = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(base) as it:
        for item in it:
            journal = Path(item.path) / JOURNAL_NAME
            if not item.is_dir(follow_symlinks=False) or not journal.is_file():
                continue
            with contextlib.suppress(OSError, orjson.JSONDecodeError):
                if orjson.loads(journal.read_bytes()).get("state") == "pending":
                    found.append(item.name)
    return sorted(found)


def recover_locked(root: Path) -> list[str]:
    """:func:`recover` for a caller holding :func:`actions_lock`."""
    messages: list[str] = []
    for action_id in pending_journals(root):
        tx = Transaction.load(root, action_id)
        messages += [f"rolled back interrupted {tx.action} {action_id}: {m}"
                     for m in tx.rollback()] or [f"interrupted {tx.action} {action_id}: "
                                                 "nothing had changed"]
    return messages


def recover(root: str | os.PathLike[str]) -> list[str]:
    """Roll back every action a crash left half-done (safe to call any time)."""
    base = Path(os.path.realpath(root))
    with actions_lock(base):
        return recover_locked(base)


Work = Callable[[Transaction], None]


Journal = list[Step] | Callable[[], list[Step]] | None


def execute(plan: Plan, work: Work, *, journal_steps: Journal = None,
            lock_for: dict[str, str] | None = None, audit_extra: dict[str, Any] | None = None,
            check_inode: bool = True) -> Result:
    """Run ``work`` for ``plan`` transactionally and audit it (see the module docstring).

    ``journal_steps``: what to journal (default: the plan's steps); a callable is
    evaluated under the actions lock. Never raises for OS, storage or action errors:
    they come back as a failed :class:`Result` (after the rollback). Other
    exceptions roll back and propagate.
    """
    if plan.errors:
        return Result(plan.action, False, "plan has errors; nothing changed: "
                      + "; ".join(plan.errors))
    if plan.empty:
        return Result(plan.action, True, "nothing to do")
    before = {s.path: s.before.sha256 for s in plan.steps}
    try:
        with actions_lock(plan.root):
            recovered = recover_locked(plan.root)
            result = _execute_locked(plan, work, journal_steps, lock_for, check_inode)
    except (OSError, StorageError, ActionError) as exc:  # lock or recovery of an older action
        result = Result(plan.action, False, f"failed before starting, nothing changed: {exc}")
        recovered = []
    result.details[:0] = recovered
    _audit(plan, result, before, result.after, audit_extra)
    return result


def _execute_locked(plan: Plan, work: Work, journal_steps: Journal,
                    lock_for: dict[str, str] | None, check_inode: bool) -> Result:
    root = plan.root
    tx: Transaction | None = None
    try:
        for step in plan.steps:
            verify(root, step.path, step.before, check_inode=check_inode)
            for rel, expected in step.depends:
                verify(root, rel, expected, check_inode=check_inode)
        if callable(journal_steps):
            journal_steps = journal_steps()
        tx = Transaction.create(root, plan.action)
        tx.begin(journal_steps if journal_steps is not None else plan.steps, lock_for)
        work(tx)
        tx.commit()
    except BaseException as exc:
        outcome = "refused" if isinstance(exc, ChangedSincePreview) else "failed"
        state = "nothing changed"
        rolled: list[str] = []
        if tx is not None and tx.state == "pending":
            try:
                rolled = tx.rollback()
            except (OSError, StorageError, ActionError) as again:
                state = "rollback incomplete"
                rolled = [f"rollback incomplete ({again}); it finishes on the next action or "
                          "`botstore restore --recover`"]
        if not isinstance(exc, Exception):
            raise
        message = str(exc) if isinstance(exc, (ActionError, StorageError)) else (
            f"{type(exc).__name__}: {exc}")
        return Result(plan.action, False, f"{outcome}, {state}: {message}",
                      action_id=tx.action_id if tx else None, details=rolled)
    return Result(plan.action, True, plan.summary or "applied", action_id=tx.action_id,
                  applied=list(plan.steps), quarantined=dict(tx.quarantined),
                  after=dict(tx.after))


def _audit(plan: Plan, result: Result, before: dict[str, str | None],
           after: dict[str, str | None], extra: dict[str, Any] | None) -> None:
    payload = dict(extra or {})
    if result.quarantined:
        payload["quarantined"] = result.quarantined
    try:
        audit.record(plan.root, action=plan.action, action_id=result.action_id,
                     result="ok" if result.ok else "failed", message=result.message,
                     paths=plan.paths, before=before, after=after, extra=payload)
    except (OSError, ActionError) as exc:
        result.details.append(f"audit log not written: {exc}")


def tracking_journal(root: Path, steps: list[Step]) -> list[Step]:
    """``steps`` plus journal entries for both tracking files and their ``.bak``.

    :mod:`core.performance` writers rewrite the config and ``.bak`` files as a
    side effect; journaling them makes a rollback restore them too and keeps
    their old bytes in the quarantine.
    """
    seen = {s.path for s in steps}
    extra = [rel for base in (SNAPSHOTS, PERFORMANCE_CONFIG)
             for rel in (base, base + BACKUP_SUFFIX) if rel not in seen]
    return [*steps, *(Step("replace", rel, before=fingerprint(root, rel)) for rel in extra)]


def execute_tracking_change(
    plan: Plan,
    change: Callable[[Any, _dt.datetime], None],
    *,
    audit_extra: dict[str, Any] | None = None,
) -> Result:
    """Apply a change to performance tracking made from the current portfolio.

    ``change(portfolio, moment)`` runs under the tracking lock (reentrant, the
    one every snapshot writer takes) after both tracking files and their
    ``.bak`` were copied into the quarantine, so no bot snapshot lands between
    reading the portfolio and the last write; ``moment`` is the plan's ``now``.
    """
    root = plan.root
    moment = _dt.datetime.fromisoformat(str(plan.params["now"]))

    def work(tx: Transaction) -> None:
        with path_lock(root, SNAPSHOTS):
            for step in tx.steps:
                tx.preserve(step)
            change(parse_json(read_beneath(root, PORTFOLIO), PORTFOLIO), moment)
        for step in tx.steps:
            tx.after[step.path] = fingerprint(root, step.path).sha256

    return execute(plan, work, journal_steps=lambda: tracking_journal(root, plan.steps),
                   audit_extra=audit_extra)


def fingerprints(root: Path, rels: list[str]) -> tuple[tuple[str, Fingerprint], ...]:
    """``(rel, fingerprint)`` pairs for :attr:`Step.depends`."""
    return tuple((rel, fingerprint(root, rel)) for rel in rels)


__all__ = [
    "JOURNAL_NAME",
    "Transaction",
    "actions_lock",
    "execute",
    "fingerprints",
    "path_lock",
    "pending_journals",
    "recover",
    "recover_locked",
    "tracking_journal",
]
