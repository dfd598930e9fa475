"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson

from core.config import ConfigError, load_config
from core.findings import Status
from core.health import HealthScanner
from core.textsafe import escape_controls, json_safe

#: Nagios UNKNOWN: the command cannot run at all (no root, bad configuration).
UNKNOWN = Status.UNKNOWN.exit_code


def add_root(parser: argparse.ArgumentParser) -> None:
    """``--root DIR`` (default: the current directory)."""
    parser.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="bot root directory holding data/, logs/... (default: current directory)",
    )


def add_json(parser: argparse.ArgumentParser) -> None:
    """``--json``: machine-readable output on stdout."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def print_json(obj: Any) -> None:
    """One JSON document on stdout (DEL/C1/bidi controls as ``\\uXXXX``: still the same JSON)."""
    encoded = orjson.dumps(obj, option=orjson.OPT_INDENT_2, default=str).decode()
    sys.stdout.write(json_safe(encoded) + "\n")


def fail(message: str, code: int = 1) -> int:
    """Print ``botstore: message`` to stderr and return ``code``."""
    sys.stderr.write(f"botstore: {escape_controls(message)}\n")
    return code


def scanner_for(args: argparse.Namespace) -> HealthScanner | None:
    """A scanner for ``args.root`` with ``args.config``; None (after saying why on stderr)
    when the root is not a directory or the configuration is invalid."""
    root = args.root
    if not root.is_dir():
        sys.stderr.write(f"botstore: root {root} does not exist or is not a directory\n")
        return None
    try:
        config = load_config(root, args.config)
    except ConfigError as exc:
        sys.stderr.write(f"botstore: invalid configuration: {escape_controls(str(exc))}\n")
        return None
    return HealthScanner(root, config)
