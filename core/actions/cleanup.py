"""Retention cleanup: old snapshots, reports, daily report texts and rotated logs.

Snapshot retention is :func:`core.performance.apply_retention` (preview) and
:func:`core.performance.cleanup_snapshots` (apply, under the tracking lock),
with the cutoff fixed at preview time so apply removes exactly what was shown.
Old files are *moved* into the action's quarantine directory, never deleted.
The quarantine itself is never pruned by this action.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from core import performance
from core.actions.base import ActionError, ChangedSincePreview, Fingerprint, Plan, Result, Step
from core.actions.safety import fingerprint, real_root
from core.actions.txn import Transaction, execute, path_lock, tracking_journal
from core.config import load_config
from core.errors import StorageError
from core.layout import LOGS_DIR, PERFORMANCE_CONFIG, REPORTS_DIR, SNAPSHOTS

ACTION = "cleanup"
DAY: Final = 86_400.0
_ROTATED: Final = re.compile(r".+\.log\.(\d+|\d{4}-?\d{2}-?\d{2})(\.gz|\.bz2|\.xz)?$")


@dataclass(frozen=True, slots=True)
class Retention:
    """Days to keep, per kind (``None``: never remove that kind)."""

    snapshots: float | None = 365
    reports: float | None = 365
    daily_reports: float | None = 90
    rotated_logs: float | None = 90

    @classmethod
    def from_config(cls, root: Path, **overrides: float | None) -> Retention:
        """Snapshots from ``botstore.toml`` (``[snapshots] retention_days``), the rest defaults."""
        base = cls(snapshots=load_config(root).retention_days)
        return cls(**{**asdict(base), **{k: v for k, v in overrides.items() if v is not None}})


def _file_kind(rel: str) -> str | None:
    name = rel.rpartition("/")[2]
    if rel.startswith(REPORTS_DIR + "/") and name.endswith(".json"):
        return "reports"
    if rel.startswith(LOGS_DIR + "/") and fnmatch.fnmatchcase(name, "daily_report_*.txt"):
        return "daily_reports"
    if rel.startswith(LOGS_DIR + "/") and _ROTATED.fullmatch(name):
        return "rotated_logs"
    return None


Found = list[tuple[str, str, os.stat_result]]


def _old_files(root: Path, retention: Retention, now: float) -> Found:
    found: Found = []
    for top in (REPORTS_DIR, LOGS_DIR):
        for dirpath, dirnames, filenames in os.walk(root / top, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = path.relative_to(root).as_posix()
                kind = _file_kind(rel)
                days = getattr(retention, kind) if kind else None
                if kind is None or days is None:
                    continue
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > days * DAY:
                    found.append((rel, kind, st))
    return found


def plan(root: str | os.PathLike[str], retention: Retention | None = None, *,
         now: _dt.datetime | None = None) -> Plan:
    """Preview what the retention policy would remove and how much space it frees."""
    base = real_root(root)
    policy = retention or Retention.from_config(base)
    moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
    result = Plan(ACTION, base, params={"retention": asdict(policy), "now": moment.isoformat()})
    if policy.snapshots is not None:
        _plan_snapshots(result, base, policy.snapshots, moment)
    for rel, kind, st in _old_files(base, policy, moment.timestamp()):
        age = (moment.timestamp() - st.st_mtime) / DAY
        before = Fingerprint("file", None, st.st_size, stat.S_IMODE(st.st_mode), st.st_ino,
                             st.st_dev)
        result.steps.append(Step("move", rel, detail=f"{kind}, {age:.0f} days old",
                                 before=before, size=st.st_size))
    freed = result.bytes_affected
    result.summary = (f"{len(result.steps)} item(s), frees about {freed / 1024:.1f} KiB"
                      if result.steps else "nothing is older than the retention policy")
    return result


def _plan_snapshots(result: Plan, base: Path, days: float, moment: _dt.datetime) -> None:
    try:
        snapshots = performance.load_snapshots(base)
    except StorageError as exc:
        result.notes.append(f"snapshots not checked: {exc}")
        return
    kept, removed = performance.apply_retention(snapshots, moment, int(days))
    if not removed:
        return
    before = fingerprint(base, SNAPSHOTS)
    stamps = sorted(str(s.get("timestamp")) for s in removed)
    share = before.size * len(removed) // max(len(snapshots), 1)
    result.params["snapshots_removed"] = len(removed)
    result.params["snapshots_kept"] = len(kept)
    result.steps.append(Step(
        "replace", SNAPSHOTS, before=before, size=share,
        detail=f"remove {len(removed)} snapshot(s) older than {int(days)} days "
               f"({stamps[0]} … {stamps[-1]}), keep {len(kept)}",
        depends=((PERFORMANCE_CONFIG, fingerprint(base, PERFORMANCE_CONFIG)),),
    ))


def apply(plan: Plan) -> Result:
    """Rewrite the snapshots file (old bytes quarantined), move old files to the quarantine."""
    if plan.action != ACTION:
        raise ActionError(f"not a {ACTION} plan: {plan.action}")
    moment = _dt.datetime.fromisoformat(str(plan.params["now"]))
    days = plan.params["retention"]["snapshots"]
    snap_steps = [s for s in plan.steps if s.path == SNAPSHOTS]

    def journal() -> list[Step]:
        return tracking_journal(plan.root, plan.steps) if snap_steps else list(plan.steps)

    def work(tx: Transaction) -> None:
        for step in plan.steps:
            if step.path == SNAPSHOTS:
                tracked = [s for s in tx.steps if s.op == "replace"]
                _rewrite_snapshots(tx, tracked, days=int(days), moment=moment,
                                   expected=int(plan.params["snapshots_removed"]))
            else:
                tx.move(step)

    return execute(plan, work, journal_steps=journal)


def _rewrite_snapshots(tx: Transaction, tracked: list[Step], *, days: int,
                       moment: _dt.datetime, expected: int) -> None:
    root = tx.root
    with path_lock(root, SNAPSHOTS):  # tracking lock + file lock, as every snapshot writer
        for step in tracked:
            tx.preserve(step)
        outcome = performance.cleanup_snapshots(root, days, moment, dry_run=False)  # reentrant
    for step in tracked:
        tx.after[step.path] = fingerprint(root, step.path).sha256
    if outcome.removed != expected:
        raise ChangedSincePreview(SNAPSHOTS, f"{outcome.removed} snapshots would go, "
                                  f"the preview showed {expected}")


__all__ = ["ACTION", "Retention", "apply", "plan"]
