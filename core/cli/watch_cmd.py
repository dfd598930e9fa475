"""``botstore watch``: stay running and print finding transitions as they happen.

With ``--jsonl`` every line is one JSON object::

    {"event": "appeared|changed|cleared", "finding": {code, severity, path, message}, "at": ISO}
    {"event": "rescan", "finding": null, "at": ISO, "reason": "start|overflow|watch-limit|periodic",
     "mode": "inotify|polling", "status": "ok|warning|critical"}

each preceded by the JSON contract's keys (``schema_version``, ``botstore_version``,
``host``, ``root``, ``scan_seconds`` of the scan behind the line; ``core.cli.envelope``);
``at`` is RFC 3339 UTC (``2026-01-31T12:00:00Z``).

On start, every current finding is printed as ``appeared`` and then one
``rescan`` line with ``reason: "start"`` (the watcher is live from that line
on). ``changed`` means the severity changed. Time-based checks are re-evaluated
every ``--interval`` seconds; a full rescan runs every ``--rescan-interval``
seconds (it also catches our own temp files, which the watcher ignores, once
they become leftovers), after an inotify queue overflow, and at start when
inotify could not be used (polling fallback).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any

import orjson

from core.cli.common import UNKNOWN, add_config, add_root, scanner_for
from core.cli.envelope import envelope
from core.cli.parser import monitoring
from core.standard.times import utc_stamp
from core.text.textsafe import escape_controls, json_safe

if TYPE_CHECKING:
    from core.health import HealthScanner
    from core.health.report import HealthReport
    from core.health.watch import TreeWatcher
    from core.standard.findings import Finding


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "watch",
        help="watch the tree and print findings as they appear/clear",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    monitoring(parser)
    add_root(parser)
    add_config(parser)
    parser.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--interval",
        type=float,
        default=15.0,
        help="seconds between re-evaluations of time-based checks (default 15)",
    )
    parser.add_argument(
        "--rescan-interval",
        type=float,
        default=60.0,
        help="seconds between full rescans, 0 = never (default 60)",
    )
    parser.add_argument("--polling", action="store_true", help="use the polling observer")
    parser.set_defaults(func=run)


def _now() -> str:
    return utc_stamp()


def _with_hint(root: str, finding: Finding) -> dict[str, Any]:
    """The finding as JSON, with its best fix's command as ``hint`` when it has one (asked
    only for the findings a line is printed for, not for every finding on every scan)."""
    from core.actions.catalog import best_fix

    data = finding.to_dict()
    fix = best_fix(root, finding)
    if fix is not None:
        data["hint"] = fix.command
    return data


class WatchPrinter:
    """Diffs successive reports and prints the transitions (thread-safe)."""

    def __init__(self, scanner: HealthScanner, jsonl: bool) -> None:
        self.scanner = scanner
        self.jsonl = jsonl
        self.state: dict[tuple[str, str], Finding] = {}
        self.lock = threading.Lock()
        self.watcher: TreeWatcher | None = None
        self.scan_seconds: float | None = None

    def _emit(self, obj: dict[str, Any]) -> None:
        if self.jsonl:
            line = json_safe(
                orjson.dumps({**envelope(self.scanner.root, self.scan_seconds), **obj}).decode()
            )
        else:
            finding = obj.get("finding")
            if finding is None:
                line = (
                    f"{obj['at']} rescan ({obj.get('reason')}, {obj.get('mode')}): "
                    f"{obj.get('status')}"
                )
            else:
                line = (
                    f"{obj['at']} {obj['event']:<8} {finding['severity']:<8} [{finding['code']}] "
                    f"{finding['path']}: {finding['message']}"
                )
            line = escape_controls(line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def apply(self, report: HealthReport) -> None:
        at = _now()
        self.scan_seconds = report.scan_seconds
        new = {f.key: f for f in report.findings}
        for key, old in self.state.items():
            if key not in new:
                self._emit({"event": "cleared", "finding": old.to_dict(), "at": at})
        for key, finding in new.items():
            old_finding = self.state.get(key)
            if old_finding is None:
                self._emit(
                    {"event": "appeared", "finding": _with_hint(report.root, finding), "at": at}
                )
            elif old_finding.severity is not finding.severity:
                self._emit(
                    {"event": "changed", "finding": _with_hint(report.root, finding), "at": at}
                )
        self.state = new

    def rescan(self, reason: str) -> None:
        with self.lock:
            report = self.scanner.full_scan()
            self.apply(report)
            self._emit(
                {
                    "event": "rescan",
                    "finding": None,
                    "at": _now(),
                    "reason": reason,
                    "mode": self.watcher.mode if self.watcher else None,
                    "status": report.status.value,
                }
            )

    def changed(self, paths: set[str]) -> None:
        with self.lock:
            self.apply(self.scanner.update(paths))


def run(args: argparse.Namespace) -> int:
    from core.health.watch import TreeWatcher

    scanner = scanner_for(args)
    if scanner is None:
        return UNKNOWN
    printer = WatchPrinter(scanner, args.jsonl)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    watcher = TreeWatcher(
        args.root,
        printer.changed,
        printer.rescan,
        ignore=scanner.config.is_ignored,
        force_polling=args.polling,
    )
    printer.watcher = watcher
    try:
        watcher.start()
        printer.rescan("start")
        last_full = last_tick = _monotonic()
        while not stop.wait(min(1.0, args.interval)):
            now = _monotonic()
            if args.rescan_interval > 0 and now - last_full >= args.rescan_interval:
                printer.rescan("periodic")
                last_full = last_tick = now
            elif now - last_tick >= args.interval:
                printer.changed(set())
                last_tick = now
    except OSError as exc:
        sys.stderr.write(f"botstore: cannot watch {args.root}: {exc.strerror or exc}\n")
        return UNKNOWN
    finally:
        watcher.stop()
    return 0


def _monotonic() -> float:
    import time

    return time.monotonic()
