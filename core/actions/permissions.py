"""Fix permissions: set every directory and file under the root to the policy mode.

The policy is the health engine's (:func:`core.standard.policy.file_mode`: dirs 750,
JSON 640, logs 644, sensitive 600), so what ``botstore check`` flags is what
this fixes. By default only modes that grant *more* than the policy are
changed; ``exact=True`` also loosens stricter modes. Symlinks (wherever they
point), special files and anything outside the root are skipped and reported;
changes go through descriptors opened with ``O_NOFOLLOW`` from the root down.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Collection
from pathlib import Path

import orjson

from core.actions import audit
from core.actions.base import ActionError, Fingerprint, Plan, Result, Skipped, Step
from core.actions.locks import actions_lock
from core.actions.protocol import applied_but
from core.actions.rollforward import recover_locked
from core.actions.safety import chmod_beneath, read_beneath, real_root
from core.config import Config, load_config
from core.errors import StorageError
from core.health.walk import walk
from core.standard.findings import Finding
from core.standard.layout import ACTIONS_LOG
from core.standard.policy import (
    DIR_MODE,
    file_mode,
    format_mode,
    has_sensitive_keys,
    is_sensitive_name,
)

ACTION = "fix-permissions"
_SENSITIVE_SCAN_MAX = 16 * 1024 * 1024
#: Files whose mode the actions themselves define (the audit log is 640 by the issue's rule).
_OWN_MODES = {ACTIONS_LOG: audit.AUDIT_MODE}


def _content_sensitive(root: Path, rel: str, size: int) -> bool:
    if not rel.endswith(".json") or size > _SENSITIVE_SCAN_MAX:
        return False
    with contextlib.suppress(OSError, ActionError, orjson.JSONDecodeError):
        # Through the containment layer: never reads through a symlinked directory.
        return has_sensitive_keys(orjson.loads(read_beneath(root, rel)))
    return False


def policy_mode(root: Path, rel: str, st: os.stat_result) -> int | None:
    """The mode the policy wants for ``rel`` (``None``: the policy says nothing)."""
    if stat.S_ISDIR(st.st_mode):
        return DIR_MODE
    if rel in _OWN_MODES:
        return _OWN_MODES[rel]
    name = rel.rpartition("/")[2]
    sensitive = is_sensitive_name(name) or _content_sensitive(root, rel, st.st_size)
    return file_mode(rel, sensitive=sensitive)


def plan(
    root: str | os.PathLike[str],
    *,
    exact: bool = False,
    include_ignored: bool = False,
    only: Collection[str] | None = None,
    config: Config | None = None,
) -> Plan:
    """Preview every mode change (path, current → policy); nothing is touched.

    ``only``: limit the plan to these root-relative paths (a finding's file).
    """
    base = real_root(root)
    config = config if config is not None else load_config(base)
    result = Plan(ACTION, base, params={"exact": exact, "only": sorted(only or [])})
    entries: dict[str, os.stat_result] = {}
    errors: dict[str, list[Finding]] = {}

    def skip_dir(rel: str) -> bool:
        return not include_ignored and config.is_ignored(rel, is_dir=True)

    def skip_file(rel: str) -> bool:
        return not include_ignored and config.is_ignored(rel)

    walk(str(base), "", entries, errors, skip_dir, skip_file)  # the root itself is not changed
    for rel in sorted(entries):
        if only is not None and rel not in only:
            continue
        st = entries[rel]
        if stat.S_ISLNK(st.st_mode):
            target = ""
            with contextlib.suppress(OSError):
                target = str((base / rel).readlink())
            result.skipped.append(Skipped(rel, f"symlink → {target}; never followed or changed"))
            continue
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            result.skipped.append(Skipped(rel, "special file; not touched"))
            continue
        wanted = policy_mode(base, rel, st)
        actual = stat.S_IMODE(st.st_mode)
        if wanted is None or actual == wanted:
            continue
        if not exact and not actual & ~wanted & 0o7777:
            result.notes.append(
                f"{rel}: {format_mode(actual)} is stricter than the policy "
                f"{format_mode(wanted)}; left as is (use exact to loosen)"
            )
            continue
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "file"
        before = Fingerprint(
            kind, None, st.st_size if kind == "file" else 0, actual, st.st_ino, st.st_dev
        )
        result.steps.append(
            Step("chmod", rel, detail=kind, before=before, mode_before=actual, mode_after=wanted)
        )
    result.skipped += [Skipped(rel, "unreadable: cannot list or stat") for rel in sorted(errors)]
    result.summary = (
        f"{len(result.steps)} mode change(s), {len(result.skipped)} skipped"
        if result.steps
        else f"all modes follow the policy ({len(result.skipped)} skipped)"
    )
    return result


def apply(plan: Plan) -> Result:
    """Change each mode through an ``O_NOFOLLOW`` descriptor; refuses entries that changed."""
    plan.require(ACTION)
    if plan.errors:
        return Result(ACTION, False, "plan has errors; nothing changed")
    if plan.empty:
        return Result(ACTION, True, "nothing to do")
    root = plan.root
    done: list[Step] = []
    failures: list[str] = []
    recovered: list[str] = []
    try:
        with actions_lock(root):
            recovered = recover_locked(root)
            for step in plan.steps:
                if step.mode_after is None:
                    continue
                try:
                    chmod_beneath(root, step.path, step.mode_after, step.before)
                except (OSError, ActionError, StorageError) as exc:
                    failures.append(f"{step.path}: {exc}")
                    continue
                done.append(step)
    except (OSError, ActionError, StorageError) as exc:
        failures.append(f"could not start: {exc}")
        refused: str | None = f"refused, nothing changed: {exc}"
    else:
        refused = None
    ok = not failures
    message = refused or (
        f"{len(done)} mode(s) changed"
        if ok
        else f"{len(done)} of {len(plan.steps)} mode(s) changed; {len(failures)} refused"
    )
    result = Result(
        ACTION, ok, message, applied=done, details=recovered + failures, committed=bool(done)
    )
    # A list, not a dict keyed by path: a path such as "exchange_credentials.json" is
    # a sensitive *key* for sanitize_for_logging and would hide its (harmless) mode.
    modes = [
        {
            "path": s.path,
            "mode": f"{format_mode(s.mode_before or 0)}->{format_mode(s.mode_after or 0)}",
        }
        for s in done
    ]
    try:
        audit.record(
            root,
            action=ACTION,
            action_id=None,
            result="ok" if ok else "partial",
            message=message,
            paths=[s.path for s in done],
            before={},
            after={},
            extra={"modes": modes, "refused": failures},
        )
    except (OSError, ActionError) as exc:
        if done:
            applied_but(result, f"the audit line was not written ({exc})")
        else:
            result.details.append(f"audit log not written: {exc}")
    return result


__all__ = ["ACTION", "apply", "plan", "policy_mode"]
