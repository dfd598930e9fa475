"""All-or-nothing execution of a plan: per-action quarantine directory + signed journal.

``apply`` of every changing action runs through :func:`execute`:

1. refuse when the quarantine, ``logs/`` or the audit log is a symlink or
   foreign (:func:`core.actions.journal.check_own_paths`), take the actions lock
   (one action at a time per root) and settle any journal a crashed action left
   ``pending`` (:func:`recover`);
2. check every step's fingerprint against the preview (refuse on change);
3. create ``data/.quarantine/<UTC stamp>-<action>/`` and write its signed
   journal ``.action.json`` (state ``pending``, every planned change) *before*
   touching anything; the hash of every file's new bytes is journaled before
   they are written;
4. run the action: each replaced file is first copied into that directory
   (the very bytes that were verified: one read), each removed file is moved
   there — nothing is ever deleted;
5. the commit point: every change is made. Then the journal is marked
   ``done`` and the audit line appended; if either fails the outcome is still
   "applied" (reported as ``applied, but …``, non-zero exit).

Every change goes through :mod:`core.storage.rootfs` (descriptor-relative,
no symlink followed). A failure before step 5 — or a crash, found later by
:func:`recover` — is rolled back *exactly*: a file is put back only while it
still holds the bytes this action wrote (never over newer data from the bot),
moved files move back. A pending journal with no change left undone is
*rolled forward* (marked ``done``): it had committed. A journal that is not
signed by this host, or names paths outside the root or its own quarantine,
is refused with a message and never acted on.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from core.actions import audit, journal
from core.actions.base import (
    ActionError,
    ChangedSincePreview,
    Fingerprint,
    Plan,
    Result,
    Step,
)
from core.actions.journal import JOURNAL_NAME, UntrustedJournal
from core.actions.safety import fingerprint, read_beneath, read_verified, sha256, verify
from core.errors import StorageError
from core.standard.layout import (
    BACKUP_SUFFIX,
    PERFORMANCE_CONFIG,
    PERFORMANCE_DIR,
    QUARANTINE_DIR,
    SNAPSHOTS,
)
from core.standard.policy import DIR_MODE
from core.standard.times import compact_stamp
from core.storage import rootfs

_TRACKED: Final = frozenset({PERFORMANCE_CONFIG, SNAPSHOTS})
#: How long ``apply`` waits for another action on the same root.
ACTIONS_LOCK_TIMEOUT: Final = 60.0


@contextlib.contextmanager
def actions_lock(root: Path, timeout: float = ACTIONS_LOCK_TIMEOUT) -> Iterator[None]:
    """Serialize actions on one root (``data/.quarantine/.actions.lock``), after
    refusing a symlinked or foreign quarantine, ``logs/`` or audit log."""
    journal.check_own_paths(root)
    with (
        rootfs.dir_at(root, QUARANTINE_DIR, create=True) as base,
        rootfs.lock(base, "actions", timeout),
    ):
        yield


@contextlib.contextmanager
def path_lock(root: Path, rel: str, lock_for: str | None = None) -> Iterator[int]:
    """The lock a bot writer of ``rel`` takes (plus the tracking lock for performance
    files), opened through the containment layer; yields the file lock's descriptor."""
    # A .bak is written by its primary's writer, under the primary's lock.
    target = (lock_for or rel).removesuffix(BACKUP_SUFFIX)
    with contextlib.ExitStack() as stack:
        if target in _TRACKED:
            tracking = stack.enter_context(rootfs.dir_at(root, PERFORMANCE_DIR, create=True))
            stack.enter_context(rootfs.lock(tracking, "performance"))
        parent, name = stack.enter_context(rootfs.parent_of(root, target, create=True))
        yield stack.enter_context(rootfs.lock(parent, name))


@contextlib.contextmanager
def _maybe_lock(root: Path, rel: str | None) -> Iterator[None]:
    if rel is None:
        yield
        return
    with path_lock(root, rel):
        yield


def _same(current: Fingerprint, kind: object, sha: object) -> bool:
    return bool(current.kind == kind and current.sha256 == sha)


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
        stem = f"{compact_stamp(moment)}-{action}"
        name, counter = stem, 1
        with rootfs.dir_at(root, QUARANTINE_DIR, create=True) as base:
            while True:
                try:
                    base.mkdir_new(name, DIR_MODE)
                    break
                except FileExistsError:
                    counter += 1
                    name = f"{stem}-{counter}"
        return cls(root, action, name)

    @classmethod
    def load(cls, root: Path, action_id: str) -> Transaction:
        """Read an existing journal (for undo and recovery): only one this host's botstore
        signed, with clean paths (else :class:`UntrustedJournal`, an :class:`ActionError`)."""
        data = journal.load(root, action_id)
        tx = cls(root, str(data.get("action", "?")), action_id)
        tx.entries = list(data["entries"])
        tx.state = str(data.get("state", "pending"))
        return tx

    @property
    def qrel(self) -> str:
        return f"{QUARANTINE_DIR}/{self.action_id}"

    def qpath(self, rel: str) -> str:
        """Where ``rel`` goes in this action's quarantine (root-relative)."""
        return f"{self.qrel}/{rel}"

    def _save(self) -> None:
        journal.save(
            self.root,
            self.action_id,
            {
                "id": self.action_id,
                "action": self.action,
                "state": self.state,
                "entries": self.entries,
            },
        )

    def begin(self, steps: list[Step], lock_for: dict[str, str] | None = None) -> None:
        """Journal every planned change (state ``pending``) before any is made."""
        self.steps = list(steps)
        for step in steps:
            if step.op == "replace":
                self.entries.append(
                    {
                        "op": "replace",
                        "path": step.path,
                        "old_sha": step.before.sha256,
                        "old_kind": step.before.kind,
                        "old_mode": step.before.mode,
                        "copy": self.qpath(step.path) if step.before.exists else None,
                        "new_sha": step.after_sha256,
                    }
                )
            elif step.op == "move":
                self.entries.append(
                    {
                        "op": "move",
                        "path": step.path,
                        "sha": step.before.sha256,
                        "to": self.qpath(step.path),
                        "lock_for": (lock_for or {}).get(step.path),
                    }
                )
        self.state = "pending"
        try:
            self._save()
        except BaseException:
            self.state = "new"  # no journal on disk: nothing to settle
            raise

    def commit(self) -> None:
        """Record the commit point (every change made) in the journal."""
        self.state = "done"
        self._save()

    def expect(self, new: dict[str, str]) -> None:
        """Journal the sha256 of the bytes about to be written (before writing them)."""
        dirty = False
        for entry in self.entries:
            sha = new.get(str(entry["path"]))
            if entry["op"] == "replace" and sha is not None and entry.get("new_sha") != sha:
                entry["new_sha"] = sha
                dirty = True
        if dirty:
            self._save()

    # ----------------------------------------------------------------- operations

    def preserve(self, step: Step) -> bytes | None:
        """Verify ``step.path`` and copy the verified bytes into the quarantine (caller
        holds its lock); returns them (``None``: the file does not exist)."""
        payload, st = read_verified(self.root, step.path, step.before)
        if payload is None or st is None:
            return None
        dest = self.qpath(step.path)
        if rootfs.lstat(self.root, dest) is None:
            rootfs.create(self.root, dest, payload, stat.S_IMODE(st.st_mode))
        self.quarantined[step.path] = dest
        return payload

    def replace(
        self, step: Step, payload: bytes | Callable[[], bytes], mode: int | None = None
    ) -> None:
        """Under the bot's lock: verify, quarantine a copy of the old bytes, write ``payload``.

        A callable ``payload`` is called under the lock (to read a source the bot
        also writes, such as the ``.bak``).
        """
        with path_lock(self.root, step.path) as lock_fd:
            self.preserve(step)
            if callable(payload):
                payload = payload()
            final_mode = mode if mode is not None else (step.before.mode or 0o640)
            digest = sha256(payload)
            self.expect({step.path: digest})
            rootfs.write(
                self.root,
                step.path,
                payload,
                final_mode,
                lock_fd=None if step.path.endswith(BACKUP_SUFFIX) else lock_fd,
            )
        self.after[step.path] = digest

    def move(self, step: Step, lock_for: str | None = None) -> None:
        """Verify, then move ``step.path`` into the quarantine (same directory descriptor
        for the check and the rename).

        ``lock_for``: the path whose writer lock to hold meanwhile (a temp file's
        target); ``None`` for files no writer touches any more (old reports).
        """
        dest = self.qpath(step.path)
        with (
            _maybe_lock(self.root, lock_for),
            rootfs.parent_of(self.root, step.path) as (src, name),
            rootfs.parent_of(self.root, dest, create=True) as (dst, dest_name),
        ):
            st = src.lstat(name)
            digest = None
            if st is not None and stat.S_ISREG(st.st_mode) and step.before.sha256 is not None:
                payload, st = src.read(name)
                digest = sha256(payload)
            current = (
                Fingerprint("missing")
                if st is None
                else Fingerprint(
                    "file" if stat.S_ISREG(st.st_mode) else "other",
                    digest,
                    st.st_size,
                    stat.S_IMODE(st.st_mode),
                    st.st_ino,
                    st.st_dev,
                )
            )
            if not (
                _same(current, step.before.kind, step.before.sha256)
                and current.size == step.before.size
                and (current.inode, current.device) == (step.before.inode, step.before.device)
            ):
                raise ChangedSincePreview(
                    step.path, "now missing" if st is None else "content or identity differs"
                )
            rootfs.rename_new(src, name, dst, dest_name)
        self.quarantined[step.path] = dest
        self.after[step.path] = None

    # ----------------------------------------------------------------- rollback

    def status(self, entry: dict[str, Any]) -> str:
        """Where one journaled change stands: ``old`` (not made), ``new`` (the tree holds
        exactly what this action made), ``same`` (old and new are equal) or ``other``
        (something else wrote there since: never touched)."""
        rel = str(entry["path"])
        if entry["op"] == "move":
            here = rootfs.lstat(self.root, rel) is not None
            there = rootfs.lstat(self.root, str(entry["to"])) is not None
            return "new" if there else ("old" if here else "other")
        new_sha = entry.get("new_sha")
        if new_sha is not None and new_sha == entry.get("old_sha"):
            return "same"
        current = fingerprint(self.root, rel)
        if _same(current, entry.get("old_kind"), entry.get("old_sha")):
            return "old"
        if new_sha is not None and _same(current, "file", new_sha):
            return "new"
        return "other"

    def rollback(self) -> list[str]:
        """Undo every journaled change that holds exactly this action's bytes, then mark
        the journal rolled back; idempotent. Returns what it did (and what it left
        because newer data is there)."""
        done = self.undo_changes()
        self.state = "rolled_back"
        self._save()
        return done

    def undo_changes(self) -> list[str]:
        """The file half of :meth:`rollback` (the journal is not touched)."""
        done: list[str] = []
        for entry in reversed(self.entries):
            rel = str(entry["path"])
            status = self.status(entry)
            if status == "new":
                message = (
                    self._rollback_replace(entry, rel)
                    if entry["op"] == "replace"
                    else self._rollback_move(entry, rel)
                )
            elif status == "other":
                message = (
                    f"{rel}: holds other bytes than this action wrote (newer data); left as is"
                )
            else:
                message = None
            if message:
                done.append(message)
        return done

    def _rollback_replace(self, entry: dict[str, Any], rel: str) -> str | None:
        with path_lock(self.root, rel):
            if self.status(entry) != "new":  # re-checked under the bot's lock
                return f"{rel}: changed meanwhile; left as is"
            copy = entry.get("copy")
            if copy is None:  # the file did not exist before the action
                rootfs.unlink(self.root, rel)
                return f"{rel}: removed (did not exist before)"
            try:
                payload = read_beneath(self.root, str(copy))
            except (OSError, ActionError):
                return f"{rel}: quarantined copy missing; left as is"
            if sha256(payload) != entry.get("old_sha"):
                return f"{rel}: quarantined copy does not match its journal; left as is"
            rootfs.write(self.root, rel, payload, int(entry.get("old_mode") or 0o640))
            return f"{rel}: old bytes restored"

    def _rollback_move(self, entry: dict[str, Any], rel: str) -> str | None:
        lock_for = entry.get("lock_for")
        with _maybe_lock(self.root, str(lock_for) if lock_for else None):
            if rootfs.lstat(self.root, rel) is not None:
                return f"{rel}: recreated since; the moved copy stays in {entry['to']}"
            rootfs.move(self.root, str(entry["to"]), rel)
        return f"{rel}: moved back from quarantine"

    def settle(self) -> list[str]:
        """Recovery of a pending journal: roll forward when no change is left undone
        (it had committed), else roll back exactly."""
        statuses = [self.status(e) for e in self.entries]
        head = f"interrupted {self.action} {self.action_id}"
        if "old" not in statuses and {"new", "other"} & set(statuses):
            self.commit()
            return [f"{head} had made every change: completed (marked done), not rolled back"]
        messages = [f"rolled back {head}: {m}" for m in self.rollback()]
        return messages or [f"{head}: nothing had changed"]


def pending_journals(root: Path) -> list[str]:
    """Ids of actions that started but neither committed nor rolled back (signed ones)."""
    found: list[str] = []
    for action_id, state in journal.candidates(root):
        if state != "pending":
            continue
        with contextlib.suppress(UntrustedJournal):
            journal.load(root, action_id)
            found.append(action_id)
    return sorted(found)


def untrusted_journals(root: Path) -> list[str]:
    """Why each pending-looking journal botstore did not sign is refused."""
    refused: list[str] = []
    for action_id, state in journal.candidates(root):
        if state not in {"done", "rolled_back"}:
            try:
                journal.load(root, action_id)
            except UntrustedJournal as exc:
                refused.append(f"refused journal {QUARANTINE_DIR}/{action_id}: {exc}")
    try:
        with rootfs.dir_at(root, QUARANTINE_DIR) as base:
            for name in base.names():
                st = base.lstat(name)
                if st is not None and stat.S_ISLNK(st.st_mode):
                    refused.append(
                        f"refused {QUARANTINE_DIR}/{name}: a symlink in the "
                        "quarantine; never followed"
                    )
    except (OSError, ActionError):
        pass
    return refused


def recover_locked(root: Path) -> list[str]:
    """:func:`recover` for a caller holding :func:`actions_lock`."""
    messages = untrusted_journals(root)
    for action_id in pending_journals(root):
        try:
            messages += Transaction.load(root, action_id).settle()
        except (OSError, StorageError, ActionError) as exc:  # e.g. a path now through a symlink
            messages.append(
                f"refused to settle interrupted action {action_id}: {exc}; "
                "left pending, nothing changed by it"
            )
    return messages


def recover(root: str | os.PathLike[str]) -> list[str]:
    """Settle every action a crash left half-done (safe to call any time)."""
    base = Path(os.path.realpath(root))
    with actions_lock(base):
        return recover_locked(base)


Work = Callable[[Transaction], None]


Journal = list[Step] | Callable[[], list[Step]] | None


def execute(
    plan: Plan,
    work: Work,
    *,
    journal_steps: Journal = None,
    lock_for: dict[str, str] | None = None,
    audit_extra: dict[str, Any] | None = None,
    check_inode: bool = True,
) -> Result:
    """Run ``work`` for ``plan`` transactionally and audit it (see the module docstring).

    ``journal_steps``: what to journal (default: the plan's steps); a callable is
    evaluated under the actions lock. Never raises for OS, storage or action errors:
    they come back as a failed :class:`Result` (after the rollback), or — past the
    commit point — as ``committed`` with ``ok`` False. Other exceptions roll back
    and propagate.
    """
    if plan.errors:
        return Result(
            plan.action, False, "plan has errors; nothing changed: " + "; ".join(plan.errors)
        )
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
    audit_result(plan, result, before, result.after, audit_extra)
    return result


def _execute_locked(
    plan: Plan,
    work: Work,
    journal_steps: Journal,
    lock_for: dict[str, str] | None,
    check_inode: bool,
) -> Result:
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
    except BaseException as exc:
        outcome = "refused" if isinstance(exc, ChangedSincePreview) else "failed"
        state = "nothing changed"
        rolled: list[str] = []
        if tx is not None and tx.state == "pending":
            try:
                rolled = tx.undo_changes()
            except (OSError, StorageError, ActionError) as again:
                state = "rollback incomplete"
                rolled = [
                    f"rollback incomplete ({again}); it finishes on the next action or "
                    "`botstore restore --recover`"
                ]
            else:
                try:
                    tx.state = "rolled_back"
                    tx._save()
                except (OSError, StorageError, ActionError) as again:
                    tx.state = "pending"
                    rolled.append(f"its journal stays pending ({again}); the next action closes it")
        if not isinstance(exc, Exception):
            raise
        message = (
            str(exc)
            if isinstance(exc, (ActionError, StorageError))
            else (f"{type(exc).__name__}: {exc}")
        )
        return Result(
            plan.action,
            False,
            f"{outcome}, {state}: {message}",
            action_id=tx.action_id if tx else None,
            details=rolled,
        )
    # The commit point has passed: whatever fails from here on, the action is applied.
    result = Result(
        plan.action,
        True,
        plan.summary or "applied",
        action_id=tx.action_id,
        applied=list(plan.steps),
        quarantined=dict(tx.quarantined),
        after=dict(tx.after),
        committed=True,
    )
    try:
        tx.commit()
    except (OSError, StorageError, ActionError) as exc:
        applied_but(
            result, f"its journal was not marked done ({exc}); the next action completes it"
        )
    return result


def applied_but(result: Result, what: str) -> None:
    """Report a failure after the commit point: still applied, but not ok (exit non-zero)."""
    result.ok = False
    result.committed = True
    result.message = (
        f"{result.message}; {what}"
        if result.message.startswith("applied, but")
        else f"applied, but {what}"
    )


def audit_result(
    plan: Plan,
    result: Result,
    before: dict[str, str | None],
    after: dict[str, str | None],
    extra: dict[str, Any] | None,
) -> None:
    """Append the audit line for ``result``; a failure after the commit point is reported
    as ``applied, but …``."""
    payload = dict(extra or {})
    if result.quarantined:
        payload["quarantined"] = result.quarantined
    try:
        audit.record(
            plan.root,
            action=plan.action,
            action_id=result.action_id,
            result="ok" if result.ok else ("applied" if result.committed else "failed"),
            message=result.message,
            paths=plan.paths,
            before=before,
            after=after,
            extra=payload,
        )
    except (OSError, ActionError) as exc:
        if result.committed:
            applied_but(result, f"the audit line was not written ({exc})")
        else:
            result.details.append(f"audit log not written: {exc}")


def fingerprints(root: Path, rels: list[str]) -> tuple[tuple[str, Fingerprint], ...]:
    """``(rel, fingerprint)`` pairs for :attr:`Step.depends`."""
    return tuple((rel, fingerprint(root, rel)) for rel in rels)


_MOVED: Final = frozenset(
    {"TRACKING_FILES", "execute_tracking_change", "rewrite_tracking", "tracking_journal"}
)


def __getattr__(name: str) -> Any:
    """The tracking helpers moved to :mod:`core.actions.tracking`; old imports still work."""
    if name in _MOVED:
        from core.actions import tracking

        return getattr(tracking, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "JOURNAL_NAME",
    "Transaction",
    "actions_lock",
    "applied_but",
    "audit_result",
    "execute",
    "fingerprints",
    "path_lock",
    "pending_journals",
    "recover",
    "recover_locked",
    "untrusted_journals",
]
