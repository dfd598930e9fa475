"""Retention cleanup: old snapshots, reports, daily report texts, rotated logs and the real
bot's per-decision files (``data/{ASSET}_{BASE}_<YYYYmmdd_HHMMSS>.json``).

Snapshot retention is :func:`core.tracking.performance.apply_retention` (preview) and
:func:`core.tracking.performance.cleanup_snapshots` (apply, under the tracking lock),
with the cutoff fixed at preview time so apply removes exactly what was shown.
Old files are *moved* into the action's quarantine directory, never deleted:
the tree does not shrink by them until the quarantine retention purges them,
which is why the preview says "moves N KiB to quarantine", never "frees".

The quarantine is the one kind that is deleted for good: entries of
``data/.quarantine/`` older than ``Retention.quarantine`` days (their name
starts with the UTC time they were made) are removed after the rest of the
plan has committed — the only place botstore deletes data, and only after the
operator confirmed the preview that lists them (:mod:`core.actions.purge`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import fnmatch
import math
import os
import re
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

from core.actions.base import ActionError, ChangedSincePreview, Fingerprint, Plan, Result, Step
from core.actions.protocol import execute
from core.actions.purge import DAY, QUARANTINE_FLOOR_HOURS, apply_purge, plan_purge
from core.actions.safety import fingerprint, real_root
from core.actions.tracking import rewrite_tracking, tracking_journal
from core.actions.txn import Transaction
from core.config import Config, load_config
from core.errors import StorageError
from core.health.botfiles import DECISION_RE
from core.standard.layout import (
    DATA_DIR,
    LOGS_DIR,
    PERFORMANCE_CONFIG,
    QUARANTINE_DIR,
    REPORTS_DIR,
    SNAPSHOTS,
)
from core.tracking import performance

ACTION = "cleanup"
_ROTATED: Final = re.compile(r".+\.log\.(\d+|\d{4}-?\d{2}-?\d{2})(\.gz|\.bz2|\.xz)?$")


KINDS: Final = ("snapshots", "reports", "daily_reports", "rotated_logs", "decisions", "quarantine")


@dataclass(frozen=True, slots=True)
class Retention:
    """Days to keep, per kind. ``None`` or ``0`` keeps that kind forever (one meaning of 0,
    as in ``botstore.toml``); a negative number is refused. ``keep_none`` lists the kinds
    to remove entirely — the only way to ask for "delete all" (``--keep-none KIND``)."""

    snapshots: float | None = 365
    reports: float | None = 365
    daily_reports: float | None = 90
    rotated_logs: float | None = 90
    quarantine: float | None = 90
    decisions: float | None = 90
    keep_none: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for kind in KINDS:
            days = getattr(self, kind)
            if days is None:
                continue
            if (
                isinstance(days, bool)
                or not isinstance(days, int | float)
                or not math.isfinite(days)
            ):
                raise ActionError(f"retention for {kind} must be a number of days, got {days!r}")
            if days < 0:
                raise ActionError(
                    f"retention for {kind} must be >= 0 days, got {days:g} "
                    "(0 keeps forever; --keep-none removes all)"
                )
            if days == 0:
                object.__setattr__(self, kind, None)
        unknown = sorted(set(self.keep_none) - set(KINDS))
        if unknown:
            raise ActionError(f"--keep-none: unknown kind(s) {unknown}; known: {list(KINDS)}")

    def days(self, kind: str) -> float | None:
        """Days to keep ``kind``: ``None`` keeps it forever, ``0.0`` keeps none."""
        if kind in self.keep_none:
            return 0.0
        value: float | None = getattr(self, kind)
        return value

    @classmethod
    def from_config(
        cls, config: Config | Path, *, keep_none: tuple[str, ...] = (), **overrides: float | None
    ) -> Retention:
        """Days from the resolved config (``[snapshots] retention_days``, ``[retention]``);
        ``overrides`` (the command line) win where not ``None``."""
        if not isinstance(config, Config):
            config = load_config(config)
        days: dict[str, float | None] = {"snapshots": config.retention_days, **config.retention}
        days.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**days, keep_none=tuple(keep_none))


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
            dirnames[:] = (
                [] if top == DATA_DIR else sorted(d for d in dirnames if not d.startswith("."))
            )
            for name in sorted(filenames):
                path = Path(dirpath) / name
                rel = path.relative_to(root).as_posix()
                kind = _file_kind(rel)
                days = retention.days(kind) if kind else None
                if kind is None or days is None:
                    continue
                st = os.lstat(path)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > days * DAY:
                    found.append((rel, kind, st))
    return found


def plan(
    root: str | os.PathLike[str],
    retention: Retention | None = None,
    *,
    now: _dt.datetime | None = None,
    config: Config | None = None,
    force: bool = False,
) -> Plan:
    """Preview what the retention policy would move to the quarantine and purge from it.

    ``config``: the resolved configuration the scan used (default: the root's
    ``botstore.toml``). ``force``: also purge quarantine entries younger than
    :data:`QUARANTINE_FLOOR_HOURS` (never without it).
    """
    base = real_root(root)
    policy = retention or Retention.from_config(config if config is not None else base)
    moment = (now or _dt.datetime.now(_dt.UTC)).astimezone(_dt.UTC)
    result = Plan(
        ACTION,
        base,
        params={"retention": asdict(policy), "now": moment.isoformat(), "force": force},
    )
    snapshot_days = policy.days("snapshots")
    if snapshot_days is not None:
        _plan_snapshots(result, base, snapshot_days, moment)
    for rel, kind, st in _old_files(base, policy, moment.timestamp()):
        age = (moment.timestamp() - st.st_mtime) / DAY
        before = Fingerprint(
            "file", None, st.st_size, stat.S_IMODE(st.st_mode), st.st_ino, st.st_dev
        )
        result.steps.append(
            Step("move", rel, detail=f"{kind}, {age:.0f} days old", before=before, size=st.st_size)
        )
    purge_days = policy.days("quarantine")
    if purge_days is not None:
        plan_purge(result, base, purge_days, moment.timestamp(), force=force)
    moved = sum(
        s.before.size if s.op == "replace" else s.size for s in result.steps if s.op != "delete"
    )
    purged = sum(s.size for s in result.steps if s.op == "delete")
    result.params["bytes_to_quarantine"] = moved
    result.params["bytes_purged"] = purged
    result.summary = summary_text(result, moved, purged, purge_days)
    return result


def summary_text(result: Plan, moved: int, purged: int, purge_days: float | None) -> str:
    """What the cleanup really does: bytes *moved* into the quarantine (the tree does not
    shrink by them yet) and bytes deleted for good from it."""
    if not result.steps:
        return "nothing is older than the retention policy"
    parts = [f"{len(result.steps)} item(s)"]
    if any(s.op != "delete" for s in result.steps):
        floor = QUARANTINE_FLOOR_HOURS / 24
        kept = (
            "kept until a cleanup with --keep-none quarantine"
            if purge_days is None
            else f"purged after {max(purge_days, floor):g} days"
            + (" at the earliest" if purge_days < floor else "")
        )
        parts.append(f"moves {moved / 1024:.1f} KiB to quarantine ({QUARANTINE_DIR}/; {kept})")
    if purged:
        parts.append(f"deletes {purged / 1024:.1f} KiB of old quarantine entries for good")
    return ", ".join(parts)


def _plan_snapshots(result: Plan, base: Path, days: float, moment: _dt.datetime) -> None:
    try:
        snapshots = performance.load_snapshots(base)
    except StorageError as exc:
        result.notes.append(f"snapshots not checked: {exc}")
        return
    whole = math.ceil(days)  # whole days, rounded towards keeping more
    result.params["snapshot_days"] = whole
    kept, removed = performance.apply_retention(snapshots, moment, whole)
    if not removed:
        return
    before = fingerprint(base, SNAPSHOTS)
    stamps = sorted(str(s.get("timestamp")) for s in removed)
    share = before.size * len(removed) // max(len(snapshots), 1)
    result.params["snapshots_removed"] = len(removed)
    result.params["snapshots_kept"] = len(kept)
    result.steps.append(
        Step(
            "replace",
            SNAPSHOTS,
            before=before,
            size=share,
            detail=f"remove {len(removed)} snapshot(s) older than {whole} days "
            f"({stamps[0]} … {stamps[-1]}), keep {len(kept)}",
            depends=((PERFORMANCE_CONFIG, fingerprint(base, PERFORMANCE_CONFIG)),),
        )
    )


def apply(plan: Plan) -> Result:
    """Rewrite the snapshots file (old bytes quarantined), move old files to the quarantine."""
    plan.require(ACTION)
    moment = _dt.datetime.fromisoformat(str(plan.params["now"]))
    days = plan.params.get("snapshot_days", 0)
    snap_steps = [s for s in plan.steps if s.path == SNAPSHOTS]
    moves = [s for s in plan.steps if s.op != "delete"]

    def journal() -> list[Step]:
        return tracking_journal(plan.root, moves) if snap_steps else list(moves)

    def work(tx: Transaction) -> None:
        for step in moves:
            if step.path == SNAPSHOTS:
                tracked = [s for s in tx.steps if s.op == "replace"]
                _rewrite_snapshots(
                    tx,
                    tracked,
                    days=int(days),
                    moment=moment,
                    expected=int(plan.params["snapshots_removed"]),
                )
            else:
                tx.move(step)

    purge = [s for s in plan.steps if s.op == "delete"]
    rest = dataclasses.replace(plan, steps=[s for s in plan.steps if s.op != "delete"])
    result = execute(rest, work, journal_steps=journal) if rest.steps else Result(ACTION, True, "")
    result.data["bytes_to_quarantine"] = (
        plan.params.get("bytes_to_quarantine", 0) if (result.ok or result.committed) else 0
    )
    result.data["bytes_purged"] = 0
    if not purge or not (result.ok or result.committed):
        return result
    return apply_purge(plan, purge, result)


def _rewrite_snapshots(
    tx: Transaction, tracked: list[Step], *, days: int, moment: _dt.datetime, expected: int
) -> None:
    def change(scratch: Path) -> None:  # a private copy: only rootfs writes the tree
        outcome = performance.cleanup_snapshots(scratch, days, moment, dry_run=False)
        if outcome.removed != expected:  # checked before anything is written back
            raise ChangedSincePreview(
                SNAPSHOTS, f"{outcome.removed} snapshots would go, the preview showed {expected}"
            )

    rewrite_tracking(tx, tracked, change)


__all__ = [
    "ACTION",
    "KINDS",
    "QUARANTINE_FLOOR_HOURS",
    "Retention",
    "apply",
    "plan",
    "summary_text",
]
