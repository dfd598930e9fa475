"""Acceptance 3: ``botstore watch --jsonl`` with a real watchdog observer in a subprocess."""

from __future__ import annotations

import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.demo import build_demo_tree
from core.standard import layout
from core.storage.write import atomic_write_bytes

REPO = Path(__file__).resolve().parents[2]


class WatchProcess:
    """``python -m core.cli.main watch --jsonl`` with its lines collected on a thread."""

    def __init__(self, root: Path, *extra: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.cli.main",
                "watch",
                "--root",
                str(root),
                "--jsonl",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def next(self, timeout: float) -> dict[str, Any] | None:
        try:
            item = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.seen.append(item)
        return item

    def wait_for(self, predicate: Any, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            item = self.next(left)
            if item is not None and predicate(item):
                return item
        return None

    def state(self) -> dict[tuple[str, str], str]:
        """Findings as reconstructed from every line seen so far."""
        out: dict[tuple[str, str], str] = {}
        for item in self.seen:
            finding = item.get("finding")
            if finding is None:
                continue
            key = (finding["code"], finding["path"])
            if item["event"] == "cleared":
                out.pop(key, None)
            else:
                out[key] = finding["severity"]
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
        if self.proc.stderr:
            self.proc.stderr.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    build_demo_tree(base)
    return base


@pytest.fixture
def watch(root: Path) -> Iterator[WatchProcess]:
    proc = WatchProcess(root)
    try:
        started = proc.wait_for(lambda i: i["event"] == "rescan" and i["reason"] == "start", 60)
        assert started is not None, "watch did not start"
        assert started["mode"] in ("inotify", "polling")
        yield proc
    finally:
        proc.stop()


def is_finding(item: dict[str, Any], event: str, code: str, path: str) -> bool:
    finding = item.get("finding")
    return (
        item["event"] == event
        and finding is not None
        and finding["code"] == code
        and finding["path"] == path
    )


def test_truncation_appears_within_a_second_and_clears(root: Path, watch: WatchProcess) -> None:
    path = root / layout.PORTFOLIO
    original = path.read_bytes()
    with open(path, "r+b") as handle:
        handle.truncate(len(original) // 2)
    written = time.monotonic()
    item = watch.wait_for(lambda i: is_finding(i, "appeared", "invalid_json", layout.PORTFOLIO), 10)
    assert item is not None, watch.seen
    assert item["finding"]["severity"] == "critical"
    assert time.monotonic() - written < 1.0  # acceptance: reported within 1 s
    path.write_bytes(original)
    cleared = watch.wait_for(
        lambda i: is_finding(i, "cleared", "invalid_json", layout.PORTFOLIO), 10
    )
    assert cleared is not None, watch.seen


def test_rapid_atomic_saves_end_in_the_fresh_check_state(
    root: Path,
    watch: WatchProcess,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bulk = root / "data" / "cache" / "bulk"
    bulk.mkdir(mode=0o750)
    files = [bulk / f"item_{i:04d}.json" for i in range(1000)]
    monkeypatch.setattr(
        os, "fsync", lambda _fd: None
    )  # speed only; the rename pattern is unchanged
    rng = random.Random(7)
    for n in range(10_000):
        target = files[n % 1000] if n < 1000 else rng.choice(files)
        payload = json.dumps({"n": n, "value": rng.random()}).encode()
        if rng.random() < 0.1:
            payload = payload[: len(payload) // 2]  # some saves leave broken JSON
        atomic_write_bytes(target, payload, mode=0o640)
    os.mkfifo(root / "data" / "cache" / "zz-sentinel")
    item = watch.wait_for(
        lambda i: is_finding(i, "appeared", "special_file", "data/cache/zz-sentinel"), 90
    )
    assert item is not None, "sentinel never reported"
    # the batch that carried the sentinel carried every earlier event: state is final
    main(["check", "--root", str(root), "--json"])
    fresh = json.loads(capsys.readouterr().out)
    expected = {(f["code"], f["path"]): f["severity"] for f in fresh["findings"]}
    assert any(code == "invalid_json" for code, _ in expected)
    assert watch.state() == expected
