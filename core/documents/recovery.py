"""The standard's "load with recovery" for critical files: primary, then ``.bak``, then a fallback.

Unlike the standard's snippet, every failure is kept (``RecoveryResult.problems``)
instead of being logged and swallowed, a bad primary is never deleted (with
``repair=True`` it is moved under ``data/.quarantine/<UTC stamp>/``), and the
recovered data is written back atomically under the file's advisory lock, so a
repair never interleaves with a bot save.
"""

# OS calls go through ``os`` on purpose (as in core.storage.write): tests inject faults there.
# ruff: noqa: PTH100, PTH104, PTH108

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from core.documents.schemas import SCHEMA_NAMES
from core.documents.validation import judge_data
from core.errors import (
    SchemaViolation,
    SerializationError,
    StorageError,
    VersionError,
    WriteFailed,
)
from core.standard.layout import DATA_DIR, QUARANTINE_DIR
from core.standard.times import compact_stamp
from core.storage.codec import dumps
from core.storage.fsops import ensure_dir, fsync_dir
from core.storage.lock import file_lock
from core.storage.names import backup_path
from core.storage.read import DEFAULT_MAX_BYTES, read_json
from core.storage.write import write_json

PathLike = str | os.PathLike[str]
Source = Literal["primary", "backup", "fallback"]
#: A validator raises (any exception) when the data is not acceptable; its return value is ignored.
Validator = Callable[[Any], object]


@dataclass(frozen=True)
class RecoveryResult:
    """What :func:`load_with_recovery` loaded, from where, and what was wrong on the way."""

    data: Any
    source: Source
    problems: list[StorageError] = field(default_factory=list)
    #: Where the bad primary went (``repair=True`` only).
    quarantined: Path | None = None
    #: True when the recovered data was written back to the primary path.
    repaired: bool = False


class RecoveryFailed(StorageError):
    """Primary, backup and fallback all failed; ``problems`` says why for each."""

    code = "recovery"

    def __init__(self, path: PathLike, problems: list[StorageError]) -> None:
        self.problems = problems
        detail = "; ".join(str(p) for p in problems) or "no source available"
        super().__init__(path, f"no usable data: {detail}")


# --------------------------------------------------------------------------- quarantine


def default_root(path: PathLike) -> Path:
    """The bot root for ``path``: the directory holding the nearest ``data/`` ancestor,
    else the file's own directory."""
    absolute = Path(os.path.abspath(path))
    for parent in absolute.parents:
        if parent.name == DATA_DIR:
            return parent.parent
    return absolute.parent


def _quarantine_target(path: Path, root: Path, now: _dt.datetime) -> Path:
    absolute = Path(os.path.abspath(path))
    try:
        relative = absolute.relative_to(os.path.abspath(root))
    except ValueError:
        relative = Path(absolute.name)
    base = root / QUARANTINE_DIR
    stamp = compact_stamp(now)
    candidate = base / stamp / relative
    counter = 1
    while os.path.lexists(candidate):
        candidate = base / f"{stamp}-{counter}" / relative
        counter += 1
    return candidate


def _quarantine_locked(path: Path, root: PathLike | None, now: _dt.datetime | None) -> Path:
    """Move ``path`` into the quarantine; the caller holds ``file_lock(path)``."""
    base = Path(root) if root is not None else default_root(path)
    target = _quarantine_target(path, base, now or _dt.datetime.now(_dt.UTC))
    ensure_dir(target.parent)
    try:
        os.rename(path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # the quarantine is on another filesystem
            raise WriteFailed(path, f"cannot quarantine: {exc.strerror or exc}", cause=exc) from exc
        _copy_then_unlink(path, target)
    for directory in {target.parent, path.parent}:
        with contextlib.suppress(OSError):
            fsync_dir(directory)
    return target


def _copy_then_unlink(path: Path, target: Path) -> None:
    """Cross-filesystem move: bytes and mode copied and fsynced before the original goes."""
    try:
        shutil.copy2(path, target, follow_symlinks=False)
        if not target.is_symlink():
            _fsync_path(target)
        os.unlink(path)
    except OSError as exc:
        raise WriteFailed(path, f"cannot quarantine: {exc.strerror or exc}", cause=exc) from exc


def quarantine(
    path: PathLike, root: PathLike | None = None, *, now: _dt.datetime | None = None
) -> Path:
    """Move ``path`` to ``<root>/data/.quarantine/<UTC yyyymmddTHHMMSSZ>/<path relative to root>``.

    The file is renamed, never copied-and-rewritten or deleted, so its bytes and
    mode are kept. ``root`` defaults to :func:`default_root`. Takes the file's
    advisory lock so it never moves a file in the middle of a bot save. Returns
    the new location.
    """
    source = Path(path)
    if not os.path.lexists(source):
        raise WriteFailed(source, "cannot quarantine: does not exist")
    with file_lock(source):
        return _quarantine_locked(source, root, now)


# --------------------------------------------------------------------------- locked write


def _fsync_path(path: Path, flags: int = os.O_RDONLY) -> None:
    fd = os.open(path, flags | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_locked(
    path: PathLike, data: Any, *, backup: bool = True, mode: int | None = None
) -> None:
    """Atomically save ``data`` at ``path`` for a caller that already holds ``file_lock(path)``.

    ``core.storage.lock.file_lock`` is reentrant within a thread, so this is simply
    ``write_json`` — kept as a name so callers state that they hold the lock.
    """
    write_json(path, data, backup=backup, mode=mode)


# --------------------------------------------------------------------------- loading

#: Internal form of a validator: raises when unacceptable, returns the data to use.
_Check = Callable[[Any], Any]


def _schema_check(kind: str) -> _Check:
    """Check for a schema kind: migrate in memory (an old version is not corruption), then
    validate against the current schema; returns the migrated data."""
    if kind not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema kind {kind!r}")

    def check(data: Any) -> Any:
        verdict = judge_data("<data>", data, kind)
        if verdict.code == "version":
            raise VersionError("<data>", verdict.problems[0])
        if verdict.code is not None:
            raise SchemaViolation("<data>", verdict.problems)
        return verdict.migrated

    return check


def _user_check(func: Validator) -> _Check:
    def check(data: Any) -> Any:
        func(data)
        return data

    return check


def _checked(path: Path, data: Any, check: _Check | None) -> Any:
    """Run ``check``; every failure becomes a StorageError naming ``path``."""
    if check is None:
        return data
    try:
        return check(data)
    except VersionError as exc:
        raise VersionError(path, exc.reason) from exc
    except SchemaViolation as exc:
        raise SchemaViolation(path, exc.violations) from exc
    except StorageError:
        raise
    except Exception as exc:  # caller-supplied validators may raise anything
        raise SchemaViolation(path, [f"(root): {type(exc).__name__}: {exc}"]) from exc


def load_with_recovery(
    primary: PathLike,
    *,
    backup: PathLike | None = None,
    validate: Validator | str | None = None,
    fallback: Callable[[], Any] | None = None,
    repair: bool = False,
    root: PathLike | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> RecoveryResult:
    """Load ``primary``; on any problem try ``backup`` (default ``primary + ".bak"``), then
    ``fallback()``.

    ``validate`` is a callable that raises on unacceptable data (its return
    value is ignored), or a schema kind (``"portfolio"``): then old versions are
    migrated in memory and the result holds the current version. A
    :class:`VersionError` (newer or unknown version) is raised at once: such a
    file is not corrupt and must not be replaced by an older backup. Fallback
    data is validated too.

    ``repair=True`` (all under the primary's advisory lock): a bad primary is
    quarantined (see :func:`quarantine`; ``root`` as there) and the recovered
    data written in its place atomically, keeping the primary's mode; ``.bak``
    is left as it is. A non-regular primary (directory, FIFO) is not touched.
    Raises :class:`RecoveryFailed` listing every problem when no source works.
    """
    primary_path = Path(primary)
    backup_file = Path(backup) if backup is not None else backup_path(primary_path)
    check: _Check | None = None
    if isinstance(validate, str):
        check = _schema_check(validate)
    elif validate is not None:
        check = _user_check(validate)
    if not repair:
        return _load(primary_path, backup_file, check, fallback, max_bytes)
    ensure_dir(primary_path.parent)
    with file_lock(primary_path):
        result = _load(primary_path, backup_file, check, fallback, max_bytes)
        if result.source == "primary":
            return result
        return _repair(primary_path, result, root)


def _load(
    primary: Path,
    backup: Path,
    check: _Check | None,
    fallback: Callable[[], Any] | None,
    max_bytes: int,
) -> RecoveryResult:
    problems: list[StorageError] = []
    sources: tuple[tuple[Source, Path], ...] = (("primary", primary), ("backup", backup))
    for source, path in sources:
        try:
            data = _checked(path, read_json(path, max_bytes=max_bytes), check)
        except VersionError:
            raise
        except StorageError as exc:
            problems.append(exc)
            continue
        return RecoveryResult(data=data, source=source, problems=problems)
    if fallback is not None:
        label = Path(f"{primary} (fallback)")
        try:
            data = _checked(label, fallback(), check)
        except VersionError:
            raise
        except StorageError as exc:
            problems.append(exc)
        except Exception as exc:  # noqa: BLE001 - caller-supplied factory
            problems.append(StorageError(label, f"fallback failed: {type(exc).__name__}: {exc}"))
        else:
            return RecoveryResult(data=data, source="fallback", problems=problems)
    raise RecoveryFailed(primary, problems)


def _repair(primary: Path, result: RecoveryResult, root: PathLike | None) -> RecoveryResult:
    """Quarantine the bad primary (if any) and write the recovered data in its place."""
    try:
        dumps(result.data)  # refuse before moving anything
    except TypeError as exc:
        raise SerializationError(primary, f"cannot serialize recovered data: {exc}") from exc
    moved: Path | None = None
    mode: int | None = None
    if os.path.lexists(primary):
        st = os.lstat(primary)
        if stat.S_ISREG(st.st_mode):
            mode = stat.S_IMODE(st.st_mode)
        elif not stat.S_ISLNK(st.st_mode):
            return result  # a directory/FIFO/device: leave it to an operator
        moved = _quarantine_locked(primary, root, None)
    write_json_locked(primary, result.data, backup=False, mode=mode)
    return RecoveryResult(
        data=result.data,
        source=result.source,
        problems=result.problems,
        quarantined=moved,
        repaired=True,
    )


__all__ = [
    "RecoveryFailed",
    "RecoveryResult",
    "default_root",
    "load_with_recovery",
    "quarantine",
    "write_json_locked",
]
