"""The per-host key that authenticates action journals (kept outside the tree).

Whoever can write the bot's tree can write ``data/.quarantine/<id>/.action.json``
too, so a journal is only acted on (rolled back, rolled forward, undone) when
its HMAC-SHA256 under this key is right. The key lives in a state directory
that the tree's user cannot write: ``$BOTSTORE_STATE_DIR``, else
``/var/lib/botstore`` for root, else ``$XDG_STATE_HOME/botstore``
(``~/.local/state/botstore``). The directory is 700 and the key file 600, both
owned by the current user; anything else is refused.
"""

# ruff: noqa: PTH103

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import stat
import threading
from pathlib import Path
from typing import Final

from core.actions.base import ActionError
from core.storage.statedir import state_dir

KEY_NAME: Final = "journal.key"
_KEY_BYTES: Final = 32
_cache: dict[str, bytes] = {}
_guard = threading.Lock()


class StateDirError(ActionError):
    """The state directory or its key is missing, unsafe or unreadable."""

    code = "state_dir"


def _check_owned(path: Path, st: os.stat_result, what: str) -> None:
    if st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) & 0o077:
        raise StateDirError(
            f"{path}: {what} must be owned by uid {os.geteuid()} and private "
            f"(mode {stat.S_IMODE(st.st_mode):o}); journals cannot be trusted"
        )


def _load(directory: Path) -> bytes:
    with contextlib.suppress(FileExistsError):
        os.makedirs(directory, 0o700)
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode):
        raise StateDirError(f"{directory}: state directory is not a directory")
    _check_owned(directory, st, "the state directory")
    dfd = os.open(directory, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        try:
            fd = os.open(
                KEY_NAME,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=dfd,
            )
        except FileExistsError:
            pass
        else:
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, os.urandom(_KEY_BYTES))
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(KEY_NAME, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dfd)
        try:
            kst = os.fstat(fd)
            if not stat.S_ISREG(kst.st_mode):
                raise StateDirError(f"{directory / KEY_NAME}: not a regular file")
            _check_owned(directory / KEY_NAME, kst, "the journal key")
            key = os.read(fd, 4096)
        finally:
            os.close(fd)
    finally:
        os.close(dfd)
    if len(key) < _KEY_BYTES:
        raise StateDirError(f"{directory / KEY_NAME}: key is truncated")
    return key


def key() -> bytes:
    """This host's journal key (created on first use)."""
    directory = state_dir()
    name = os.fspath(directory)
    with _guard:
        cached = _cache.get(name)
        if cached is not None:
            return cached
        try:
            loaded = _load(directory)
        except OSError as exc:
            raise StateDirError(
                f"{directory}: state directory unusable ({os.strerror(exc.errno or errno.EIO)})"
            ) from exc
        _cache[name] = loaded
        return loaded


def sign(message: bytes) -> str:
    return hmac.new(key(), message, hashlib.sha256).hexdigest()


def valid(message: bytes, mac: object) -> bool:
    return isinstance(mac, str) and hmac.compare_digest(sign(message), mac)


__all__ = ["KEY_NAME", "StateDirError", "key", "sign", "valid"]
