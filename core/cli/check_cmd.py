"""``botstore check``: one scan, a Nagios/Icinga plugin status line and exit code (0/1/2/3).

Follows the Monitoring Plugins development guidelines: exit 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN (also for every usage, configuration, timeout and
internal error); the first line is ``BOTSTORE <STATE> - <summary> | <perfdata>``
with perfdata as ``label=value[UOM];[warn];[crit];[min];[max]``; ``-t`` bounds
the run, ``-v``/``-q`` set the amount of text, ``-w``/``-c`` override the
headline thresholds.

Sections (kept apart so small edits merge): arguments, threshold overrides,
the UNKNOWN answer, running with a deadline. What a check prints (perfdata, the
status line, the text report) is :mod:`core.cli.check_output`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from core.cli.common import UNKNOWN, add_config, add_json, add_root, print_json
from core.cli.envelope import document
from core.cli.parser import monitoring
from core.errors import BotstoreError
from core.standard.layout import PORTFOLIO
from core.standard.times import utc_stamp
from core.text.textsafe import escape_controls

if TYPE_CHECKING:
    from core.config import Config
    from core.health.report import HealthReport

_T = TypeVar("_T")
DEFAULT_TIMEOUT: Final = 30.0
#: ``-w/-c`` names beyond the ``[thresholds]`` keys: the perfdata labels they drive.
HEADLINE_ALIASES: Final = {"disk_free": "disk_free_percent", "portfolio_age": "stale_seconds"}

# --------------------------------------------------------------------------- arguments


def _threshold_arg(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` for ``-w``/``-c`` (validated against the config keys at run time)."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{name}: {value!r} is not a number") from None
    if not number >= 0:  # negative or NaN
        raise argparse.ArgumentTypeError(f"{name}: {value!r} must be a number >= 0")
    return name.strip(), number


def _timeout_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0 (0 = no timeout)")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="scan the tree once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        description="Scan a bot root once and report like a Nagios/Icinga plugin: one status "
        "line with perfdata, then the findings. Usage, configuration, timeout and internal "
        "errors exit 3 (UNKNOWN).",
        epilog="Perfdata: scan_time=Ns critical=N;;0;0 warning=N;0;;0 info=N;;;0 "
        "disk_free=P%;W:;C:;0;100 portfolio_age=Ns;W;C;0 snapshots=N;;;0. "
        "-w/-c names: disk_free (= disk_free_percent), portfolio_age (stale seconds of "
        f"{PORTFOLIO}) or any [thresholds] key of botstore.toml.",
    )
    monitoring(parser)
    add_root(parser)
    add_config(parser)
    add_json(parser)
    parser.add_argument(
        "-t",
        "--timeout",
        type=_timeout_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"give up with UNKNOWN after SECONDS (default {DEFAULT_TIMEOUT:g}; 0 = never)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="more detail: -v configuration and thresholds, -vv every file scanned, -vvv timings",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the status line")
    parser.add_argument(
        "-w",
        "--warning",
        type=_threshold_arg,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a warning threshold, e.g. -w disk_free=10 -w portfolio_age=3600",
    )
    parser.add_argument(
        "-c",
        "--critical",
        type=_threshold_arg,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a critical threshold, e.g. -c disk_free=3",
    )
    parser.set_defaults(func=run)


# --------------------------------------------------------------------------- threshold overrides


def apply_overrides(
    config: Config, warning: list[tuple[str, float]], critical: list[tuple[str, float]]
) -> Config:
    """``config`` with the ``-w``/``-c`` values set; ValueError names an unknown NAME."""
    from core.config import Threshold

    wanted: dict[str, dict[str, float]] = {}
    for level, pairs in (("warning", warning), ("critical", critical)):
        for name, value in pairs:
            wanted.setdefault(name, {})[level] = value
    thresholds = dict(config.thresholds)
    overrides = list(config.overrides)
    for name, levels in wanted.items():
        if name == "portfolio_age":
            current = config.threshold("stale_seconds", PORTFOLIO)
            overrides.append((PORTFOLIO, {"stale_seconds": dataclasses.replace(current, **levels)}))
            continue
        key = HEADLINE_ALIASES.get(name, name)
        if key not in thresholds:
            known = ", ".join(sorted([*HEADLINE_ALIASES, *thresholds]))
            raise ValueError(f"unknown threshold {name!r} (known: {known})")
        current = thresholds[key]
        thresholds[key] = Threshold(
            levels.get("warning", current.warning), levels.get("critical", current.critical)
        )
    return dataclasses.replace(config, thresholds=thresholds, overrides=tuple(overrides))


# --------------------------------------------------------------------------- the UNKNOWN answer


def unknown(message: str, as_json: bool, root: Path, code: str = "unreadable") -> int:
    """Exit 3: the check could not run. ``--json`` keeps the contract's shape; the reason is
    one critical finding on path ``"."`` (``missing`` for a missing root)."""
    if as_json:
        from core.standard.findings import HEALTH_KEYS, Finding, Severity

        finding = Finding(code, Severity.CRITICAL, ".", message)
        print_json(
            document(
                root,
                None,
                {
                    "status": "unknown",
                    "checked_at": utc_stamp(),
                    "health": dict.fromkeys(HEALTH_KEYS),
                    "findings": [finding.to_dict()],
                    "backups": None,
                    "quarantine": None,
                    "groups": [],
                },
            )
        )
    else:
        sys.stdout.write(f"BOTSTORE UNKNOWN - {escape_controls(message)}\n")
    sys.stderr.write(f"botstore: {escape_controls(message)}\n")
    return UNKNOWN


# --------------------------------------------------------------------------- deadline


class CheckTimeout(BotstoreError, TimeoutError):
    """The scan did not finish within ``-t`` seconds."""

    code = "timeout"


def within(seconds: float, work: Callable[[], _T]) -> _T:
    """``work()`` in a daemon thread; CheckTimeout when it takes longer than ``seconds``.

    A hung filesystem call cannot be interrupted, so the thread is left behind
    (daemon: it does not keep the process alive) and the caller answers UNKNOWN.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="botstore-check", daemon=True)
    thread.start()
    thread.join(seconds if seconds > 0 else None)
    if thread.is_alive():
        raise CheckTimeout(f"timed out after {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


def _scan(root: Path, args: argparse.Namespace) -> tuple[HealthReport, Config]:
    """One full scan; content verdicts are kept in botstore's state directory between
    runs (``core.health.verdicts``), so an unchanged tree is not re-validated."""
    from core.config import load_config
    from core.health import HealthScanner
    from core.storage.statedir import state_dir

    config = apply_overrides(load_config(root, args.config), args.warning, args.critical)
    return HealthScanner(root, config, verdict_dir=state_dir()).full_scan(), config


def run(args: argparse.Namespace) -> int:
    from core.config import ConfigError

    root = Path(args.root)
    if not root.exists():
        return unknown(f"root {root} does not exist", args.json, root, "missing")
    if not root.is_dir():
        return unknown(f"root {root} is not a directory", args.json, root)
    try:
        report, config = within(args.timeout, lambda: _scan(root, args))
    except CheckTimeout as exc:
        return unknown(f"check of {root} {exc}", args.json, root)
    except ConfigError as exc:
        return unknown(f"invalid configuration: {exc}", args.json, root)
    except ValueError as exc:
        return unknown(str(exc), args.json, root)
    except OSError as exc:
        return unknown(f"cannot scan {root}: {exc.strerror or exc}", args.json, root)
    from core.cli.check_output import render_text, status_line, with_hints

    if args.json:
        print_json(document(report.root, report.scan_seconds, with_hints(report)))
    elif args.quiet:
        sys.stdout.write(status_line(report, config) + "\n")
    else:
        sys.stdout.write(render_text(report, config, args.verbose) + "\n")
    return report.status.exit_code
