"""Action journals (``data/.quarantine/<id>/.action.json``): written signed, read as untrusted.

The tree's user can write the quarantine, so a journal found there may be
planted. :func:`load` accepts one only when its HMAC under the host key
(:mod:`core.actions.hostkey`) is right *and* every entry is well formed: an
``op`` we write, a clean root-relative ``path`` outside the quarantine, and a
``copy``/``to`` inside this action's own quarantine directory. Anything else is
:class:`UntrustedJournal` with a message saying why — never a traceback.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, Final

import orjson

from core.actions import hostkey
from core.actions.base import ActionError
from core.standard.layout import ACTIONS_LOG, LOGS_DIR, QUARANTINE_DIR
from core.storage import rootfs

JOURNAL_NAME: Final = ".action.json"
JOURNAL_MODE: Final = 0o640
_CONTEXT: Final = b"botstore-journal-v1\x00"
_ID: Final = re.compile(r"[0-9A-Za-z][0-9A-Za-z_.-]{0,200}")
_OPS: Final = frozenset({"replace", "move"})


class UntrustedJournal(ActionError):
    """A journal botstore did not write (or that was altered): never acted on."""

    code = "untrusted_journal"


def _message(body: dict[str, Any]) -> bytes:
    return _CONTEXT + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def journal_rel(action_id: str) -> str:
    return f"{QUARANTINE_DIR}/{action_id}/{JOURNAL_NAME}"


def save(root: Path, action_id: str, body: dict[str, Any]) -> None:
    """Sign ``body`` and replace the journal atomically (through the containment layer)."""
    signed = dict(body, mac=hostkey.sign(_message(body)))
    payload = orjson.dumps(signed, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    rootfs.write(root, journal_rel(action_id), payload, JOURNAL_MODE)


def check_id(action_id: str) -> None:
    if not _ID.fullmatch(action_id or "") or ".." in action_id:
        raise UntrustedJournal(f"{action_id!r} is not an action id")


def _check_entry(action_id: str, entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict) or entry.get("op") not in _OPS:
        raise UntrustedJournal(f"journal of {action_id}: entry {entry!r} is not one we write")
    own = f"{QUARANTINE_DIR}/{action_id}/"
    for key in ("path", "copy", "to"):
        value = entry.get(key)
        if value is None and key != "path":
            continue
        if not isinstance(value, str):
            raise UntrustedJournal(f"journal of {action_id}: {key} {value!r} is not a path")
        try:
            rootfs.parts(value)
        except rootfs.OutsideRoot as exc:
            raise UntrustedJournal(
                f"journal of {action_id}: {key} {value!r} leaves the root (absolute or '..')"
            ) from exc
        inside = value.startswith(own)
        if key == "path" and (value == QUARANTINE_DIR or value.startswith(QUARANTINE_DIR + "/")):
            raise UntrustedJournal(f"journal of {action_id}: path {value!r} is in the quarantine")
        if key != "path" and not inside:
            raise UntrustedJournal(
                f"journal of {action_id}: {key} {value!r} is outside its own quarantine directory"
            )
    return dict(entry)


def load(root: Path, action_id: str) -> dict[str, Any]:
    """The verified body of ``action_id``'s journal (:class:`UntrustedJournal` otherwise)."""
    check_id(action_id)
    rel = journal_rel(action_id)
    try:
        payload, _st = rootfs.read(root, rel)
    except rootfs.OutsideRoot as exc:
        raise UntrustedJournal(f"journal of {action_id}: {exc}") from exc
    except (OSError, ActionError) as exc:
        raise UntrustedJournal(f"no readable journal for action {action_id}: {exc}") from exc
    try:
        data = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise UntrustedJournal(f"journal of {action_id} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UntrustedJournal(f"journal of {action_id} is not an object")
    mac = data.pop("mac", None)
    try:
        signed = hostkey.valid(_message(data), mac)
    except hostkey.StateDirError as exc:
        raise UntrustedJournal(f"journal of {action_id} cannot be verified: {exc}") from exc
    if not signed:
        raise UntrustedJournal(
            f"journal of {action_id} is not signed by this host's botstore "
            "(planted or altered); not acted on"
        )
    if data.get("id") != action_id or not isinstance(data.get("entries"), list):
        raise UntrustedJournal(f"journal of {action_id} names another action")
    data["entries"] = [_check_entry(action_id, e) for e in data["entries"]]
    return data


def candidates(root: Path) -> list[tuple[str, str]]:
    """``(id, raw state)`` of every quarantine entry holding a journal (unverified)."""
    found: list[tuple[str, str]] = []
    try:
        with rootfs.dir_at(root, QUARANTINE_DIR) as base:
            for name in base.names():
                st = base.lstat(name)
                if st is None or not stat.S_ISDIR(st.st_mode):
                    continue
                try:
                    with base.sub(name) as entry:
                        payload, _ = entry.read(JOURNAL_NAME)
                except (OSError, ActionError):
                    continue
                try:
                    state = orjson.loads(payload).get("state")
                except (orjson.JSONDecodeError, AttributeError):
                    state = "unreadable"
                found.append((name, str(state)))
    except (FileNotFoundError, NotADirectoryError, rootfs.OutsideRoot):
        return []
    return found


def check_own_paths(root: Path) -> None:
    """Refuse to act when the quarantine, ``logs/`` or the audit log is a symlink, not
    the expected type, or owned by someone else than us or the root's owner."""
    with rootfs.Dir.open_root(root) as top:
        allowed = {os.geteuid(), top.stat_self().st_uid}
    for rel, kind in (
        (QUARANTINE_DIR, stat.S_IFDIR),
        (LOGS_DIR, stat.S_IFDIR),
        (ACTIONS_LOG, stat.S_IFREG),
    ):
        try:
            st = rootfs.lstat(root, rel)
        except rootfs.OutsideRoot as exc:
            raise ActionError(f"{exc}; refusing to act, nothing written") from exc
        if st is None:
            continue
        if stat.S_ISLNK(st.st_mode):
            raise ActionError(f"{rel} is a symlink; refusing to act, nothing written")
        if stat.S_IFMT(st.st_mode) != kind:
            raise ActionError(
                f"{rel} is not a {'directory' if kind == stat.S_IFDIR else 'file'}"
                "; refusing to act, nothing written"
            )
        if st.st_uid not in allowed:
            raise ActionError(
                f"{rel} is owned by uid {st.st_uid}, not by uid "
                f"{' or '.join(map(str, sorted(allowed)))}; refusing to act, "
                "nothing written"
            )
        if kind == stat.S_IFREG and st.st_nlink > 1:
            raise ActionError(
                f"{rel} has {st.st_nlink} hard links; refusing to act, nothing written"
            )


__all__ = [
    "JOURNAL_NAME",
    "UntrustedJournal",
    "candidates",
    "check_id",
    "check_own_paths",
    "journal_rel",
    "load",
    "save",
]
