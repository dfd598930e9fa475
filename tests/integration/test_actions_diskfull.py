"""Disk full, for real: a small tmpfs filled to 0, 4 KiB, 8 KiB and 64 KiB free.

For restore, cleanup, migrate, reset-tracking and snapshot the printed outcome
must match the disk: "applied" (``ok``, or ``committed`` with ``applied, but …``)
means the live files equal those of the same action on a roomy disk; anything
else means they equal the old files. Then space is freed, the bot saves newer
data, and a later action runs: it never rolls back a committed action and
never overwrites the bot's newer bytes.

Mounting needs root (CI runs as root); elsewhere the tests are skipped with
that reason.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from actions_testkit import NOW, SCENARIOS, demo_tree, live_files, prepare
from samples import sample_portfolio

from core.actions import Plan, Result, apply, migrate, permissions, restore, snapshot
from core.actions.rollforward import pending_journals, recover
from core.cli.main import main
from core.standard.layout import PORTFOLIO, SNAPSHOTS
from core.storage.write import write_json

FREE = {"0": 0, "4KiB": 4096, "8KiB": 8192, "64KiB": 65536}


def _legacy_snapshots(root: Path) -> None:
    """The wrapped form an older botstore wrote (migrate unwraps it to the bot's bare list)."""
    data = orjson.loads((root / SNAPSHOTS).read_bytes())
    (root / SNAPSHOTS).write_bytes(orjson.dumps({"version": "1.0", "snapshots": data}))


ACTIONS: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], Plan]]] = {
    "restore": (None, lambda r: restore.plan(r, PORTFOLIO)),
    "cleanup": (prepare, SCENARIOS["cleanup"]),
    "migrate": (_legacy_snapshots, migrate.plan),
    "reset": (None, SCENARIOS["reset"]),
    "snapshot": (None, lambda r: snapshot.plan(r, now=NOW + dt.timedelta(minutes=5))),
}


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m,mode=0755", "tmpfs", str(mount)], check=True
    )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _tree(tmp_path: Path, where: Path, name: str) -> Path:
    source = demo_tree(tmp_path, f"src-{name}")
    shutil.rmtree(source / "data" / "historical", ignore_errors=True)  # fits the tmpfs
    root = where / name
    shutil.copytree(source, root, symlinks=True)
    shutil.rmtree(source)
    return root


def _fill(mount: Path, free: int) -> Path:
    """Fill the filesystem, then give back ``free`` bytes."""
    filler = mount / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                if os.write(fd, chunk) < len(chunk):
                    chunk = chunk[: len(chunk) // 2] or b"\0"
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
        size = os.fstat(fd).st_size
        os.ftruncate(fd, max(size - free, 0))
    finally:
        os.close(fd)
    return filler


def _applied(result: Result) -> bool:
    return result.ok or result.committed


def _check(tmp_path: Path, tmpfs: Path, name: str, free: int) -> Result:
    """One run: the outcome matches the disk; a later action never undoes a commit."""
    setup, make = ACTIONS[name]
    reference = _tree(tmp_path, tmp_path, "reference")
    root = _tree(tmp_path, tmpfs, "root")
    for tree in (reference, root):
        if setup is not None:
            setup(tree)
    old = live_files(root)
    assert apply(make(reference)).ok
    new = live_files(reference)
    assert new != old
    shutil.rmtree(reference)

    plan = make(root)
    filler = _fill(tmpfs, free)
    result = apply(plan)  # never raises
    now = live_files(root)
    if _applied(result):
        assert now == new, result.render()
        assert result.ok or result.message.startswith("applied, but"), result.render()
    else:
        assert now == old, result.render()
        assert "nothing changed" in result.message, result.render()

    filler.unlink()  # space again; the bot saves newer data, then any later action runs
    if _applied(result) and name == "restore":
        write_json(root / PORTFOLIO, sample_portfolio(trades_executed=99))
    after_bot = live_files(root)
    (root / PORTFOLIO).chmod(0o666)
    later = permissions.apply(permissions.plan(root, only=[PORTFOLIO]))
    assert later.ok, later.render()
    recover(root)
    assert not pending_journals(root)
    assert live_files(root) == (after_bot if _applied(result) else old), later.render()
    shutil.rmtree(root)
    return result


@pytest.mark.parametrize("free", sorted(FREE))
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_disk_full_outcome_matches_the_disk_and_commits_stand(
    tmp_path: Path, tmpfs: Path, name: str, free: str
) -> None:
    _check(tmp_path, tmpfs, name, FREE[free])


#: The last file each action writes: the disk fills up right after it (its commit point).
LAST_WRITE = {
    "restore": "portfolio.json",
    "migrate": "portfolio_snapshots.json",
    "snapshot": "performance_config.json.bak",
    "reset": "performance_config.json.bak",
}


@pytest.mark.parametrize("name", sorted(LAST_WRITE))
def test_disk_fills_right_after_the_commit_point(
    tmp_path: Path, tmpfs: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The disk fills (for real) just after the action's last change: the journal cannot
    be marked done nor the audit line written. Reported "applied, but …"; a later action
    rolls it forward and keeps the bot's newer data."""
    setup, make = ACTIONS[name]
    root = _tree(tmp_path, tmpfs, "root")
    if setup is not None:
        setup(root)
    plan = make(root)
    real_replace = os.replace
    filled: list[Path] = []

    def replace(src: object, dst: object, *args: object, **kwargs: object) -> None:
        real_replace(src, dst, *args, **kwargs)  # type: ignore[arg-type]
        if dst == LAST_WRITE[name] and not filled:
            filled.append(_fill(tmpfs, 0))

    monkeypatch.setattr(os, "replace", replace)
    result = apply(plan)
    monkeypatch.undo()
    assert filled, "the last write never happened"
    assert result.committed and not result.ok, result.render()
    assert result.message.startswith("applied, but its journal was not marked done"), result.message
    assert "APPLIED WITH ERRORS" in result.render()
    applied = live_files(root)
    assert pending_journals(root) == [result.action_id]

    filled[0].unlink()
    if name == "restore":  # the bot saves newer data before the next action
        write_json(root / PORTFOLIO, sample_portfolio(trades_executed=99))
        applied = live_files(root)
    later = recover(root)
    assert any("completed (marked done)" in m for m in later), later
    assert live_files(root) == applied
    assert not pending_journals(root)


def test_cli_says_applied_but_and_exits_non_zero(
    tmp_path: Path, tmpfs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tree(tmp_path, tmpfs, "root")
    restored = (root / (PORTFOLIO + ".bak")).read_bytes()
    real_replace = os.replace
    filled: list[Path] = []

    def replace(src: object, dst: object, *args: object, **kwargs: object) -> None:
        real_replace(src, dst, *args, **kwargs)  # type: ignore[arg-type]
        if dst == "portfolio.json" and not filled:
            filled.append(_fill(tmpfs, 0))

    monkeypatch.setattr(os, "replace", replace)
    code = main(["restore", PORTFOLIO, "--yes", "--root", str(root)])
    monkeypatch.undo()
    out = capsys.readouterr()
    assert code == 1
    assert (
        "restore: APPLIED WITH ERRORS — applied, but its journal was not marked done" in out.out
    ), out.out
    assert "botstore: restore: applied, but" in out.err
    assert (root / PORTFOLIO).read_bytes() == restored
