"""``botstore history``: list the Parquet market history files from their footers only.

A monitoring command: a missing root, a usage or an internal error exits 3 (UNKNOWN);
exit 1 when some file could not be summarized.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import sys
import time
from typing import TYPE_CHECKING, Any

from core.cli.common import UNKNOWN, add_json, add_root, fail, print_json
from core.cli.envelope import document
from core.cli.parser import monitoring
from core.standard.times import utc_stamp
from core.standard.units import format_age
from core.text.textsafe import escape_controls

if TYPE_CHECKING:
    from core.tracking.history import ParquetSummary

_COLUMNS = (
    "file",
    "asset",
    "base",
    "gran",
    "period",
    "rows",
    "first (UTC)",
    "last (UTC)",
    "age",
    "gaps",
    "dups",
    "codec",
    "problem",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``history`` subcommand."""
    parser = sub.add_parser(
        "history",
        help="list data/historical/*.parquet (footer only)",
        description="List the Parquet market history files: asset, granularity, rows, first "
        "and last candle, age, gaps and duplicates, read from each file's footer only.",
    )
    monitoring(parser)
    add_root(parser)
    add_json(parser)
    parser.set_defaults(func=run)


def _age(seconds: float | None) -> str:
    return "-" if seconds is None else format_age(seconds)


def _short(stamp: str | None) -> str:
    return "-" if stamp is None else stamp.replace("+00:00", "Z")[:16].replace("T", " ")


def _row(summary: ParquetSummary, name: str) -> tuple[str, ...]:
    def text(value: object) -> str:
        return "-" if value is None else str(value)

    return (
        name,
        text(summary.asset),
        text(summary.base),
        text(summary.granularity),
        text(summary.period),
        text(summary.rows),
        _short(summary.start),
        _short(summary.end),
        _age(summary.last_candle_age_s),
        text(summary.gaps),
        text(summary.duplicates),
        text(summary.compression),
        summary.error or "",
    )


def format_table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned text columns (numbers right-aligned) with a header line."""
    table = [_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
    numeric = {"rows", "gaps", "dups", "age"}
    lines = []
    for r in table:
        cells = [
            cell.rjust(w) if _COLUMNS[i] in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """List every history file; exit 0, or 1 when some file could not be summarized."""
    from core.tracking.history import footer_summary, history_files

    root = args.root
    if not root.is_dir():
        return fail(f"root {root} does not exist or is not a directory", UNKNOWN)
    started = time.perf_counter()
    now = _dt.datetime.now(_dt.UTC)
    files = history_files(root)
    summaries = [footer_summary(p, now=now, label=p.relative_to(root).as_posix()) for p in files]
    if args.json:
        out: dict[str, Any] = {
            "checked_at": utc_stamp(now),
            "files": [dataclasses.asdict(s) for s in summaries],
        }
        print_json(document(root, time.perf_counter() - started, out))
    elif not summaries:
        sys.stdout.write("no history files in data/historical/\n")
    else:
        rows = [_row(s, escape_controls(p.name)) for s, p in zip(summaries, files, strict=True)]
        sys.stdout.write(format_table(rows) + "\n")
    return 1 if any(s.error for s in summaries) else 0
