"""``botstore demo``: build a realistic demo tree; ``--live`` adds a simulated bot and the TUI."""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

from core.cli.common import fail

DEFAULT_ROOT = Path("botstore-demo")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="build a demo bot tree (and watch a simulated bot with --live)",
        description="Build a realistic bot tree (portfolio, snapshots, Parquet history, logs) "
        "to try botstore on; --live keeps a simulated bot writing to it.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=DEFAULT_ROOT,
        help=f"where to build it (default: ./{DEFAULT_ROOT}); rebuilt if it is a demo tree",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="keep a simulated bot writing and open the monitor on it",
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="with --live: run only the simulated bot, no TUI (Ctrl+C stops)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=2.0,
        help="seconds between simulated portfolio saves (default: 2)",
    )
    parser.add_argument(
        "--seconds",
        type=float,
        default=None,
        help="with --live --headless: stop after this many seconds",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="build even into a non-empty directory that is not a demo tree",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.demo import LiveBot, build_demo_tree

    try:
        summary = build_demo_tree(args.root, force=args.force)
    except FileExistsError as exc:
        return fail(f"{exc} (use --root with a new directory, or --force)", 2)
    print(
        f"demo tree: {summary.root.resolve()} — {summary.files} files, "
        f"{summary.bytes / 1e6:.1f} MB, {summary.snapshots} snapshots, "
        f"{summary.parquet_files} Parquet files"
    )
    if not args.live:
        print(f"open it with: botstore tui --root {summary.root}")
        return 0
    bot = LiveBot(summary.root, interval=args.interval)
    bot.start()
    try:
        if args.headless:
            deadline = None if args.seconds is None else time.monotonic() + args.seconds
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
            return 0
        app_module = importlib.import_module("tui.app")
        code: int = app_module.run(root=summary.root, config=None, read_only=False)
        return code
    finally:
        bot.stop()
        if bot.errors:
            fail(f"simulated bot hit {len(bot.errors)} error(s); last: {bot.errors[-1]}")
