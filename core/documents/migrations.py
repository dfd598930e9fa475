"""Versioned migrations of the JSON files, registered per kind; current version ``"1.0"``.

A migration is a pure function registered with :func:`migration` for one
``kind`` and one ``from_version -> to_version`` step; :func:`migrate` chains
steps up to :data:`core.documents.schemas.CURRENT_VERSION`. Functions receive a shallow
copy of the top-level object and must not mutate nested values (so a
87,600-snapshot file is never deep-copied).

Files without ``"version"``:

- ``performance_config``: 0.9 when it still uses 0.9 field names
  (``start_date``/``frequency``), else 1.0 missing its stamp (stamped);
- ``snapshots``: the bare JSON list the bot writes *is* 1.0 (nothing to do);
  the ``{"version", "snapshots": [...]}`` object older botstore releases wrote
  is unwrapped back into that list (the bot reads the object as no snapshots
  and its next snapshot would overwrite the history);
- every other kind: unversioned means current, nothing to do.

A migration never changes the container type the bot uses for a file: every
result is in the bot's own format (:func:`migrate` asserts the list kinds stay
lists).

A version newer than current, unknown, or not a ``"N.N"`` string raises
:class:`core.errors.VersionError`; such a file is never rewritten.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from core.documents.schemas import (
    LIST_KINDS,
    SCHEMA_NAMES,
    VERSIONED_KINDS,
    validate,
)
from core.errors import SchemaViolation, VersionError
from core.standard.formats import CURRENT_VERSION
from core.storage.lock import file_lock
from core.storage.read import read_json
from core.storage.write import write_json

Migration = Callable[[dict[str, Any]], dict[str, Any]]

#: Pseudo-version of the wrapped ``{"version", "snapshots"}`` object (never a ``version`` value).
WRAPPED: Final = "wrapped"
#: Former name of the pseudo-version (the bare list used to be called legacy).
LEGACY_LIST: Final = WRAPPED

_VERSION_RE: Final = re.compile(r"\d+(\.\d+)*")


@dataclass(frozen=True)
class Step:
    """One registered migration step."""

    kind: str
    from_version: str
    to_version: str
    description: str
    func: Migration


_REGISTRY: dict[str, dict[str, Step]] = {}


def migration(
    kind: str, from_version: str, to_version: str, description: str
) -> Callable[[Migration], Migration]:
    """Register the decorated function as ``kind``'s ``from_version -> to_version`` step."""
    if kind not in SCHEMA_NAMES:
        raise ValueError(f"unknown kind {kind!r}")

    def register(func: Migration) -> Migration:
        steps = _REGISTRY.setdefault(kind, {})
        if from_version in steps:
            raise ValueError(f"{kind}: a migration from {from_version} is already registered")
        steps[from_version] = Step(kind, from_version, to_version, description, func)
        return func

    return register


def registered_steps(kind: str) -> tuple[Step, ...]:
    """The steps registered for ``kind`` (for ``botstore migrate`` previews)."""
    return tuple(_REGISTRY.get(kind, {}).values())


# --------------------------------------------------------------------------- the migrations


@migration(
    "performance_config",
    "0.9",
    "1.0",
    "rename start_date/frequency to tracking_start_date/snapshot_frequency, "
    "add performance_reset_history [] and tracking_enabled true",
)
def _config_0_9_to_1_0(data: dict[str, Any]) -> dict[str, Any]:
    for old, new in (("start_date", "tracking_start_date"), ("frequency", "snapshot_frequency")):
        if old in data:
            value = data.pop(old)
            data.setdefault(new, value)  # a 1.0 key already present wins
    data.setdefault("performance_reset_history", [])
    data.setdefault("tracking_enabled", True)
    return data


@migration(
    "snapshots",
    WRAPPED,
    "1.0",
    'unwrap {"version", "snapshots": [...]} into the bare list of snapshots the bot reads',
)
def _snapshots_wrapped_to_1_0(data: dict[str, Any]) -> dict[str, Any]:
    return {"snapshots": data["snapshots"]}  # unwrapped by migrate() (a list kind)


# --------------------------------------------------------------------------- engine


def _parse(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _error(kind: str, reason: str) -> VersionError:
    return VersionError(f"<{kind}>", reason)


def detect_version(kind: str, data: Any) -> tuple[str, bool]:
    """``(version, stamped)``: the data's version and whether a ``version`` key says so
    (data that is not an object counts as stamped current: there is nothing to migrate).

    Raises :class:`VersionError` for a malformed or newer version.
    """
    if kind not in SCHEMA_NAMES:
        raise ValueError(f"unknown schema kind {kind!r}")
    if kind == "snapshots" and isinstance(data, dict) and isinstance(data.get("snapshots"), list):
        if "version" in data:
            _check_version(kind, data["version"])
        return WRAPPED, False
    if not isinstance(data, dict):
        return CURRENT_VERSION, True  # not an object: nothing to migrate, validation reports it
    if "version" not in data:
        if kind == "performance_config" and (
            ("start_date" in data or "frequency" in data) and "tracking_start_date" not in data
        ):
            return "0.9", False
        return CURRENT_VERSION, False
    return _check_version(kind, data["version"]), True


def _check_version(kind: str, version: Any) -> str:
    """``version`` when it is a known-format version not newer than current; else raise."""
    if not isinstance(version, str) or not _VERSION_RE.fullmatch(version):
        raise _error(kind, f'version {version!r} is not a version string like "1.0"')
    if _parse(version) > _parse(CURRENT_VERSION):
        raise _error(
            kind,
            f"version {version} is newer than the supported {CURRENT_VERSION}; "
            "upgrade botstore (the file is left as it is)",
        )
    return version


def needs_migration(kind: str, data: Any) -> bool:
    """True when ``data`` is an older version, or a versioned kind missing its ``version``.

    Raises :class:`VersionError` for newer/malformed versions and for old
    versions with no migration path.
    """
    version, stamped = detect_version(kind, data)
    if version != CURRENT_VERSION:
        _path(kind, version)
        return True
    return not stamped and kind in VERSIONED_KINDS


def _path(kind: str, version: str) -> list[Step]:
    steps: list[Step] = []
    seen: set[str] = set()
    while version != CURRENT_VERSION:
        step = _REGISTRY.get(kind, {}).get(version)
        if step is None or version in seen:
            shown = "a wrapped snapshots object" if version == WRAPPED else f"version {version}"
            raise _error(kind, f"unknown {shown}: no migration to {CURRENT_VERSION}")
        seen.add(version)
        steps.append(step)
        version = step.to_version
    return steps


def migrate(kind: str, data: Any) -> tuple[Any, list[str]]:
    """Bring ``data`` to the current version without touching the input.

    Returns ``(new_data, steps)`` where ``steps`` are human descriptions (empty
    and ``data`` itself when nothing is needed). Data that is not an object
    is returned as is: validation reports it. Kinds the bot stores as a JSON
    list always come out as a list.
    """
    version, stamped = detect_version(kind, data)
    if version == CURRENT_VERSION and (stamped or kind not in VERSIONED_KINDS):
        return data, []
    current: dict[str, Any] = dict(data)
    done: list[str] = []
    for step in _path(kind, version):
        current = step.func(dict(current))
        current["version"] = step.to_version
        shown = "wrapped object" if step.from_version == WRAPPED else step.from_version
        done.append(f"{kind} {shown} -> {step.to_version}: {step.description}")
    if kind in LIST_KINDS:
        return list(current["snapshots"]), done
    if "version" not in current:
        current["version"] = CURRENT_VERSION
        done.append(f'{kind}: add the missing "version": "{CURRENT_VERSION}"')
    return current, done


def migrate_file(path: str | os.PathLike[str], kind: str) -> list[str]:
    """Migrate the file at ``path`` in place; returns the steps applied (empty: nothing to do).

    Under the file's advisory lock: read, migrate, validate the result (a
    :class:`SchemaViolation` leaves the file untouched), then save atomically
    keeping the previous version as ``.bak``.
    """
    target = Path(path)
    with file_lock(target):
        data = read_json(target)
        try:
            if not needs_migration(kind, data):
                return []
            new, steps = migrate(kind, data)
        except VersionError as exc:
            raise VersionError(target, exc.reason) from exc
        violations = validate(kind, new)
        if violations:
            raise SchemaViolation(target, [f"after migration: {v}" for v in violations])
        write_json(target, new, backup=True)  # under file_lock: it is reentrant
    return steps


__all__ = [
    "CURRENT_VERSION",
    "LEGACY_LIST",
    "WRAPPED",
    "Step",
    "detect_version",
    "migrate",
    "migrate_file",
    "migration",
    "needs_migration",
    "registered_steps",
]
