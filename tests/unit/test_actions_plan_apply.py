"""Every action: the dry run changes nothing, apply does exactly the plan, replaced bytes
are quarantined, and undo brings back the exact bytes."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from actions_testkit import (
    NOW,
    SCENARIOS,
    demo_tree,
    live_files,
    prepare,
    quarantined_bytes,
    tree_state,
)
from samples import sample_portfolio

from core.actions import Plan, apply, migrate, permissions, reset, restore, snapshot, temp
from core.actions import verify as verify_backups
from core.actions.rollforward import pending_journals
from core.standard.layout import (
    ACTIONS_LOG,
    BACKUP_SUFFIX,
    PERFORMANCE_CONFIG,
    PORTFOLIO,
    QUARANTINE_DIR,
    SNAPSHOTS,
)
from core.storage.names import is_lock_name


def _loosen(root: Path) -> None:
    (root / PORTFOLIO).chmod(0o666)
    (root / "logs").chmod(0o777)


def _old_temp(root: Path) -> None:
    tmp = root / "data" / ".portfolio.json.0123456789ab.tmp"
    tmp.write_bytes(b"half a save")
    os.utime(tmp, (1_000_000_000, 1_000_000_000))


def _old_version(root: Path) -> None:
    path = root / SNAPSHOTS
    snaps = orjson.loads(path.read_bytes())
    path.write_bytes(orjson.dumps({"version": "1.0", "snapshots": snaps}))  # old wrapped form


PLANS: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], Plan]]] = {
    "restore": (None, lambda r: restore.plan(r, PORTFOLIO)),
    "fix-permissions": (_loosen, permissions.plan),
    "cleanup": (prepare, SCENARIOS["cleanup"]),
    "reset-tracking": (None, SCENARIOS["reset"]),
    "migrate": (_old_version, migrate.plan),
    "verify-backups": (None, verify_backups.plan),
    "snapshot": (None, lambda r: snapshot.plan(r, now=NOW + dt.timedelta(minutes=5))),
    "clean-temp": (_old_temp, temp.plan),
}


def _tree(tmp_path: Path, name: str) -> tuple[Path, Plan]:
    root = demo_tree(tmp_path)
    setup, make = PLANS[name]
    if setup is not None:
        setup(root)
    return root, make(root)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_dry_run_changes_nothing(tmp_path: Path, name: str) -> None:
    root = demo_tree(tmp_path)
    setup, make = PLANS[name]
    if setup is not None:
        setup(root)
    before = tree_state(root)
    plan = make(root)
    plan.render()
    orjson.dumps(plan.to_dict())
    assert tree_state(root) == before
    if name != "verify-backups":
        assert plan.steps, plan.render()


def _changed(
    before: dict[str, tuple[str, int, str]], after: dict[str, tuple[str, int, str]]
) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def _incidental(rel: str) -> bool:
    """Files an action may create besides its plan: its quarantine, the audit log, locks."""
    name = rel.rpartition("/")[2]
    return (
        rel in (QUARANTINE_DIR, ACTIONS_LOG)
        or rel.startswith(QUARANTINE_DIR + "/")
        or is_lock_name(name)
    )


@pytest.mark.parametrize("name", sorted(PLANS))
def test_apply_does_exactly_the_plan(tmp_path: Path, name: str) -> None:
    root, plan = _tree(tmp_path, name)
    before = tree_state(root)
    old_files = live_files(root)
    result = apply(plan)
    assert result.ok, result.render()
    after = tree_state(root)
    changed = {rel for rel in _changed(before, after) if not _incidental(rel)}
    expected = set(plan.paths) if name != "verify-backups" else set()
    if name in {"cleanup", "reset-tracking", "snapshot"}:
        # core.tracking.performance writers rewrite the pair and keep the previous bytes as .bak.
        tracked = {SNAPSHOTS, PERFORMANCE_CONFIG}
        expected |= {p + BACKUP_SUFFIX for p in tracked} | tracked
        assert changed <= expected and set(plan.paths) <= changed | {PERFORMANCE_CONFIG}
    else:
        assert changed == expected
    for step in plan.steps:
        if step.op == "move":
            assert not (root / step.path).exists()
        if step.op == "chmod":
            assert (root / step.path).stat().st_mode & 0o777 == step.mode_after
    # Every replaced or removed file's old bytes are in the quarantine.
    new_files = live_files(root)
    kept = quarantined_bytes(root)
    for rel, payload in old_files.items():
        if new_files.get(rel) != payload:
            assert payload in kept, f"{rel}: old bytes not quarantined"
    assert not pending_journals(root)
    if name != "verify-backups":
        lines = (root / ACTIONS_LOG).read_bytes().splitlines()
        entry = orjson.loads(lines[-1])
        assert entry["action"] == plan.action and entry["result"] == "ok"
        assert {"time", "user", "host", "paths", "before", "after"} <= entry.keys()
        assert (root / ACTIONS_LOG).stat().st_mode & 0o777 == 0o640


def test_restore_keeps_mode_and_writes_exact_backup_bytes(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    (root / PORTFOLIO).chmod(0o600)
    backup = (root / (PORTFOLIO + BACKUP_SUFFIX)).read_bytes()
    original = (root / PORTFOLIO).read_bytes()
    plan = restore.plan(root, PORTFOLIO)
    assert any(c.field == "trades_executed" for c in plan.diff)
    result = restore.apply(plan)
    assert result.ok
    assert (root / PORTFOLIO).read_bytes() == backup
    assert (root / PORTFOLIO).stat().st_mode & 0o777 == 0o600
    assert (root / result.quarantined[PORTFOLIO]).read_bytes() == original


def test_undo_of_restore_brings_back_exact_bytes(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    original = (root / PORTFOLIO).read_bytes()
    first = restore.apply(restore.plan(root, PORTFOLIO))
    assert first.ok and first.action_id
    restored = (root / PORTFOLIO).read_bytes()
    undo = restore.plan_undo(root, first.action_id)
    assert undo.ok and undo.paths == [PORTFOLIO]
    second = apply(undo)
    assert second.ok, second.render()
    assert (root / PORTFOLIO).read_bytes() == original
    assert restored in quarantined_bytes(root)
    # ... and undoing the undo brings the restored bytes back.
    assert second.action_id
    assert apply(restore.plan_undo(root, second.action_id)).ok
    assert (root / PORTFOLIO).read_bytes() == restored


def test_undo_of_cleanup_brings_files_back(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    prepare(root)
    before = live_files(root)
    result = apply(SCENARIOS["cleanup"](root))
    assert result.ok and result.action_id
    undo = restore.plan_undo(root, result.action_id)
    assert apply(undo).ok
    after = live_files(root)
    for rel in (s.path for s in SCENARIOS["cleanup"](demo_tree(tmp_path, "again")).steps):
        assert after[rel] == before[rel]


def test_restore_refuses_invalid_backup(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    (root / (PORTFOLIO + BACKUP_SUFFIX)).write_bytes(
        orjson.dumps(sample_portfolio(trades_executed="many"))
    )
    before = tree_state(root)
    plan = restore.plan(root, PORTFOLIO)
    assert not plan.ok and "not restorable" in plan.errors[0]
    result = restore.apply(plan)
    assert not result.ok
    assert tree_state(root) == before


def test_apply_refuses_when_changed_since_preview(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    plan = restore.plan(root, PORTFOLIO)
    data = orjson.loads((root / PORTFOLIO).read_bytes())
    data["trades_executed"] += 1
    (root / PORTFOLIO).write_bytes(orjson.dumps(data))
    changed = (root / PORTFOLIO).read_bytes()
    result = restore.apply(plan)
    assert not result.ok and "changed since preview" in result.message
    assert (root / PORTFOLIO).read_bytes() == changed
    entry = orjson.loads((root / ACTIONS_LOG).read_bytes().splitlines()[-1])
    assert entry["result"] == "failed"


def test_restore_diff_and_audit_are_sanitized(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    path = root / "data" / "cache" / "exchange_state.json"
    path.write_bytes(orjson.dumps({"api_key": "new-secret-value", "n": 2}))
    (root / "data" / "cache" / "exchange_state.json.bak").write_bytes(
        orjson.dumps({"api_key": "old-secret-value", "n": 1})
    )
    plan = restore.plan(root, "data/cache/exchange_state.json")
    text = plan.render() + orjson.dumps(plan.to_dict()).decode()
    assert "secret-value" not in text
    assert any(c.field == "api_key" and c.before == "[REDACTED]" for c in plan.diff)
    assert restore.apply(plan).ok
    assert b"secret-value" not in (root / ACTIONS_LOG).read_bytes()


def test_reset_tracking_appends_history_and_reset_snapshot(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    result = apply(SCENARIOS["reset"](root))
    assert result.ok, result.render()
    config = orjson.loads((root / PERFORMANCE_CONFIG).read_bytes())
    assert len(config["performance_reset_history"]) == 1
    snaps = orjson.loads((root / SNAPSHOTS).read_bytes())
    assert snaps[-1]["snapshot_type"] == "performance_reset"


def test_reset_tracking_reinitializes_lost_files(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    (root / PERFORMANCE_CONFIG).unlink()
    (root / SNAPSHOTS).write_text("{ corrupt")
    plan = reset.plan(root, now=NOW + dt.timedelta(hours=2))
    assert plan.ok and plan.params["mode"] == "reinit"
    assert apply(plan).ok
    config = orjson.loads((root / PERFORMANCE_CONFIG).read_bytes())
    assert len(config["performance_reset_history"]) == 1
    assert b"{ corrupt" in quarantined_bytes(root)


def test_cleanup_frees_space_and_never_deletes(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    prepare(root)
    plan = SCENARIOS["cleanup"](root)
    assert plan.bytes_affected > 0
    kinds = {s.detail.split(",")[0] for s in plan.steps if s.op == "move"}
    assert kinds == {"reports", "daily_reports", "rotated_logs"}
    result = apply(plan)
    assert result.ok
    for step in plan.steps:
        if step.op == "move":
            assert (root / result.quarantined[step.path]).is_file()
    snaps = orjson.loads((root / SNAPSHOTS).read_bytes())
    assert len(snaps) == plan.params["snapshots_kept"]
