"""``botstore metrics``: the health report as Prometheus metrics (textfile or HTTP).

A scan that cannot run (no root, a bad ``botstore.toml``) is still exported: status
UNKNOWN (3) with ``botstore_scan_error{reason}``, so a textfile never keeps showing the
last good state and ``--listen`` keeps answering while the operator fixes the config
(each interval it tries again).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from types import FrameType
from typing import TYPE_CHECKING

from core.cli.common import UNKNOWN, add_config, add_root
from core.cli.parser import monitoring

if TYPE_CHECKING:  # the scanner and the metrics modules load only when the command runs
    from core.health import HealthScanner
    from core.health.metrics import ScanOutcome

DEFAULT_LISTEN_INTERVAL = 30.0
DEFAULT_TEXTFILE_INTERVAL = 60.0


def _listen_spec(text: str) -> tuple[str | None, int]:
    """``PORT``, ``ADDR:PORT`` or ``[IPV6]:PORT``."""
    addr: str | None = None
    port_text = text
    if text.startswith("["):
        addr, sep, port_text = text[1:].partition("]:")
        if not sep:
            raise argparse.ArgumentTypeError(f"expected [ADDR]:PORT, got {text!r}")
    elif ":" in text:
        addr, _, port_text = text.rpartition(":")
    try:
        port = int(port_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port: {port_text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {port}")
    return addr or None, port


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {text!r}")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "metrics",
        help="export health as Prometheus metrics",
        description="Write a node_exporter textfile (atomically) or serve /metrics over "
        "HTTP (loopback unless told otherwise). Needs the 'metrics' extra.",
    )
    monitoring(parser)
    add_root(parser)
    add_config(parser)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--textfile",
        default=None,
        metavar="FILE",
        help="write the metrics to FILE atomically (node_exporter textfile collector)",
    )
    target.add_argument(
        "--listen",
        type=_listen_spec,
        default=None,
        metavar="[ADDR:]PORT",
        help="serve /metrics on PORT (address 127.0.0.1 unless ADDR or --addr says otherwise)",
    )
    parser.add_argument(
        "--addr",
        default=None,
        help="address for --listen (default 127.0.0.1; 0.0.0.0 or :: to serve every interface)",
    )
    parser.add_argument(
        "--interval",
        type=_positive,
        default=None,
        metavar="SECONDS",
        help="--listen: scan every SECONDS (default 30); --textfile: how often you run it "
        "(default 60). Exported as botstore_scan_interval_seconds for the staleness alert",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=256,
        metavar="N",
        help="--listen: connections served at once; more wait in the backlog (default 256)",
    )
    parser.add_argument(
        "--read-timeout",
        type=_positive,
        default=5.0,
        metavar="SECONDS",
        help="--listen: close a connection whose request is not complete in time (default 5)",
    )
    parser.set_defaults(func=run)


class Attempts:
    """Scan attempts for ``args``: opens the scanner lazily (and again after a failure), counts
    failed attempts, says why on stderr when the reason changes."""

    def __init__(self, args: argparse.Namespace, interval: float, errors_total: int = 0) -> None:
        self._args = args
        self._interval = interval
        self._errors = errors_total
        self._scanner: HealthScanner | None = None
        self._said: str | None = None

    def __call__(self) -> ScanOutcome:
        from core.health.metrics import ScanOutcome

        failure = self._open() if self._scanner is None else None
        if self._scanner is not None:
            try:
                report = self._scanner.full_scan()
            except Exception as exc:  # noqa: BLE001 - exported as reason "scan", never a crash
                failure = ("scan", f"scan failed: {type(exc).__name__}: {exc}")
            else:
                self._said = None
                return ScanOutcome(time.time(), report, None, self._errors, self._interval)
        assert failure is not None  # noqa: S101 - no scanner means _open said why
        self._errors += 1
        reason, message = failure
        if message != self._said:
            sys.stderr.write(f"botstore: {message}\n")
            self._said = message
        return ScanOutcome(time.time(), None, reason, self._errors, self._interval)

    def _open(self) -> tuple[str, str] | None:
        from core.config import ConfigError, load_config
        from core.health import HealthScanner

        root = self._args.root
        if not root.is_dir():
            return "root", f"root {root} does not exist or is not a directory"
        try:
            config = load_config(root, self._args.config)
        except ConfigError as exc:
            return "config", f"invalid configuration: {exc}"
        self._scanner = HealthScanner(root, config)
        return None


def run(args: argparse.Namespace) -> int:
    from core.errors import BotstoreError
    from core.health.metrics import MetricsUnavailable

    try:
        if args.textfile is not None:
            return _textfile(args)
        return _listen(args)
    except MetricsUnavailable as exc:
        sys.stderr.write(f"botstore: {exc}\n")
        return UNKNOWN
    except (BotstoreError, OSError) as exc:
        sys.stderr.write(f"botstore: metrics failed: {exc}\n")
        return UNKNOWN


def _textfile(args: argparse.Namespace) -> int:
    from core.health.metrics import previous_errors_total, render
    from core.storage.write import atomic_write_bytes

    interval = args.interval or DEFAULT_TEXTFILE_INTERVAL
    attempt = Attempts(args, interval, previous_errors_total(args.textfile))
    outcome = attempt()
    atomic_write_bytes(args.textfile, render(outcome), mode=0o644)
    return UNKNOWN if outcome.report is None else 0


def _listen(args: argparse.Namespace) -> int:
    from core.health.metrics import require_client
    from core.health.metrics_server import DEFAULT_ADDR, MetricsServer, ScanLoop

    require_client()
    spec_addr, port = args.listen
    if spec_addr is not None and args.addr is not None and spec_addr != args.addr:
        sys.stderr.write(f"botstore: --listen says {spec_addr}, --addr says {args.addr}\n")
        return UNKNOWN
    addr = spec_addr or args.addr or DEFAULT_ADDR
    server = MetricsServer(
        addr, port, max_connections=max(1, args.max_connections), read_timeout=args.read_timeout
    )
    scans = ScanLoop(
        Attempts(args, args.interval or DEFAULT_LISTEN_INTERVAL),
        server,
        args.interval or DEFAULT_LISTEN_INTERVAL,
    )
    scans.run_once()  # the first scrape already has a completed scan
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    scans.start()
    shown = f"[{addr}]" if ":" in addr else addr
    sys.stderr.write(f"botstore: serving metrics on http://{shown}:{server.port}/metrics\n")
    sys.stderr.flush()
    try:
        stop.wait()
    finally:
        scans.stop()
        server.stop()
    return 0
