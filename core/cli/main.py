"""Entry point of the ``botstore`` console script.

Each subcommand lives in its own module under ``core.cli`` exposing
``register(subparsers)``; the module list below is the only place that names
them. The TUI (``botstore`` alone, or ``botstore tui``) is imported lazily so
headless commands never load Textual.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Final

from core import __version__

SUBCOMMAND_MODULES: Final = (
    "core.cli.tui_cmd",
    "core.cli.cloud_cmd",
    "core.cli.schema_cmd",
    "core.cli.demo_cmd",
    "core.cli.history_cmd",
    "core.cli.check_cmd",
    "core.cli.watch_cmd",
    "core.cli.metrics_cmd",
    "core.cli.actions_cmd",
    "core.cli.exchange_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="botstore",
        description="Storage health, recovery and live monitoring for a file-based trading bot.",
    )
    parser.add_argument("--version", action="version", version=f"botstore {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if (
        not args_list
        or (args_list[0].startswith("--")
        and args_list[0] not in {"--help", "--version"})
    ):
        args_list = ["tui", *args_list]
    args = parser.parse_args(args_list)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
