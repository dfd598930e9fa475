"""The argument parser class: usage errors of a monitoring command exit 3 (Nagios UNKNOWN).

argparse exits 2 on a usage error, which a Nagios/Icinga server reads as
CRITICAL. :class:`BotstoreParser` lets each subparser carry its own usage exit
code (:func:`monitoring` sets 3 on ``check``, ``watch``, ``history``,
``metrics``; they also print ``BOTSTORE UNKNOWN - usage: …`` on stdout, the line
Nagios shows); the top-level parser routes "unrecognized arguments" to the
subparser that was selected, so ``botstore check --bogus`` exits 3 too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Final, NoReturn

#: argparse's own usage exit code (kept for non-monitoring commands).
USAGE_EXIT: Final = 2
#: Nagios UNKNOWN: what a monitoring command exits with when it cannot run at all.
UNKNOWN_EXIT: Final = 3


class BotstoreParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors exit with :attr:`usage_exit`."""

    usage_exit: int = USAGE_EXIT

    def error(self, message: str) -> NoReturn:
        """Print usage and ``prog: error: message`` to stderr; exit :attr:`usage_exit`.

        A monitoring command also prints a plugin status line on stdout, which is all
        Nagios/Icinga show: ``BOTSTORE UNKNOWN - usage: <message>``.
        """
        if self.usage_exit == UNKNOWN_EXIT:
            sys.stdout.write(f"BOTSTORE UNKNOWN - usage: {message} (see {self.prog} --help)\n")
            sys.stdout.flush()
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit, f"{self.prog}: error: {message}\n")

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """Like argparse, but extra arguments are reported by the chosen subcommand's parser."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.subparser_for(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def subparser_for(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The subparser of the command in ``parsed`` (``self`` when there is none)."""
        command = getattr(parsed, "command", None)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and command in action.choices:
                chosen: argparse.ArgumentParser = action.choices[command]
                return chosen
        return self


def monitoring(parser: argparse.ArgumentParser) -> None:
    """Mark ``parser`` as a monitoring command: usage and internal errors exit 3."""
    if isinstance(parser, BotstoreParser):
        parser.usage_exit = UNKNOWN_EXIT
    parser.set_defaults(monitoring=True)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every subcommand name -> its parser (for completion, the man page and tests)."""
    out: dict[str, Any] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            out.update(action.choices)
    return out
