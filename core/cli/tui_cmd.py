"""``botstore tui``: open the live monitor (the default command)."""

from __future__ import annotations

import argparse
import importlib
import sys

from core.cli.common import add_config, add_root


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "tui",
        help="open the live storage monitor (default)",
        description="Open the Textual dashboard: it watches data/ and logs/ live, shows every "
        "finding and offers the recovery actions, each with a preview and a confirmation.",
    )
    add_root(parser)
    add_config(parser)
    parser.add_argument(
        "--read-only", action="store_true", help="disable every action that changes files"
    )
    parser.set_defaults(func=run)


#: Exit code without a terminal (Nagios UNKNOWN: a cron line that forgot ``check``).
NO_TTY = 3
NO_TTY_MESSAGE = (
    "botstore: the live monitor needs a terminal (stdin and stdout are not a TTY); "
    "for cron, scripts and monitoring run `botstore check` (or `botstore watch --jsonl`)\n"
)


def has_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    if not has_terminal():  # never write escape codes into a cron mail
        sys.stderr.write(NO_TTY_MESSAGE)
        return NO_TTY
    # Imported lazily: headless commands must never pay for (or depend on) Textual.
    app_module = importlib.import_module("tui.app")
    result: int = app_module.run(root=args.root, config=args.config, read_only=args.read_only)
    return result
