"""Injected EIO/ENOSPC at the Nth OS call during restore, cleanup and reset: afterwards the
tree holds the old or the new state (never a mix) and no original bytes are lost."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
from actions_testkit import (
    SCENARIOS,
    assert_old_or_new,
    demo_tree,
    live_files,
    os_fault,
    prepare,
)

from core.actions import apply
from core.actions.rollforward import pending_journals, recover


def _expected_new(tmp_path: Path, name: str) -> dict[str, bytes]:
    root = demo_tree(tmp_path, f"{name}-reference")
    prepare(root)
    result = apply(SCENARIOS[name](root))
    assert result.ok, result.render()
    return live_files(root)


def _count_calls(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> int:
    root = demo_tree(tmp_path, f"{name}-count")
    prepare(root)
    plan = SCENARIOS[name](root)
    with os_fault(monkeypatch, nth=10**9) as state:
        assert apply(plan).ok
    return int(state["calls"])


@pytest.mark.parametrize("name", ["restore", "cleanup", "reset"])
@pytest.mark.parametrize(("code", "persistent"), [(errno.EIO, False), (errno.ENOSPC, True)])
def test_fault_at_every_os_call_leaves_old_or_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, code: int, persistent: bool
) -> None:
    new = _expected_new(tmp_path, name)
    total = _count_calls(tmp_path, name, monkeypatch)
    pristine = demo_tree(tmp_path, f"{name}-pristine")
    prepare(pristine)
    old = live_files(pristine)
    # Every call for small actions; an even spread (always incl. the last ones) otherwise.
    stride = 1 if total <= 120 else total // 40
    points = sorted({*range(1, total + 1, stride), *range(max(1, total - 8), total + 1)})
    outcomes: dict[str, int] = {"old": 0, "new": 0}
    for nth in points:
        root = tmp_path / f"{name}-{nth}"
        shutil.copytree(pristine, root, symlinks=True)
        plan = SCENARIOS[name](root)
        with os_fault(monkeypatch, nth=nth, code=code, persistent=persistent) as state:
            result = apply(plan)
        assert state["fired"], nth
        if pending_journals(root):  # the fault also hit the rollback: finish it now
            recover(root)
        assert not pending_journals(root)
        outcome = assert_old_or_new(root, old, new)
        outcomes[outcome] += 1
        assert result.ok == (outcome == "new") or not result.ok
        shutil.rmtree(root)
    assert outcomes["old"] > 0 and outcomes["new"] > 0, outcomes
