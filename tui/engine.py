"""The scan engine behind the monitor: the health scanner under a lock, full or incremental.

Thread-side: the app runs :class:`Engine` in a ``@work(thread=True)`` worker and
posts the report it returns; nothing here touches a widget (no textual import).
"""

from __future__ import annotations

import importlib
import stat
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from core.health.report import HealthReport
from core.standard import layout
from core.standard.findings import Finding, Severity, Status
from core.storage.names import is_lock_name, is_temp_name


def is_own_noise(relpath: str) -> bool:
    """Paths the monitor must ignore: atomic-write temps, lock sidecars, quarantine."""
    name = PurePosixPath(relpath).name
    if is_temp_name(name) or is_lock_name(name):
        return True
    return relpath.startswith(layout.QUARANTINE_DIR + "/")


# --------------------------------------------------------------------------- scanning


def _now_iso(clock: Callable[[], float]) -> str:
    return datetime.fromtimestamp(clock(), UTC).isoformat(timespec="seconds")


def absent_root_report(root: Path, clock: Callable[[], float], reason: str) -> HealthReport:
    """The report shown when the root cannot be scanned at all (absent, not a directory)."""
    finding = Finding("missing", Severity.CRITICAL, ".", reason)
    return HealthReport(
        root=str(root),
        checked_at=_now_iso(clock),
        status=Status.CRITICAL,
        health={"portfolio_file_exists": False},
        findings=[finding],
    )


class Engine:
    """The health scanner behind a lock: one scan at a time, full or incremental."""

    def __init__(self, root: Path, config: str | None, clock: Callable[[], float]) -> None:
        self.root = root
        self.config_path = config
        self.clock = clock
        self._scanner: Any = None
        self._lock = threading.Lock()

    def _make_scanner(self) -> Any:
        health = importlib.import_module("core.health")
        config_module = importlib.import_module("core.config")
        config = config_module.load_config(self.root, self.config_path)
        return health.HealthScanner(self.root, config)

    def root_problem(self) -> str | None:
        """Why the root cannot be scanned, or None."""
        try:
            st = self.root.stat()
        except FileNotFoundError:
            return f"root {self.root} does not exist"
        except OSError as exc:
            return f"root {self.root} is not accessible: {exc.strerror}"
        if not stat.S_ISDIR(st.st_mode):
            return f"root {self.root} is not a directory"
        return None

    @property
    def config(self) -> Any:
        """The resolved ``Config`` the scans use (``None`` before the first scan): the
        recovery actions take this one, so they ignore what the scan ignores."""
        scanner = self._scanner
        return None if scanner is None else scanner.config

    def entry_count(self) -> int:
        """Entries (files and directories) the scanner tracks; 0 before the first scan."""
        scanner = self._scanner
        if scanner is None:
            return 0
        # HealthScanner exposes no public count (yet); its entry map is the closest figure.
        entries = getattr(scanner, "entries", None)
        if entries is None:
            entries = getattr(scanner, "_entries", {})
        return len(entries)

    def full_scan(self) -> HealthReport:
        with self._lock:
            problem = self.root_problem()
            if problem is not None:
                self._scanner = None
                return absent_root_report(self.root, self.clock, problem)
            if self._scanner is None:
                self._scanner = self._make_scanner()
            report: HealthReport = self._scanner.full_scan()
            return report

    def update(self, changed: set[str]) -> HealthReport:
        with self._lock:
            if self._scanner is None:
                problem = self.root_problem()
                if problem is not None:
                    return absent_root_report(self.root, self.clock, problem)
                self._scanner = self._make_scanner()
                report: HealthReport = self._scanner.full_scan()
                return report
            updated: HealthReport = self._scanner.update(changed)
            return updated
