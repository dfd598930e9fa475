"""Entry point of the ``botstore`` console script.

Each subcommand lives in its own module under ``core.cli`` exposing
``register(subparsers)``; the module list below is the only place that names
them. The TUI (``botstore`` alone, or ``botstore tui``) is imported lazily so
headless commands never load Textual.

Start-up is kept cheap (a check every minute on many hosts pays it each time):
the subcommand modules import their heavy libraries inside ``run``, never at
module level, and ``botstore --version`` answers before any parser is built
(``tests/integration/test_cli_startup.py`` checks which modules that loads).
"""

from __future__ import annotations

import importlib
import sys

from core.standard.version import __version__

TYPE_CHECKING = False  # not typing's: importing typing costs ~2 ms; mypy honours this name
if TYPE_CHECKING:  # argparse and typing are loaded only once a parser is built
    import argparse
    from collections.abc import Sequence
    from typing import Final

    from core.cli.parser import BotstoreParser

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
    "core.cli.completion_cmd",
    "core.cli.exchange_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every registered subcommand."""
    from core.cli.parser import BotstoreParser

    parser = BotstoreParser(
        prog="botstore",
        description="Storage health, recovery and live monitoring for a file-based trading bot.",
        epilog="Without a COMMAND, botstore opens the monitor (botstore tui). "
        "BOTSTORE_ROOT and BOTSTORE_CONFIG give the defaults of --root and --config. "
        "'botstore COMMAND --help' describes each command.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"botstore {__version__}",
        help="print the version and exit",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", title="commands", parser_class=BotstoreParser
    )
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _describe(sub)
    return parser


def _describe(sub: argparse._SubParsersAction[BotstoreParser]) -> None:
    """Give ``COMMAND --help`` (and the man page) a description wherever a module set none."""
    for choice in sub._choices_actions:
        parser = sub.choices[choice.dest]
        if not parser.description and choice.help:
            parser.description = choice.help[0].upper() + choice.help[1:] + "."


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # the cheapest path: no parser, no subcommand module
        sys.stdout.write(f"botstore {__version__}\n")
        return 0
    parser = build_parser()
    if not args_list or (
        args_list[0].startswith("--") and args_list[0] not in {"--help", "--version"}
    ):
        args_list = ["tui", *args_list]
    args = parser.parse_args(args_list)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - an internal error must still give an exit code
        problem = f"internal error: {type(exc).__name__}: {exc}"
        sys.stderr.write(f"botstore: {problem}\n")
        if not getattr(args, "monitoring", False):
            return 1
        if not (getattr(args, "json", False) or getattr(args, "jsonl", False)):
            sys.stdout.write(f"BOTSTORE UNKNOWN - {problem}\n")  # the line Nagios shows
        from core.cli.parser import UNKNOWN_EXIT

        return UNKNOWN_EXIT
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
