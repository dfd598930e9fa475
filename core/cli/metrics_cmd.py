"""``botstore metrics``: the health report as Prometheus metrics (textfile or HTTP)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from core.atomic import atomic_write_bytes
from core.cli.common import UNKNOWN, add_config, add_root, scanner_for
from core.cli.parser import monitoring
from core.errors import StorageError
from core.metrics import MetricsUnavailable, render, serve


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "metrics",
        help="export health as Prometheus metrics",
        description="Write a node_exporter textfile (atomically) or serve "
        "/metrics over HTTP. Needs the 'metrics' extra.",
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
        type=int,
        default=None,
        metavar="PORT",
        help="serve /metrics on PORT (rescans at most every 5 s)",
    )
    parser.add_argument("--addr", default="0.0.0.0", help="address for --listen (default 0.0.0.0)")  # noqa: S104
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    scanner = scanner_for(args)
    if scanner is None:
        return UNKNOWN
    try:
        if args.textfile is not None:
            payload = render(scanner.full_scan())
            atomic_write_bytes(args.textfile, payload, mode=0o644)
            return 0
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        server = serve(args.listen, scanner.full_scan, addr=args.addr)
        sys.stderr.write(f"botstore: serving metrics on http://{args.addr}:{args.listen}/metrics\n")
        stop.wait()
        if isinstance(server, tuple):
            server[0].shutdown()
        return 0
    except MetricsUnavailable as exc:
        sys.stderr.write(f"botstore: {exc}\n")
        return UNKNOWN
    except (OSError, StorageError) as exc:
        sys.stderr.write(f"botstore: metrics failed: {exc}\n")
        return UNKNOWN
