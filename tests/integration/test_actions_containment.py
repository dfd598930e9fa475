"""Containment: a directory swapped for a symlink at the worst moment never lets an action
change anything outside the root.

For every action the lowest-level changing OS calls (``os.replace``, ``os.rename``,
``os.unlink``, ``os.rmdir``, ``os.mkdir``, ``os.fchmod``, ``os.chmod``, ``os.link``,
``os.write`` and ``os.open`` with ``O_CREAT``) are wrapped; at the k-th such call —
for a spread of k over the whole apply — every directory on the action's path is
renamed aside and replaced by a symlink into a victim tree outside the root (a
full copy of the root, so a followed path would find every file it expects). The
victim's file list, hashes and modes must be unchanged afterwards, and the action
must return a result (or a clean :class:`ActionError`), never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from actions_testkit import NOW, SCENARIOS, demo_tree, prepare, tree_state
from gcs_emulator import build_tree

from core import cloud
from core.actions import Plan, apply, cleanup, migrate, permissions, restore, snapshot, temp
from core.actions.base import ActionError
from core.actions.rollforward import recover
from core.actions.txn import Transaction
from core.errors import StorageError
from core.standard.layout import LOGS_DIR, PORTFOLIO, QUARANTINE_DIR, SNAPSHOTS

CHANGING = ("replace", "rename", "unlink", "rmdir", "mkdir", "fchmod", "chmod", "link", "write")
#: At most this many swap moments per action (spread evenly, first and last included).
MOMENTS = 7
ORIGINAL = {name: getattr(os, name) for name in (*CHANGING, "open", "symlink")}


def _small_tree(tmp_path: Path, name: str = "root") -> Path:
    root = demo_tree(tmp_path, name)
    shutil.rmtree(root / "data" / "historical", ignore_errors=True)  # Parquet: not needed here
    return root


def _victim_state(
    victim: Path, before: dict[str, tuple[str, int, str]]
) -> dict[str, tuple[str, int, str]]:
    """The victim now, without the (still empty) directories :func:`_swap_dirs` made."""
    now = tree_state(victim)
    for rel in MADE:
        if (
            rel not in before
            and now.get(rel, ("",))[0] == "dir"
            and not any(p.is_file() for p in (victim / rel).rglob("*"))
        ):
            now = {k: v for k, v in now.items() if k != rel and not k.startswith(rel + "/")}
    return now


MADE: list[str] = []  # victim directories made as symlink targets (a target that accepts)


def _swap_dirs(root: Path, victim: Path, rels: list[str]) -> None:
    """Every directory in ``rels`` and every one in the quarantine (the action's own
    directory included), deepest first, becomes a symlink into ``victim``."""
    quarantine = root / QUARANTINE_DIR
    for dirpath, dirnames, _files in os.walk(quarantine):
        for name in dirnames:
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            rels = [*rels, rel]
            parts = rel.split("/")
            MADE.extend(
                "/".join(parts[:i])
                for i in range(1, len(parts) + 1)
                if not (victim / "/".join(parts[:i])).exists()
            )
            (victim / rel).mkdir(parents=True, exist_ok=True)  # a target that would accept
    for rel in sorted(set(rels), key=lambda r: (r == "", -r.count("/"))):  # the root last
        real = root / rel
        if not real.is_dir() or real.is_symlink():
            continue
        ORIGINAL["rename"](real, real.with_name(real.name + ".swapped-away"))
        ORIGINAL["symlink"](victim / rel, real)


@contextmanager
def swap_at(
    monkeypatch: pytest.MonkeyPatch, nth: int, swap: Callable[[], None]
) -> Iterator[dict[str, int]]:
    """Count changing OS calls; do ``swap()`` just before the ``nth`` (0: only count)."""
    state = {"calls": 0, "active": 1}

    def hook() -> None:
        if state["active"]:
            state["calls"] += 1
            if state["calls"] == nth:
                swap()

    for name in CHANGING:

        def wrapper(*args: Any, _original: Any = ORIGINAL[name], **kwargs: Any) -> Any:
            hook()
            return _original(*args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)

    def opener(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            hook()
        result: int = ORIGINAL["open"](path, flags, *args, **kwargs)
        return result

    monkeypatch.setattr(os, "open", opener)
    try:
        yield state
    finally:
        state["active"] = 0
        monkeypatch.undo()


def _ancestors(rels: list[str]) -> list[str]:
    out = {QUARANTINE_DIR, LOGS_DIR, "data"}
    for rel in rels:
        parts = rel.split("/")[:-1]
        out.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(out)


# --------------------------------------------------------------------------- scenarios
# Each returns a callable doing the apply (run under the swap), and the dirs to swap.


def _restore(root: Path) -> tuple[Callable[[], object], list[str]]:
    plan = restore.plan(root, PORTFOLIO)
    return lambda: apply(plan), plan.paths


def _undo(root: Path) -> tuple[Callable[[], object], list[str]]:
    done = apply(restore.plan(root, PORTFOLIO))
    assert done.ok and done.action_id
    plan = restore.plan_undo(root, done.action_id)
    assert plan.ok and plan.steps, plan.render()
    return lambda: apply(plan), plan.paths


def _fix_permissions(root: Path) -> tuple[Callable[[], object], list[str]]:
    (root / PORTFOLIO).chmod(0o666)
    (root / SNAPSHOTS).chmod(0o666)
    (root / LOGS_DIR).chmod(0o777)
    plan = permissions.plan(root)
    return lambda: apply(plan), plan.paths


def _cleanup(root: Path) -> tuple[Callable[[], object], list[str]]:
    prepare(root)
    plan = SCENARIOS["cleanup"](root)
    return lambda: apply(plan), plan.paths


def _purge(root: Path) -> tuple[Callable[[], object], list[str]]:
    stamp = (dt.datetime.now(dt.UTC) - dt.timedelta(days=200)).strftime("%Y%m%dT%H%M%SZ")
    entry = root / QUARANTINE_DIR / f"{stamp}-restore" / "data"
    entry.mkdir(parents=True)
    (entry / "portfolio.json").write_bytes(b'{"old": 1}')
    plan = cleanup.plan(
        root,
        cleanup.Retention(
            snapshots=None, reports=None, daily_reports=None, rotated_logs=None, quarantine=90
        ),
    )
    assert [s.op for s in plan.steps] == ["delete"]
    return lambda: apply(plan), [*plan.paths, f"{QUARANTINE_DIR}/{stamp}-restore/data/x"]


def _clean_temp(root: Path) -> tuple[Callable[[], object], list[str]]:
    tmp = root / "data" / "performance" / ".portfolio_snapshots.json.0123456789ab.tmp"
    tmp.write_bytes(b"half a save")
    os.utime(tmp, (1_000_000_000, 1_000_000_000))
    plan = temp.plan(root)
    return lambda: apply(plan), plan.paths


def _migrate(root: Path) -> tuple[Callable[[], object], list[str]]:
    data = orjson.loads((root / SNAPSHOTS).read_bytes())  # the bot's bare list ...
    (root / SNAPSHOTS).write_bytes(  # ... wrapped as an older botstore did: migrate unwraps it
        orjson.dumps({"version": "1.0", "snapshots": data})
    )
    plan = migrate.plan(root)
    return lambda: apply(plan), plan.paths


def _reset(root: Path) -> tuple[Callable[[], object], list[str]]:
    plan = SCENARIOS["reset"](root)
    return lambda: apply(plan), plan.paths


def _snapshot(root: Path) -> tuple[Callable[[], object], list[str]]:
    plan: Plan = snapshot.plan(root, now=NOW + dt.timedelta(minutes=5))
    return lambda: apply(plan), plan.paths


def _recovery(root: Path) -> tuple[Callable[[], object], list[str]]:
    prepare(root)
    plan = SCENARIOS["cleanup"](root)
    moves = [s for s in plan.steps if s.op == "move"]
    tx = Transaction.create(root, "cleanup")
    tx.begin(moves)
    tx.move(moves[0])  # killed after its first move: recovery moves it back
    return lambda: recover(root), [s.path for s in moves]


SCENARIO_SETUPS: dict[str, Callable[[Path], tuple[Callable[[], object], list[str]]]] = {
    "restore": _restore,
    "undo": _undo,
    "fix-permissions": _fix_permissions,
    "cleanup": _cleanup,
    "quarantine-purge": _purge,
    "clean-temp": _clean_temp,
    "migrate": _migrate,
    "reset-tracking": _reset,
    "snapshot": _snapshot,
    "recovery": _recovery,
}


def _moments(total: int) -> list[int]:
    if total <= MOMENTS:
        return list(range(1, total + 1))
    step = (total - 1) / (MOMENTS - 1)
    return sorted({1 + round(i * step) for i in range(MOMENTS)})


def _run(run: Callable[[], object]) -> None:
    # A clean refusal (e.g. recover() finding the quarantine swapped) is fine; a bug is not.
    with contextlib.suppress(ActionError, StorageError, OSError):
        run()


@pytest.mark.parametrize("name", sorted(SCENARIO_SETUPS))
def test_swap_to_symlink_at_every_moment_changes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    setup = SCENARIO_SETUPS[name]
    probe = _small_tree(tmp_path, "probe")
    run, _paths = setup(probe)
    with swap_at(monkeypatch, 0, lambda: None) as counted:
        _run(run)
    total = counted["calls"]
    assert total > 0, "the action made no changing call at all"
    for nth in _moments(total):
        root = _small_tree(tmp_path, f"root-{nth}")
        run, paths = setup(root)
        victim = tmp_path / f"victim-{nth}"
        shutil.copytree(root, victim, symlinks=True)
        before = tree_state(victim)
        with swap_at(
            monkeypatch, nth, functools.partial(_swap_dirs, root, victim, _ancestors(paths))
        ) as state:
            _run(run)
        assert state["calls"] >= min(nth, 1)
        assert _victim_state(victim, before) == before, (
            f"{name}: victim changed (swap at call {nth})"
        )


def test_restore_cloud_into_swapped_dirs_changes_nothing_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client: Any, bucket: str
) -> None:
    """``restore-cloud --into``: the target, its subdirectories (and the staging dir's
    parent's view of them) swapped for symlinks at a spread of moments."""
    policy = cloud.RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05, timeout=10)
    cloud.sync_once(
        build_tree(tmp_path / "bot"),
        bucket,
        "backups",
        client=client,
        host="bot-1",
        now=NOW,
        policy=policy,
        write_status=False,
    )

    def run(into: Path) -> None:
        cloud.restore(bucket, into, "backups", client=client, host="bot-1", policy=policy)

    probe = build_tree(tmp_path / "probe", trades=7)
    with swap_at(monkeypatch, 0, lambda: None) as counted:
        run(probe)
    total = counted["calls"]
    assert total > 0
    for nth in _moments(total):
        into = build_tree(tmp_path / f"live-{nth}", trades=7)
        victim = tmp_path / f"victim-{nth}"
        shutil.copytree(into, victim, symlinks=True)
        before = tree_state(victim)
        with (
            swap_at(
                monkeypatch,
                nth,
                functools.partial(
                    _swap_dirs, into, victim, ["", "data", "dashboard", "data/performance"]
                ),
            ),
            contextlib.suppress(cloud.CloudError),
        ):
            run(into)
        assert _victim_state(victim, before) == before, f"victim changed (swap at call {nth})"
