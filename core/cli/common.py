"""Helpers shared by the subcommand modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson


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
    """One JSON document on stdout."""
    sys.stdout.write(orjson.dumps(obj, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")


def fail(message: str, code: int = 1) -> int:
    """Print ``botstore: message`` to stderr and return ``code``."""
    sys.stderr.write(f"botstore: {message}\n")
    return code
