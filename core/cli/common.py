"""Helpers shared by the subcommand modules.

Kept light: a subcommand module imports this at start-up, so nothing here
imports the health engine, pyarrow or pydantic at module level.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import orjson

from core.cli.parser import UNKNOWN_EXIT
from core.standard.layout import CONFIG_NAME
from core.text.textsafe import escape_controls, json_safe

if TYPE_CHECKING:
    from core.health import HealthScanner

#: Nagios UNKNOWN: the command cannot run at all (no root, bad configuration).
UNKNOWN: Final = UNKNOWN_EXIT
#: Environment variables giving the defaults of ``--root`` and ``--config`` (flags win).
ROOT_ENV: Final = "BOTSTORE_ROOT"
CONFIG_ENV: Final = "BOTSTORE_CONFIG"


def add_root(parser: argparse.ArgumentParser) -> None:
    """``--root DIR`` (default: ``$BOTSTORE_ROOT``, else the current directory)."""
    env = os.environ.get(ROOT_ENV)
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(env) if env else Path.cwd(),
        metavar="DIR",
        help=f"bot root directory holding data/, logs/... (default: ${ROOT_ENV}, "
        "else the current directory)",
    )


def add_config(parser: argparse.ArgumentParser, what: str = CONFIG_NAME) -> None:
    """``--config FILE`` (default: ``$BOTSTORE_CONFIG``, else ``ROOT/botstore.toml``)."""
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_ENV) or None,
        metavar="FILE",
        help=f"{what} (default: ${CONFIG_ENV}, else ROOT/botstore.toml)",
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
    from core.config import ConfigError, load_config
    from core.health import HealthScanner

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
