"""Journals are untrusted input; the quarantine, logs/ and the audit log may be symlinks.

A hand-made ("planted") pending journal is refused with a message, changes
nothing outside the root, and later actions still work; a static symlink at
``data/.quarantine``, ``logs`` or ``logs/botstore_actions.log`` makes every action
refuse (exit non-zero) without writing anything outside.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from actions_testkit import demo_tree, tree_state

from core.actions import hostkey, journal, permissions, restore
from core.actions.rollforward import pending_journals, recover
from core.actions.txn import Transaction
from core.cli.main import main
from core.standard.layout import ACTIONS_LOG, PORTFOLIO, QUARANTINE_DIR
from core.storage.statedir import STATE_ENV

ACTION_ID = "20260301T120000Z-restore"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "portfolio.json").write_bytes(b'{"outside": true}\n')
    (outside / "keep.txt").write_bytes(b"must survive\n")
    return outside


def _plant(
    root: Path,
    entries: list[dict[str, Any]],
    *,
    signed: bool,
    payload: bytes = b'{"attacker": 1}\n',
) -> None:
    qdir = root / QUARANTINE_DIR / ACTION_ID
    (qdir / "data" / "evil").mkdir(parents=True)
    (qdir / "data" / "evil" / "portfolio.json").write_bytes(payload)
    (qdir / "data" / "evil" / "loot").write_bytes(payload)
    body = {"id": ACTION_ID, "action": "restore", "state": "pending", "entries": entries}
    if signed:  # as if botstore had written it and the tree changed afterwards
        body["mac"] = hostkey.sign(journal._message(body))
    (qdir / journal.JOURNAL_NAME).write_bytes(orjson.dumps(body))


def _move(path: str) -> dict[str, Any]:
    return {
        "op": "move",
        "path": path,
        "sha": None,
        "to": f"{QUARANTINE_DIR}/{ACTION_ID}/data/evil/loot",
        "lock_for": None,
    }


def _replace(path: str) -> dict[str, Any]:
    return {
        "op": "replace",
        "path": path,
        "old_sha": "0" * 64,
        "old_kind": "file",
        "old_mode": 0o640,
        "copy": f"{QUARANTINE_DIR}/{ACTION_ID}/data/evil/portfolio.json",
        "new_sha": None,
    }


def _cases(outside: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        "move-through-symlink": [_move("data/evil/loot")],
        "replace-through-symlink": [_replace("data/evil/portfolio.json")],
        "dotdot": [_replace("data/../../outside/portfolio.json")],
        "absolute": [_replace(str(outside / "portfolio.json"))],
        "copy-outside-own-quarantine": [{**_replace(PORTFOLIO), "copy": "logs/supervisor.log"}],
    }


@pytest.mark.parametrize("signed", [False, True], ids=["planted", "signed-then-swapped"])
@pytest.mark.parametrize(
    "case",
    [
        "move-through-symlink",
        "replace-through-symlink",
        "dotdot",
        "absolute",
        "copy-outside-own-quarantine",
    ],
)
def test_planted_journal_is_refused_and_later_actions_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, signed: bool
) -> None:
    root = demo_tree(tmp_path)
    outside = _outside(tmp_path)
    os.symlink(outside, root / "data" / "evil")
    _plant(root, _cases(outside)[case], signed=signed)
    before = tree_state(outside)
    portfolio = (root / PORTFOLIO).read_bytes()

    code = main(["restore", "--recover", "--root", str(root)])
    out = capsys.readouterr()
    assert code == 1, out
    assert "refused" in out.out or "could not settle" in out.out, out.out
    assert "Traceback" not in out.out + out.err
    assert tree_state(outside) == before
    (root / PORTFOLIO).chmod(0o666)
    assert main(["fix-permissions", "--yes", "--root", str(root)]) == 0, capsys.readouterr()
    assert main(["restore", PORTFOLIO, "--yes", "--root", str(root)]) == 0, capsys.readouterr()
    assert tree_state(outside) == before
    assert (
        (root / PORTFOLIO).read_bytes() == (root / (PORTFOLIO + ".bak")).read_bytes() != portfolio
    )
    assert not (outside / ".portfolio.json.lock").exists()


def test_symlinked_quarantine_entry_is_never_followed(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    outside = _outside(tmp_path)
    body = {
        "id": ACTION_ID,
        "action": "restore",
        "state": "pending",
        "entries": [_replace(PORTFOLIO)],
    }
    (outside / journal.JOURNAL_NAME).write_bytes(orjson.dumps(body))
    (root / QUARANTINE_DIR).mkdir(parents=True, exist_ok=True)
    os.symlink(outside, root / QUARANTINE_DIR / ACTION_ID)
    before = tree_state(outside)
    messages = recover(root)
    assert any("a symlink in the quarantine" in m for m in messages), messages
    assert pending_journals(root) == []
    assert tree_state(outside) == before


def test_altered_journal_cannot_be_undone(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    result = restore.apply(restore.plan(root, PORTFOLIO))
    assert result.ok and result.action_id
    path = root / journal.journal_rel(result.action_id)
    data = orjson.loads(path.read_bytes())
    data["entries"][0]["path"] = "data/performance/performance_config.json"
    path.write_bytes(orjson.dumps(data))
    plan = Transaction  # the undo planner loads through the same verifier
    with pytest.raises(journal.UntrustedJournal, match="not signed"):
        plan.load(root, result.action_id)
    assert main(["restore", "--undo", result.action_id, "--root", str(root)]) != 0


@pytest.mark.parametrize("which", ["quarantine", "logs", "audit-log"])
def test_static_symlinks_are_refused_and_nothing_is_written_outside(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], which: str
) -> None:
    root = demo_tree(tmp_path)
    outside = _outside(tmp_path)
    target = {
        "quarantine": root / QUARANTINE_DIR,
        "logs": root / "logs",
        "audit-log": root / ACTIONS_LOG,
    }[which]
    if target.is_dir():
        os.rename(target, tmp_path / "moved-away")
    elif target.exists():
        target.unlink()
    os.symlink(outside / "keep.txt" if which == "audit-log" else outside, target)
    before = tree_state(outside)
    portfolio = (root / PORTFOLIO).read_bytes()
    (root / PORTFOLIO).chmod(0o666)
    for argv in (["restore", PORTFOLIO], ["fix-permissions"], ["reset-tracking"], ["snapshot"]):
        code = main([*argv, "--yes", "--root", str(root)])
        err = capsys.readouterr().err
        assert code != 0, argv
        assert "symlink" in err, err
        assert tree_state(outside) == before, argv
    assert (root / PORTFOLIO).read_bytes() == portfolio
    assert (root / PORTFOLIO).stat().st_mode & 0o777 == 0o666


def test_hard_linked_file_is_reported_not_chmodded(tmp_path: Path) -> None:
    root = demo_tree(tmp_path)
    outside = _outside(tmp_path)
    secret = outside / "keep.txt"
    secret.chmod(0o600)
    os.link(secret, root / "data" / "linked.json")
    plan = permissions.plan(root, exact=True)
    assert "data/linked.json" in plan.paths
    result = permissions.apply(plan)
    assert not result.ok
    assert any("hard links" in d for d in result.details), result.details
    assert secret.stat().st_mode & 0o777 == 0o600


def test_unsafe_state_dir_refuses_actions_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = demo_tree(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o755)  # others could read the key: not trusted
    monkeypatch.setenv(STATE_ENV, str(state))
    before = (root / PORTFOLIO).read_bytes()
    result = restore.apply(restore.plan(root, PORTFOLIO))
    assert not result.ok and "nothing changed" in result.message
    assert "must be owned by" in result.message
    assert (root / PORTFOLIO).read_bytes() == before
    assert not (state / hostkey.KEY_NAME).exists()


def test_files_root_creates_belong_to_the_tree_owner(tmp_path: Path) -> None:
    """Run as root on a bot-owned tree: new locks, quarantine entries and the audit log
    get the owner of their directory, so the bot can still open its lock files."""
    if os.geteuid() != 0:
        pytest.skip("needs root to chown the tree (CI runs as root)")
    root = demo_tree(tmp_path)
    uid, gid = 4321, 4321
    for path in [root, *root.rglob("*")]:
        os.lchown(path, uid, gid)
    (root / "data" / ".portfolio.json.lock").unlink(missing_ok=True)
    result = restore.apply(restore.plan(root, PORTFOLIO))
    assert result.ok, result.render()
    for rel in (
        "data/.portfolio.json.lock",
        PORTFOLIO,
        QUARANTINE_DIR,
        f"{QUARANTINE_DIR}/{result.action_id}",
        ACTIONS_LOG,
        journal.journal_rel(str(result.action_id)),
    ):
        st = (root / rel).lstat()
        assert (st.st_uid, st.st_gid) == (uid, gid), rel
