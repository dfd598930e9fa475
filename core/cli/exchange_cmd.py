"""``botstore rebuild-portfolio --from-exchange`` and ``botstore refetch-history``.

Both are ordinary plan/apply actions (preview by default, ``--yes`` applies,
``--json`` for machines) run by :func:`core.cli.actions_cmd.run`; the exchange
is configured in ``[exchange]`` of ``botstore.toml``. A download progress bar is
drawn on stderr only when it is a terminal and ``--json`` is not given.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from core.cli import actions_cmd
from core.cli.common import add_config, add_json, add_root

if TYPE_CHECKING:  # loaded when the command runs, never when the parser is built
    from core.actions.base import Plan


class ProgressBar:
    """``BTC-EUR_hour_180d.parquet [#####.....] 1500/4320`` redrawn in place on a TTY."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.drawn = False

    def __call__(self, series: str, done: int, total: int) -> None:
        share = 0.0 if total <= 0 else min(1.0, done / total)
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{series} [{bar}] {min(done, total)}/{total}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


def _progress(args: argparse.Namespace) -> ProgressBar | None:
    if args.json or not sys.stderr.isatty():
        return None
    return ProgressBar(sys.stderr)


def _exchange_errors() -> tuple[type[BaseException], ...]:
    from core.exchange.client import ExchangeFailed, ExchangeUnavailable

    return (ExchangeFailed, ExchangeUnavailable)


def _rebuild_plan(args: argparse.Namespace) -> Plan:
    from core.actions import rebuild_portfolio
    from core.actions.base import ActionError

    if not args.from_exchange:
        raise ActionError("rebuild-portfolio needs a source: --from-exchange")
    try:
        return rebuild_portfolio.plan(args.root, config=args.config)
    except _exchange_errors() as exc:
        raise ActionError(str(exc)) from None


def _refetch_plan(args: argparse.Namespace) -> Plan:
    from core.actions import refetch_history
    from core.actions.base import ActionError

    both = not args.missing and not args.gaps
    bar = _progress(args)
    try:
        return refetch_history.plan(
            args.root,
            args.series or None,
            missing=args.missing or both,
            gaps=args.gaps or both,
            config=args.config,
            progress=bar,
        )
    except _exchange_errors() as exc:
        raise ActionError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()


def _common(parser: argparse.ArgumentParser) -> None:
    add_root(parser)
    add_json(parser)
    add_config(parser, "botstore.toml to read [exchange] from")
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="apply the plan (default: only print it, change nothing)",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``rebuild-portfolio`` and ``refetch-history``."""
    p = sub.add_parser(
        "rebuild-portfolio",
        help="rebuild data/portfolio.json from exchange "
        "balances when it and its .bak are unusable ([exchange] in botstore.toml)",
    )
    p.add_argument(
        "--from-exchange",
        action="store_true",
        help="take amounts and prices from the exchange (the only source)",
    )
    _common(p)
    p.set_defaults(func=actions_cmd.run, planner=_rebuild_plan, read_only=False)

    p = sub.add_parser(
        "refetch-history",
        help="re-download missing, unreadable or gappy "
        "Parquet history from the exchange and merge it in",
    )
    p.add_argument(
        "series",
        nargs="*",
        metavar="SERIES",
        help="series such as BTC-EUR_hour_180d (default: every known series)",
    )
    p.add_argument(
        "--missing", action="store_true", help="only series whose file is missing or unreadable"
    )
    p.add_argument("--gaps", action="store_true", help="only fill gaps in existing series")
    _common(p)
    p.set_defaults(func=actions_cmd.run, planner=_refetch_plan, read_only=False)
