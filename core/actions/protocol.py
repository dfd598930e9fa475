"""The commit protocol: how ``apply`` of every changing action runs, all or nothing.

:func:`execute` runs a plan in these steps:

1. **lock**: refuse when the quarantine, ``logs/`` or the audit log is a
   symlink or foreign (:func:`core.actions.journal.check_own_paths`), then take
   the actions lock (:func:`core.actions.locks.actions_lock`, one action at a
   time per root);
2. **settle**: settle any journal a crashed action left ``pending``
   (:func:`core.actions.rollforward.recover_locked`);
3. **verify**: check every step's fingerprint, and those it depends on,
   against the preview (refuse on change);
4. **journal**: create ``data/.quarantine/<UTC stamp>-<action>/`` and write its
   signed journal ``.action.json`` (state ``pending``, every planned change)
   *before* touching anything; the hash of every file's new bytes is journaled
   before they are written (:class:`core.actions.txn.Transaction`);
5. **change**: run the action's work: each replaced file is first copied into
   that directory (the very bytes that were verified: one read), each removed
   file is moved there — nothing is ever deleted;
6. **commit**: the commit point is passed when every change is made; the
   journal is then marked ``done``;
7. **audit**: the audit line is appended.

Commit is the truth: past step 6 the action is applied, and a failure to mark
the journal or to write the audit line is reported as ``applied, but …``
(``committed`` True, ``ok`` False, non-zero exit), never rolled back. A failure
before it — or a crash, settled by the next action — is rolled back exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.actions import audit
from core.actions.base import ActionError, ChangedSincePreview, Plan, Result, Step
from core.actions.locks import actions_lock
from core.actions.rollforward import recover_locked
from core.actions.safety import verify
from core.actions.txn import Transaction
from core.errors import StorageError

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
        with actions_lock(plan.root):  # 1. lock
            recovered = recover_locked(plan.root)  # 2. settle
            result = _execute_locked(plan, work, journal_steps, lock_for, check_inode)
    except (OSError, StorageError, ActionError) as exc:  # lock or recovery of an older action
        result = Result(plan.action, False, f"failed before starting, nothing changed: {exc}")
        recovered = []
    result.details[:0] = recovered
    audit_result(plan, result, before, result.after, audit_extra)  # 7. audit
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
        for step in plan.steps:  # 3. verify
            verify(root, step.path, step.before, check_inode=check_inode)
            for rel, expected in step.depends:
                verify(root, rel, expected, check_inode=check_inode)
        if callable(journal_steps):
            journal_steps = journal_steps()
        tx = Transaction.create(root, plan.action)  # 4. journal
        tx.begin(journal_steps if journal_steps is not None else plan.steps, lock_for)
        work(tx)  # 5. change
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
                    tx.mark_rolled_back()
                except (OSError, StorageError, ActionError) as again:
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
    # 6. commit. The commit point has passed: whatever fails from here on, the action is
    # applied.
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


__all__ = ["applied_but", "audit_result", "execute"]
