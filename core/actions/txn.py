"""One action's transaction: its quarantine directory and its signed journal.

A :class:`Transaction` journals every planned change before any is made
(:meth:`~Transaction.begin`, and :meth:`~Transaction.expect` for the hash of
new bytes before they are written), makes the changes
(:meth:`~Transaction.preserve`, :meth:`~Transaction.replace`,
:meth:`~Transaction.move`: old bytes are copied or moved into the quarantine,
nothing is deleted), marks the commit point (:meth:`~Transaction.commit`) and
undoes exactly (:meth:`~Transaction.rollback`). :mod:`core.actions.protocol`
runs it for every changing action; :mod:`core.actions.rollforward` settles one
a crash left pending.

Rollback is exact: a file is put back only while it still holds the bytes this
action wrote (never over newer data from the bot), moved files move back. A
pending journal with no change left undone is *rolled forward* (marked
``done``): it had committed (:meth:`~Transaction.settle`). A journal that is
not signed by this host, or names paths outside the root or its own
quarantine, is refused with a message and never acted on
(:func:`core.actions.journal.load`). Every change goes through
:mod:`core.storage.rootfs` (descriptor-relative, no symlink followed).
"""

from __future__ import annotations

import datetime as _dt
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.actions import journal
from core.actions.base import (
    ActionError,
    ChangedSincePreview,
    Fingerprint,
    Step,
)
from core.actions.locks import maybe_lock, path_lock
from core.actions.safety import fingerprint, read_beneath, read_verified, sha256
from core.errors import StorageError
from core.standard.layout import (
    BACKUP_SUFFIX,
    QUARANTINE_DIR,
)
from core.standard.policy import DIR_MODE
from core.standard.times import compact_stamp
from core.storage import rootfs


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

    def replace_previewed(
        self, step: Step, payload: bytes, made: str, mode: int | None = None
    ) -> None:
        """:meth:`replace` with bytes made at preview time, refused unless they hash to what
        the preview showed (``made``: how they were made, for the message)."""
        if sha256(payload) != step.after_sha256:
            raise ChangedSincePreview(step.path, f"{made} content differs")
        self.replace(step, payload, mode)

    def move(self, step: Step, lock_for: str | None = None) -> None:
        """Verify, then move ``step.path`` into the quarantine (same directory descriptor
        for the check and the rename).

        ``lock_for``: the path whose writer lock to hold meanwhile (a temp file's
        target); ``None`` for files no writer touches any more (old reports).
        """
        dest = self.qpath(step.path)
        with (
            maybe_lock(self.root, lock_for),
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
        self.mark_rolled_back()
        return done

    def mark_rolled_back(self) -> None:
        """Record that every change is undone (state ``rolled_back``); when that write
        fails the journal stays ``pending`` (the next action settles it) and this raises."""
        self.state = "rolled_back"
        try:
            self._save()
        except (OSError, StorageError, ActionError):
            self.state = "pending"
            raise

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
        with maybe_lock(self.root, str(lock_for) if lock_for else None):
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


__all__ = ["Transaction"]
