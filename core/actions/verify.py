"""Verify backups: can each ``.bak`` (and the cloud copy) actually be restored?

restic's ``check --read-data`` for this bot: each backup is copied to a
private temp directory, parsed and schema-validated there (by the kind of its
primary), and compared with the primary. Read-only: the tree is never changed.

What is *expected* is counted, not only what is found: the ``.bak`` of each
file the standard calls critical must exist, and its absence fails the
verification (``2 of 3 expected backup(s) restorable; missing: ...``). A
snapshots backup is compared with its primary by snapshot timestamp ("1 snapshot
newer in primary"), not field by field.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.actions.base import ActionError, Fingerprint, Plan, Result, Step
from core.actions.diff import json_diff
from core.actions.planning import tree_entries
from core.actions.safety import read_beneath, real_root, sha256
from core.config import Config, load_config
from core.documents.checks import check_payload
from core.health.aggregates import snapshot_items
from core.health.keep import count_backups
from core.standard.findings import Finding
from core.standard.layout import BACKUP_SUFFIX, SNAPSHOTS
from core.standard.times import parse_timestamp
from core.storage.codec import parse_json

ACTION = "verify-backups"


@dataclass(frozen=True, slots=True)
class BackupCheck:
    """The verdict on one backup."""

    backup: str
    primary: str
    restorable: bool
    same_as_primary: bool
    problems: list[str]
    differences: int
    #: For a list of snapshots: the difference by timestamp ("1 snapshot newer in primary").
    delta: str = ""

    def render(self) -> str:
        verdict = "restorable" if self.restorable else "NOT restorable"
        same = (
            "identical to primary"
            if self.same_as_primary
            else self.delta or (f"{self.differences} field difference(s) from primary")
        )
        text = f"{self.backup}: {verdict}, {same}"
        return text + "".join(f"\n      {p}" for p in self.problems)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def snapshot_delta(current: Any, backup: Any) -> str:
    """How two snapshot series differ, by timestamp: ``1 snapshot newer in primary``,
    ``2 snapshots only in backup``, ``1 snapshot changed`` (``""``: not two series)."""
    now_items, bak_items = snapshot_items(current), snapshot_items(backup)
    if now_items is None or bak_items is None:
        return ""

    def by_time(items: list[Any]) -> dict[float | str, Any]:
        out: dict[float | str, Any] = {}
        for index, item in enumerate(items):
            stamp = parse_timestamp(item.get("timestamp")) if isinstance(item, dict) else None
            out[stamp if stamp is not None else f"#{index}"] = item
        return out

    now_map, bak_map = by_time(now_items), by_time(bak_items)
    only_now = [k for k in now_map if k not in bak_map]
    only_bak = [k for k in bak_map if k not in now_map]
    newest_bak = max((k for k in bak_map if isinstance(k, float)), default=None)
    newer = [k for k in only_now if isinstance(k, float) and (newest_bak is None or k > newest_bak)]
    parts: list[str] = []
    if newer:
        parts.append(f"{_plural(len(newer), 'snapshot')} newer in primary")
    if len(only_now) > len(newer):
        parts.append(f"{_plural(len(only_now) - len(newer), 'snapshot')} only in primary")
    if only_bak:
        parts.append(f"{_plural(len(only_bak), 'snapshot')} only in backup")
    changed = sum(1 for k in now_map if k in bak_map and now_map[k] != bak_map[k])
    if changed:
        parts.append(f"{_plural(changed, 'snapshot')} changed")
    if isinstance(current, dict) and isinstance(backup, dict):
        others = {
            k
            for k in current.keys() | backup.keys()
            if k != "snapshots" and current.get(k) != backup.get(k)
        }
        if others:
            parts.append(f"{_plural(len(others), 'other field')} differ")
    return ", ".join(parts) or "same snapshots, different bytes"


def check_backup(root: Path, backup: str, scratch: Path) -> BackupCheck:
    """Copy ``backup`` into ``scratch``, validate it there, compare with its primary."""
    primary = backup.removesuffix(BACKUP_SUFFIX)
    problems: list[str] = []
    try:
        payload = read_beneath(root, backup)
    except (OSError, ActionError) as exc:
        return BackupCheck(backup, primary, False, False, [f"unreadable: {exc}"], 0)
    copy = scratch / sha256(backup.encode())[:16]
    copy.write_bytes(payload)
    restored = copy.read_bytes()  # validate what a restore would actually read back
    if restored != payload:
        problems.append("copy does not read back identically")
    data, found = check_payload(primary, restored)
    problems += found
    try:
        current = read_beneath(root, primary)
    except (OSError, ActionError):
        current = None
        problems_note = "primary missing or unreadable"
    else:
        problems_note = ""
    same = current == restored
    differences = 0
    delta = ""
    if current is not None and not same and data is not None:
        _, current_problems = check_payload(primary, current)
        if not current_problems:
            with contextlib.suppress(Exception):
                parsed = parse_json(current, primary)
                if primary == SNAPSHOTS:
                    delta = snapshot_delta(parsed, data)
                differences = len(json_diff(parsed, data, limit=10_000))
    if problems_note:
        problems.append(problems_note)
    return BackupCheck(
        backup, primary, not found and restored == payload, same, problems, differences, delta
    )


def plan(
    root: str | os.PathLike[str],
    *,
    cloud: dict[str, Any] | None = None,
    config: Config | None = None,
) -> Plan:
    """Verify every ``.bak`` (and the cloud snapshot with ``cloud`` = verify_cloud kwargs).

    The checks run here — they only read — and land in ``plan.params["checks"]``;
    ``plan.errors`` lists the backups that could not be restored.
    """
    base = real_root(root)
    config = config if config is not None else load_config(base)
    result = Plan(ACTION, base)
    entries = tree_entries(base, config, lambda r: not r.endswith(BACKUP_SUFFIX))
    found = sorted(r for r in entries if r.endswith(BACKUP_SUFFIX))
    counts = count_backups(
        lambda rel: os.path.lexists(base / rel), lambda rel: rel in entries, found
    )
    missing = counts.critical_missing
    backups = found
    checks: list[BackupCheck] = []
    with tempfile.TemporaryDirectory(prefix="botstore-verify-") as scratch:
        for rel in backups:
            checks.append(check_backup(base, rel, Path(scratch)))
    result.params["checks"] = [asdict(c) for c in checks]
    result.steps = [
        Step(
            "check",
            c.backup,
            detail=c.render().split("\n")[0].split(": ", 1)[1],
            before=Fingerprint("file"),
        )
        for c in checks
    ]
    result.errors = [
        f"{rel}: missing — {rel.removesuffix(BACKUP_SUFFIX)} is critical and "
        "has no backup to restore from"
        for rel in missing
    ]
    result.steps += [
        Step(
            "check",
            rel,
            detail="MISSING (backup of a critical file)" if rel in missing else "missing",
        )
        for rel in counts.missing
    ]
    result.notes += [
        f"{rel}: missing (its primary has no backup yet)"
        for rel in counts.missing
        if rel not in missing
    ]
    result.errors += [
        f"{c.backup}: not restorable: {'; '.join(c.problems)}" for c in checks if not c.restorable
    ]
    if cloud is not None:
        module = importlib.import_module("core.cloud")
        verify_cloud = getattr(module, "verify_cloud", None)
        if verify_cloud is None:
            result.errors.append("cloud verification is not available (core.cloud.verify_cloud)")
        else:
            findings: list[Finding] = verify_cloud(base, **cloud)
            result.params["cloud"] = [
                f.to_dict() if hasattr(f, "to_dict") else str(f) for f in findings
            ]
            result.errors += [
                f"cloud: {f.message}" for f in findings if str(f.severity) == "critical"
            ]
            result.notes += [
                f"cloud: {f.message}" for f in findings if str(f.severity) != "critical"
            ]
            if not findings:
                result.notes.append("cloud: newest snapshot intact and matches the local tree")
    good = sum(c.restorable for c in checks)
    cloud_failed = any(e.startswith("cloud") for e in result.errors)
    result.params["backups"] = {
        **counts.to_dict(),
        "restorable": good,
        "cloud": None if cloud is None else not cloud_failed,
    }
    text = f"{good} of {counts.expected} expected backup(s) restorable"
    if counts.missing:
        text += f"; missing: {', '.join(counts.missing)}"
    if cloud is not None:
        text += "; cloud copy FAILED verification" if cloud_failed else "; cloud copy verified"
    result.summary = ("FAILED: " if result.errors else "") + text
    return result


def apply(plan: Plan) -> Result:
    """Nothing to change: report the verification made by :func:`plan`."""
    plan.require(ACTION)
    return Result(
        ACTION,
        plan.ok,
        plan.summary,
        details=list(plan.errors),
        data={"checks": plan.params.get("checks", []), "backups": plan.params.get("backups", {})},
    )


__all__ = ["ACTION", "BackupCheck", "apply", "check_backup", "plan", "snapshot_delta"]
