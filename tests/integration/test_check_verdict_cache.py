"""``botstore check`` keeps content verdicts between processes, and never trusts them blindly.

Every check runs in a fresh interpreter (a tiny wrapper around ``core.cli.main``
that reports which heavy libraries ended up in ``sys.modules``), with its own
private state directory. ``verdicts.RECENT_NS`` is set to 0 in the wrapper where a
test needs the verdicts of files it has just written to be kept (the margin itself
is tested with its real value). Real trees, real files, no timing assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from realbot_tree import build_realbot_tree

from core.demo import build_demo_tree
from core.health.verdicts import cache_name
from core.standard import layout

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("pyarrow", "pydantic", "numpy")
WRAPPER = """
import json, sys
import core.health.verdicts as verdicts
verdicts.RECENT_NS = int(sys.argv[1])
verdicts.MAX_BYTES = int(sys.argv[2])
from core.cli.main import main
rc = main(sys.argv[4:])
sys.stdout.flush()
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[3].split(",")))
sys.stderr.write("\\nWRAPPER " + json.dumps({"rc": rc, "heavy": heavy}) + "\\n")
sys.exit(rc)
"""


def run_check(
    root: Path,
    state: Path,
    *args: str,
    recent_ns: int | None = 0,
    max_bytes: int = 64 * 1024 * 1024,
) -> tuple[int, str, list[str]]:
    """``botstore check --root ROOT ARGS`` in a fresh process: (exit code, stdout, heavy)."""
    env = {**os.environ, "BOTSTORE_STATE_DIR": str(state)}
    from core.health import verdicts

    margin = verdicts.RECENT_NS if recent_ns is None else recent_ns
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            WRAPPER,
            str(margin),
            str(max_bytes),
            ",".join(HEAVY),
            "check",
            "--root",
            str(root),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    marker = proc.stderr.rsplit("WRAPPER ", 1)
    assert len(marker) == 2, proc.stderr
    info = json.loads(marker[1])
    assert info["rc"] == proc.returncode
    return proc.returncode, proc.stdout, info["heavy"]


def findings(stdout: str) -> dict[str, Any]:
    """What must not depend on the cache: status, health, findings (with hints), groups."""
    doc = json.loads(stdout)
    return {k: doc[k] for k in ("status", "health", "findings", "groups", "backups")}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    directory.mkdir(mode=0o700)
    return directory


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    build_demo_tree(root)
    return root


def cache_file(state: Path, root: Path) -> Path:
    return state / cache_name(os.path.abspath(root))


# --------------------------------------------------------------------------- hits


def test_an_unchanged_tree_is_checked_without_pyarrow_or_pydantic(demo: Path, state: Path) -> None:
    rc, first, heavy = run_check(demo, state, "--json")
    assert rc == 0
    assert {"pyarrow", "pydantic"} <= set(heavy)  # the first check reads and validates
    cache = cache_file(state, demo)
    assert cache.is_file()
    assert cache.stat().st_mode & 0o777 == 0o600
    rc, again, heavy = run_check(demo, state, "--json")
    assert rc == 0
    assert heavy == []
    assert findings(again) == findings(first)


def test_the_same_findings_with_and_without_the_cache_on_a_real_bot_tree(
    tmp_path: Path, state: Path
) -> None:
    tree = build_realbot_tree(tmp_path / "bot")
    root = tree.root
    # and some damage of every content kind, so the verdicts are not all clean
    (root / "data" / "trade_history.json").write_text('{"broken": ', encoding="utf-8")
    (root / layout.SNAPSHOTS).write_text('{"version": 1, "snapshots": []}', encoding="utf-8")
    history = sorted((root / "data" / "historical").glob("*.parquet"))[0]
    (history.with_name("not-a-history-name.parquet")).write_bytes(history.read_bytes())
    rc_cold, cold, heavy = run_check(root, state, "--json")
    assert "pydantic" in heavy and "pyarrow" in heavy
    rc_warm, _, heavy = run_check(root, state, "-q")
    assert heavy == []  # every verdict was kept (the fix hints of --json load the catalog)
    rc_warm, warm, heavy = run_check(root, state, "--json")
    assert "pyarrow" not in heavy
    assert rc_warm == rc_cold != 0
    assert findings(warm) == findings(cold)
    assert any(f["path"].endswith("not-a-history-name.parquet") for f in findings(warm)["findings"])
    fresh = state.parent / "fresh"
    fresh.mkdir(mode=0o700)
    _, uncached, _ = run_check(root, fresh, "--json")
    assert findings(uncached) == findings(warm)


# --------------------------------------------------------------------------- misses


def test_a_changed_document_is_validated_again(demo: Path, state: Path) -> None:
    run_check(demo, state)
    portfolio = demo / layout.PORTFOLIO
    data = json.loads(portfolio.read_text(encoding="utf-8"))
    data["holdings"] = "not a mapping"
    portfolio.write_text(json.dumps(data), encoding="utf-8")
    rc, out, heavy = run_check(demo, state, "--json")
    assert "pydantic" in heavy
    assert rc == 2
    assert any(
        f["code"] == "schema" and f["path"] == layout.PORTFOLIO for f in findings(out)["findings"]
    )


def _corrupt_in_place(path: Path, at: int, junk: bytes) -> None:
    """Overwrite bytes at ``at`` (same size), then put the old atime/mtime back."""
    before = path.stat()
    with path.open("r+b") as handle:
        handle.seek(at)
        handle.write(junk)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size,
        before.st_mtime_ns,
        before.st_ino,
    )
    assert after.st_ctime_ns != before.st_ctime_ns


def test_a_document_corrupted_behind_a_preserved_mtime_is_found(demo: Path, state: Path) -> None:
    rc, _, _ = run_check(demo, state)
    assert rc == 0
    _, _, heavy = run_check(demo, state)
    assert heavy == []  # the verdicts are cached now
    # a document whose verdict alone is kept (its data is not re-read for the aggregates)
    rel = "data/performance/performance_metrics.json"
    _corrupt_in_place(demo / rel, 0, b"\x00")
    rc, out, _ = run_check(demo, state, "--json")
    assert any(f["path"] == rel for f in findings(out)["findings"])
    assert rc != 0


def test_a_parquet_file_corrupted_behind_a_preserved_mtime_is_found(
    demo: Path, state: Path
) -> None:
    run_check(demo, state)
    _, _, heavy = run_check(demo, state)
    assert heavy == []
    history = sorted((demo / "data" / "historical").glob("*.parquet"))[0]
    _corrupt_in_place(history, history.stat().st_size - 4, b"XXXX")  # the footer's magic
    rc, out, heavy = run_check(demo, state, "--json")
    assert "pyarrow" in heavy
    rel = history.relative_to(demo).as_posix()
    assert any(f["code"] == "parquet" and f["path"] == rel for f in findings(out)["findings"])
    assert rc == 2


def test_verdicts_of_files_written_just_before_the_scan_are_not_kept(
    demo: Path, state: Path
) -> None:
    """With the real margin a tree written a moment ago is validated on every check."""
    run_check(demo, state, recent_ns=None)
    _, _, heavy = run_check(demo, state, recent_ns=None)
    assert "pydantic" in heavy


# --------------------------------------------------------------------------- hostile caches


def _forge(state: Path, root: Path) -> tuple[Path, bytes]:
    """A cache whose portfolio verdict claims a finding the file does not have."""
    run_check(root, state)
    cache = cache_file(state, root)
    doc = json.loads(cache.read_bytes())
    entry = doc["files"][layout.PORTFOLIO]
    entry[7] = [["schema", "critical", layout.PORTFOLIO, "FORGED verdict"]]
    forged = json.dumps(doc).encode()
    cache.write_bytes(forged)
    cache.chmod(0o600)
    return cache, forged


def test_a_well_formed_private_cache_is_believed(demo: Path, state: Path) -> None:
    """The control for the tests below: the forged verdict is used when the cache is trusted."""
    _forge(state, demo)
    rc, out, _ = run_check(demo, state)
    assert "FORGED verdict" in out
    assert rc == 2


@pytest.mark.parametrize("junk", [b"", b"\x00\xff garbage", b"[1, 2, 3]", b'{"format": 1}'])
def test_a_garbage_cache_is_ignored_and_replaced(demo: Path, state: Path, junk: bytes) -> None:
    _forge(state, demo)
    cache = cache_file(state, demo)
    cache.write_bytes(junk)
    rc, out, heavy = run_check(demo, state)
    assert rc == 0, out
    assert "pydantic" in heavy
    assert json.loads(cache.read_bytes())["files"]  # rewritten, valid


def test_a_symlinked_cache_is_neither_read_nor_written_through(demo: Path, state: Path) -> None:
    cache, forged = _forge(state, demo)
    elsewhere = state.parent / "elsewhere.json"
    elsewhere.write_bytes(forged)
    elsewhere.chmod(0o600)
    cache.unlink()
    cache.symlink_to(elsewhere)
    rc, out, _ = run_check(demo, state)
    assert "FORGED" not in out
    assert rc == 0
    assert elsewhere.read_bytes() == forged  # the link's target is untouched
    assert not cache.is_symlink()  # the link itself was replaced by a real cache


def test_a_cache_not_private_or_not_ours_is_ignored(demo: Path, state: Path) -> None:
    cache, _ = _forge(state, demo)
    cache.chmod(0o644)
    rc, out, _ = run_check(demo, state)
    assert "FORGED" not in out
    assert rc == 0
    cache, _ = _forge(state, demo)
    if os.geteuid() == 0:  # only root can hand a file to another user
        os.chown(cache, 65534, 65534)
        rc, out, _ = run_check(demo, state)
        assert "FORGED" not in out
        assert rc == 0
    cache, _ = _forge(state, demo)
    state.chmod(0o755)  # a state directory others can look into is not trusted either
    rc, out, _ = run_check(demo, state)
    assert "FORGED" not in out
    assert rc == 0


def test_a_huge_cache_is_not_read(demo: Path, state: Path) -> None:
    cache, forged = _forge(state, demo)
    cap = len(forged) + 10
    cache.write_bytes(forged + b" " * 100)  # still valid JSON, but over the cap
    rc, out, _ = run_check(demo, state, max_bytes=cap)
    assert "FORGED" not in out
    assert rc == 0
    cache.write_bytes(forged)  # and under the cap it would have been read
    rc, out, _ = run_check(demo, state, max_bytes=cap)
    assert "FORGED" in out


def test_an_unusable_state_directory_only_costs_the_cache(demo: Path, tmp_path: Path) -> None:
    missing_parent = tmp_path / "file-not-dir"
    missing_parent.write_text("x", encoding="utf-8")
    rc, out, heavy = run_check(demo, missing_parent / "state", "--json")
    assert rc == 0
    assert "pydantic" in heavy
    assert findings(out)["status"] == "ok"
