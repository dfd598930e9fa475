"""Verify backups: can each ``.bak`` (and the cloud copy) actually be restored?

restic's ``check --read-data`` for this bot: each backup is copied to a
private temp directory, parsed and schema-validated there (by the kind of its
primary), and compared with the primary. Read-only: the tree is never changed.
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
from core.actions.checks import check_payload
from core.actions.diff import json_diff
from core.actions.safety import read_beneath, real_root, sha256
from core.atomic import BACKUP_SUFFIX
from core.config import Config, load_config
from core.findings import Finding
from core.health.walk import walk

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

    def render(self) -> str:
        verdict = "restorable" if self.restorable else "NOT restorable"
        same = "identical to primary" if self.same_as_primary else (
            f"{self.differences} field difference(s) from primary")
        text = f"{self.backup}: {verdict}, {same}"
        return text + "".join(f"\n      {p}" for p in self.problems)


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
    if current is not None and not same and data is not None:
        _, current_problems = check_payload(primary, current)
        if not current_problems:
            with contextlib.suppress(Exception):
                from core.atomic import parse_json
                differences = len(json_diff(parse_json(current, primary), data, limit=10_000))
    if problems_note:
        problems.append(problems_note)
    return BackupCheck(backup, primary, not found and restored == payload, same, problems,
                       differences)


def plan(root: str | os.PathLike[str], *, cloud: dict[str, Any] | None = None,
         config: Config | None = None) -> Plan:
    """Verify every ``.bak`` (and the cloud snapshot with ``cloud`` = verify_cloud kwargs).

    The checks run here — they only read — and land in ``plan.params["checks"]``;
    ``plan.errors`` lists the backups that could not be restored.
    """
    base = real_root(root)
    config = config if config is not None else load_config(base)
    result = Plan(ACTION, base)
    entries: dict[str, os.stat_result] = {}
    errors: dict[str, list[Finding]] = {}
    walk(str(base), "", entries, errors, lambda r: config.is_ignored(r, is_dir=True),
         lambda r: not r.endswith(BACKUP_SUFFIX))
    backups = sorted(r for r in entries if r.endswith(BACKUP_SUFFIX))
    checks: list[BackupCheck] = []
    with tempfile.TemporaryDirectory(prefix="botstore-verify-") as scratch:
        for rel in backups:
            checks.append(check_backup(base, rel, Path(scratch)))
    result.params["checks"] = [asdict(c) for c in checks]
    result.steps = [Step("check", c.backup, detail=c.render().split("\n")[0].split(": ", 1)[1],
                         before=Fingerprint("file")) for c in checks]
    result.errors = [f"{c.backup}: not restorable: {'; '.join(c.problems)}"
                     for c in checks if not c.restorable]
    if cloud is not None:
        module = importlib.import_module("core.cloud")
        verify_cloud = getattr(module, "verify_cloud", None)
        if verify_cloud is None:
            result.errors.append("cloud verification is not available (core.cloud.verify_cloud)")
        else:
            findings: list[Finding] = verify_cloud(base, **cloud)
            result.params["cloud"] = [f.to_dict() if hasattr(f, "to_dict") else str(f)
                                      for f in findings]
            result.errors += [f"cloud: {f.message}" for f in findings
                              if str(f.severity) == "critical"]
            result.notes += [f"cloud: {f.message}" for f in findings
                             if str(f.severity) != "critical"]
            if not findings:
                result.notes.append("cloud: newest snapshot intact and matches the local tree")
    good = sum(c.restorable for c in checks)
    result.summary = f"{good} of {len(checks)} backup(s) restorable"
    return result


def apply(plan: Plan) -> Result:
    """Nothing to change: report the verification made by :func:`plan`."""
    if plan.action != ACTION:
        raise ActionError(f"not a {ACTION} plan: {plan.action}")
    return Result(ACTION, plan.ok, plan.summary, details=list(plan.errors),
                  data={"checks": plan.params.get("checks", [])})


__all__ = ["ACTION", "BackupCheck", "apply", "check_backup", "plan"]
