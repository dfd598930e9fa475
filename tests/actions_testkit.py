"""Helpers shared by the tests/test_actions_*.py files (not a test module itself)."""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from core.actions import Plan, cleanup, reset, restore
from core.demo import build_demo_tree
from core.standard.layout import ACTIONS_LOG, QUARANTINE_DIR
from core.storage.names import is_lock_name, is_temp_name

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
_TEMPLATE: dict[str, Path] = {}


def demo_tree(tmp_path: Path, name: str = "root") -> Path:
    """A fresh demo tree (built once per session, then copied: building takes seconds)."""
    if "tree" not in _TEMPLATE:
        template = tmp_path.parent / "actions-template"
        if not template.exists():
            build_demo_tree(template, now=NOW)
        _TEMPLATE["tree"] = template
    root = tmp_path / name
    shutil.copytree(_TEMPLATE["tree"], root, symlinks=True)
    return root


def tree_state(root: Path) -> dict[str, tuple[str, int, str]]:
    """Everything under ``root``: relpath -> (kind, mode, sha256 or link target)."""
    out: dict[str, tuple[str, int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            st = path.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", mode, os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, "")
            else:
                out[rel] = ("file", mode, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def live_files(root: Path) -> dict[str, bytes]:
    """The bot's files (no quarantine, locks, temps, audit log): relpath -> bytes."""
    out: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        if rel_dir == QUARANTINE_DIR or rel_dir.startswith(QUARANTINE_DIR + "/"):
            dirnames[:] = []
            continue
        for name in filenames:
            rel = f"{rel_dir}/{name}" if rel_dir != "." else name
            if is_lock_name(name) or is_temp_name(name) or rel == ACTIONS_LOG:
                continue
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                out[rel] = path.read_bytes()
    return out


def quarantined_bytes(root: Path) -> set[bytes]:
    """Every file's bytes under the quarantine."""
    base = root / QUARANTINE_DIR
    return (
        {p.read_bytes() for p in base.rglob("*") if p.is_file() and not p.is_symlink()}
        if base.exists()
        else set()
    )


def assert_old_or_new(root: Path, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    """The live files equal ``old`` or ``new`` exactly, and no original bytes are lost."""
    now = live_files(root)
    assert now in (old, new), _explain(now, old, new)
    kept = set(now.values()) | quarantined_bytes(root)
    lost = [rel for rel, payload in old.items() if payload not in kept]
    assert not lost, f"original bytes lost: {lost}"
    return "old" if now == old else "new"


def _explain(now: dict[str, bytes], old: dict[str, bytes], new: dict[str, bytes]) -> str:
    def delta(a: dict[str, bytes], b: dict[str, bytes]) -> list[str]:
        return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))

    return f"neither old nor new; vs old: {delta(now, old)}; vs new: {delta(now, new)}"


# --------------------------------------------------------------------------- scenarios


def prepare(root: Path) -> None:
    """Make the tree interesting for every action: a .bak that differs, old files, a temp."""
    old = (NOW - dt.timedelta(days=400)).timestamp()
    for rel in (
        "reports/daily_health/health_check_20250101_000000.json",
        "logs/daily_report_20250101.txt",
        "logs/supervisor.log.1",
    ):
        path = root / rel
        path.write_text(
            '{"analysis_type": "health_check", "timestamp": '
            '"2025-01-01T00:00:00.000000", "status": "ok", "version": "1.0"}\n'
            if rel.endswith(".json")
            else "old text\n"
        )
        os.chmod(path, 0o640 if rel.endswith(".json") else 0o644)
        os.utime(path, (old, old))


SCENARIOS: dict[str, Callable[[Path], Plan]] = {
    "restore": lambda root: restore.plan(root, "data/portfolio.json"),
    "cleanup": lambda root: cleanup.plan(
        root, cleanup.Retention(snapshots=30, reports=10, daily_reports=3, rotated_logs=30), now=NOW
    ),
    # Later than the newest demo snapshot (NOW, on the hour), as a real reset always is.
    "reset": lambda root: reset.plan(root, reason="test", now=NOW + dt.timedelta(minutes=30)),
}


# --------------------------------------------------------------------------- fault injection

FAULT_CALLS = (
    "open",
    "write",
    "fsync",
    "replace",
    "rename",
    "link",
    "unlink",
    "mkdir",
    "fchmod",
    "close",
    "read",
)


@contextmanager
def os_fault(
    monkeypatch: pytest.MonkeyPatch, nth: int, code: int = errno.EIO, persistent: bool = False
) -> Iterator[dict[str, Any]]:
    """Raise ``OSError(code)`` at the ``nth`` call (counting all ``FAULT_CALLS``) and,
    with ``persistent``, at every later one. Yields a dict with the call count."""
    state: dict[str, Any] = {"calls": 0, "fired": False, "active": True}
    for name in FAULT_CALLS:
        original = getattr(os, name)

        def wrapper(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            if state["active"]:
                state["calls"] += 1
                if state["calls"] == nth or (persistent and state["calls"] > nth):
                    state["fired"] = True
                    if _name == "close":  # Linux frees the descriptor even when close fails
                        _original(*args, **kwargs)
                    raise OSError(code, f"injected {os.strerror(code)} in os.{_name}")
            return _original(*args, **kwargs)

        monkeypatch.setattr(os, name, wrapper)
    try:
        yield state
    finally:
        state["active"] = False
        monkeypatch.undo()
