"""``botstore schema NAME``: print a file kind's JSON Schema for the bot's other tools."""

from __future__ import annotations

import argparse
import sys

from core.cli.common import fail, print_json
from core.schemas import PATH_KINDS, SCHEMA_NAMES, json_schema


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("schema", help="print the JSON Schema of a storage file kind")
    parser.add_argument("name", nargs="?", metavar="NAME", help="schema name (see --list)")
    parser.add_argument("--list", action="store_true", help="list the schema names and their paths")
    parser.set_defaults(func=run)


def _listing() -> str:
    paths: dict[str, list[str]] = {}
    for pattern, kind in PATH_KINDS:
        paths.setdefault(kind, []).append(pattern)
    width = max(len(name) for name in SCHEMA_NAMES)
    return "".join(
        f"{name:<{width}}  {', '.join(paths.get(name, ['(element of the snapshots file)']))}\n"
        for name in SCHEMA_NAMES
    )


def run(args: argparse.Namespace) -> int:
    if args.list:
        sys.stdout.write(_listing())
        return 0
    if args.name not in SCHEMA_NAMES:
        problem = "a NAME is required" if args.name is None else f"unknown schema {args.name!r}"
        return fail(f"{problem}; known schemas:\n{_listing()}", code=2)
    print_json(json_schema(args.name))
    return 0
