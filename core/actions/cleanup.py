"""Retention cleanup: old snapshots, reports, daily report texts, rotated logs and the real
bot's per-decision files (``data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json``).

Snapshot retention is :func:`core.performance.apply_retention` (preview) and
:func:`core.performance.cleanup_snapshots` (apply, under the tracking lock),
with the cutoff fixed at preview time so apply removes exactly what was shown.
Old files are *moved* into the action's quarantine directory, never deleted.

The quarantine is the one kind that is deleted for good: entries of
``data/.quarantine/`` older than ``Retention.quarantine`` days (their name
starts with the UTC time they were made) are removed after the rest of the
plan has committed — the only place botstore deletes data, and only after the
operator confirmed the preview that lists them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import os
import re
import shutil
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from core import performance
from core.actions import audit
from core.actions.base import ActionError, ChangedSincePreview, Fingerprint, Plan, Result, Step
from core.actions.safety import fingerprint, lstat_beneath, real_root, verify
from core.actions.txn import Transaction, execute, path_lock, tracking_journal
from core.config import load_config
from core.errors import StorageError
from core.health.botfiles import DECISION_RE
from core.layout import (
    DATA_DIR,
    LOGS_DIR,
    PERFORMANCE_CONFIG,
    QUARANTINE_DIR,
    REPORTS_DIR,
    SNAPSHOTS,
)

ACTION = "cleanup"
DAY: Final = 86_400.0
_ROTATED: Final = re.compile(r".+\.log\.(\d+|\d{4}-?\d{2}-?\d{2})(\.gz|\.bz2|\.xz)?$")
_QUARANTINE_STAMP: Final = re.compile(r"(\d{8}T\d{6}Z)")


@dataclass(frozen=True, slots=True)
class Retention:
    """Days to keep, per kind (``None``: never remove that kind)."""

    snapshots: float | None = 365
    reports: float | None = 365
    daily_reports: float | None = 90
    rotated_logs: float | None = 90
    quarantine: float | None = 90
    decisions: float | None = 90

    @classmethod
    def from_config(cls, root: Path, **overrides: float | None) -> Retention:
        """Days from ``botstore.toml`` (``[snapshots] retention_days``, ``[retention]``)."""
        config = load_config(root)
        days = {kind: (value or None) for kind, value in config.retention.items()}
        base = cls(snapshots=config.retention_days, **days)
        return cls(**{**asdict(base), **{k: v for k, v in overrides.items() if v is not None}})


def _file_kind(rel: str) -> str | None:
    directory, _, name = rel.rpartition("/")
    if directory == DATA_DIR and DECISION_RE.fullmatch(name):
        return "decisions"  # the bot's per-decision files (its *_latest.json copies stay)
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
    for top in (REPORTS_DIR, LOGS_DIR, DATA_DIR):
        for dirpath, dirnames, filenames in os.walk(root / top, followlinks=False):
            dirnames[:] = [] if top == DATA_DIR else sorted(
                d for d in dirnames if not d.startswith("."))
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
    if policy.quarantine is not None:
        _plan_quarantine(result, base, policy.quarantine, moment.timestamp())
    freed = result.bytes_affected
    result.summary = (f"{len(result.steps)} item(s), frees about {freed / 1024:.1f} KiB"
                      if result.steps else "nothing is older than the retention policy")
    return result


def _tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            try:
                st = (Path(dirpath) / name).lstat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def _plan_quarantine(result: Plan, base: Path, days: float, now: float) -> None:
    """Quarantine entries older than ``days`` (by the UTC time their name starts with)."""
    try:
        entries = sorted(os.scandir(base / QUARANTINE_DIR), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        match = _QUARANTINE_STAMP.match(entry.name)
        if match is None or entry.is_symlink():
            continue
        made = _dt.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.UTC)
        age = (now - made.timestamp()) / DAY
        if age <= days:
            continue
        rel = f"{QUARANTINE_DIR}/{entry.name}"
        result.steps.append(Step(
            "delete", rel, detail=f"quarantine, {age:.0f} days old — deleted for good",
            before=fingerprint(base, rel, hash_content=False), size=_tree_bytes(Path(entry.path)),
        ))


def _purge(plan: Plan, steps: list[Step]) -> list[str]:
    """Delete old quarantine entries (after the rest of the plan committed); returns details."""
    done: list[str] = []
    for step in steps:
        verify(plan.root, step.path, step.before)
        st = lstat_beneath(plan.root, step.path)
        if st is None:
            continue
        target = plan.root / step.path
        if stat.S_ISDIR(st.st_mode):
            # rmtree works on directory fds (avoids_symlink_attacks): nothing outside is touched.
            shutil.rmtree(target)
        else:
            target.unlink()
        done.append(f"deleted {step.path} ({step.size / 1024:.1f} KiB)")
    return done


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
    moves = [s for s in plan.steps if s.op != "delete"]

    def journal() -> list[Step]:
        return tracking_journal(plan.root, moves) if snap_steps else list(moves)

    def work(tx: Transaction) -> None:
        for step in moves:
            if step.path == SNAPSHOTS:
                tracked = [s for s in tx.steps if s.op == "replace"]
                _rewrite_snapshots(tx, tracked, days=int(days), moment=moment,
                                   expected=int(plan.params["snapshots_removed"]))
            else:
                tx.move(step)

    purge = [s for s in plan.steps if s.op == "delete"]
    rest = dataclasses.replace(plan, steps=[s for s in plan.steps if s.op != "delete"])
    result = execute(rest, work, journal_steps=journal) if rest.steps else Result(ACTION, True, "")
    if not result.ok or not purge:
        return result
    try:
        result.details += _purge(plan, purge)
        outcome = "ok"
    except (OSError, ActionError) as exc:
        result.ok = False
        result.message = f"quarantine cleanup stopped: {exc}"
        outcome = "failed"
    result.applied += purge
    audit.record(plan.root, action=ACTION, action_id=result.action_id, result=outcome,
                 message="quarantine retention: " + "; ".join(result.details[-len(purge):]),
                 paths=[s.path for s in purge], before={s.path: None for s in purge},
                 after={s.path: None for s in purge})
    result.message = result.message or f"deleted {len(purge)} old quarantine entries"
    return result


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
