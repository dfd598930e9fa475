"""``botstore schema NAME``: print a file kind's JSON Schema for the bot's other tools;
``botstore schema --output NAME``: the JSON Schema of one of botstore's own JSON outputs;
``botstore schema --config``: the JSON Schema of ``botstore.toml`` (for editors)."""

from __future__ import annotations

import argparse
import sys

from core.cli.common import fail, print_json
from core.cli.output_schemas import OUTPUTS, output_schema


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of a storage file kind (or of an output)",
        description="Print the JSON Schema of a storage file kind (portfolio, snapshot, ...), "
        "with --output the schema of a botstore JSON output (action, check, history, sync, ...), "
        "or with --config the schema of botstore.toml.",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="schema name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the schema names and their paths")
    parser.add_argument(
        "--output",
        choices=sorted(OUTPUTS),
        default=None,
        metavar="OUTPUT",
        help="print the schema of a JSON output instead: " + ", ".join(sorted(OUTPUTS)),
    )
    parser.add_argument(
        "--config",
        action="store_true",
        help="print the schema of botstore.toml instead",
    )
    parser.set_defaults(func=run)


def _listing() -> str:
    from core.documents.schemas import PATH_KINDS, SCHEMA_NAMES

    paths: dict[str, list[str]] = {}
    for pattern, kind in PATH_KINDS:
        paths.setdefault(kind, []).append(pattern)
    width = max(len(name) for name in SCHEMA_NAMES)
    return "".join(
        f"{name:<{width}}  {', '.join(paths.get(name, ['(element of the snapshots file)']))}\n"
        for name in SCHEMA_NAMES
    )


def run(args: argparse.Namespace) -> int:
    from core.documents.schemas import SCHEMA_NAMES, json_schema

    if args.config:
        from core.config.schema import config_schema

        print_json(config_schema())
        return 0
    if args.output is not None:
        print_json(output_schema(args.output))
        return 0
    if args.list:
        sys.stdout.write(_listing())
        return 0
    if args.name not in SCHEMA_NAMES:
        problem = "a NAME is required" if args.name is None else f"unknown schema {args.name!r}"
        return fail(f"{problem}; known schemas:\n{_listing()}", code=2)
    print_json(json_schema(args.name))
    return 0
