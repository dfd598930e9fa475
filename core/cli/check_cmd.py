"""``botstore check``: one scan, a Nagios/Icinga plugin status line and exit code (0/1/2/3).

Follows the Monitoring Plugins development guidelines: exit 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN (also for every usage, configuration, timeout and
internal error); the first line is ``BOTSTORE <STATE> - <summary> | <perfdata>``
with perfdata as ``label=value[UOM];[warn];[crit];[min];[max]``; ``-t`` bounds
the run, ``-v``/``-q`` set the amount of text, ``-w``/``-c`` override the
headline thresholds.

Sections (kept apart so small edits merge): arguments, threshold overrides,
perfdata, text rendering, the UNKNOWN answer, running with a deadline.
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
from core.cli.envelope import document, utc_stamp
from core.cli.parser import monitoring
from core.text.textsafe import escape_controls, safe_lines

if TYPE_CHECKING:
    from core.config import Config
    from core.health.grouping import FindingGroup
    from core.health.report import HealthReport
    from core.standard.findings import Finding

_T = TypeVar("_T")
DEFAULT_TIMEOUT: Final = 30.0
PORTFOLIO: Final = "data/portfolio.json"
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


# --------------------------------------------------------------------------- perfdata


def _num(value: float) -> str:
    """A plain decimal (never scientific notation), at most 3 decimals."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


def perf_item(
    label: str,
    value: float,
    uom: str = "",
    *,
    warn: str = "",
    crit: str = "",
    minimum: float | None = None,
    maximum: float | None = None,
) -> str:
    """One ``'label'=value[UOM];[warn];[crit];[min];[max]`` item (trailing empties dropped)."""
    quoted = label if label.replace("_", "").isalnum() else "'" + label.replace("'", "''") + "'"
    fields = [
        f"{_num(value)}{uom}",
        warn,
        crit,
        "" if minimum is None else _num(minimum),
        "" if maximum is None else _num(maximum),
    ]
    while len(fields) > 1 and not fields[-1]:
        fields.pop()
    return f"{quoted}={';'.join(fields)}"


def _above(limit: float) -> str:
    """Nagios range alerting above ``limit`` (``""`` when the level is off)."""
    return _num(limit) if limit > 0 else ""


def _below(limit: float) -> str:
    """Nagios range alerting below ``limit`` (``LIMIT:``)."""
    return f"{_num(limit)}:" if limit > 0 else ""


def perfdata(report: HealthReport, config: Config) -> str:
    """The perfdata of ``report``: counts, scan time, disk headroom, portfolio age, snapshots."""
    counts = report.counts()
    items = [
        perf_item("scan_time", report.scan_seconds, "s", minimum=0),
        perf_item("critical", counts["critical"], crit="0", minimum=0),
        perf_item("warning", counts["warning"], warn="0", minimum=0),
        perf_item("info", counts["info"], minimum=0),
    ]
    disk = report.disk
    if disk is not None and disk.fs_total > 0:
        limit = config.threshold("disk_free_percent")
        items.append(
            perf_item(
                "disk_free",
                100 * disk.fs_free / disk.fs_total,
                "%",
                warn=_below(limit.warning),
                crit=_below(limit.critical),
                minimum=0,
                maximum=100,
            )
        )
    age = _portfolio_age(report)
    if age is not None:
        limit = config.threshold("stale_seconds", PORTFOLIO)
        items.append(
            perf_item(
                "portfolio_age",
                age,
                "s",
                warn=_above(limit.warning),
                crit=_above(limit.critical),
                minimum=0,
            )
        )
    snapshots = report.health.get("performance_snapshots_count")
    if isinstance(snapshots, int):
        items.append(perf_item("snapshots", snapshots, minimum=0))
    return " ".join(items)


def _portfolio_age(report: HealthReport) -> float | None:
    from core.tracking.performance import parse_ts

    modified = parse_ts(report.health.get("portfolio_last_modified"))
    checked = parse_ts(report.checked_at)
    if modified is None or checked is None:
        return None
    return max(0.0, (checked - modified).total_seconds())


# --------------------------------------------------------------------------- text rendering


def status_line(report: HealthReport, config: Config | None = None) -> str:
    """``BOTSTORE CRITICAL - 2 critical, 1 warning | scan_time=0.12s critical=2;;0;0 …``."""
    from core.config import Config as _Config

    counts = report.counts()
    label = report.status.value.upper()
    summary = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning") if counts[s])
    if not summary:
        summary = "no problems" + (f" ({counts['info']} info)" if counts["info"] else "")
    return f"BOTSTORE {label} - {summary} | {perfdata(report, config or _Config())}"


def _hints(report: HealthReport) -> dict[tuple[str, str], str]:
    """Each finding's best fix; the catalog (which loads the validators) only when needed."""
    if not report.findings:
        return {}
    from core.actions.catalog import hints

    return hints(report.root, report.findings)


def with_hints(report: HealthReport) -> dict[str, object]:
    """``report.to_json()`` with each finding's best fix as ``hint`` (a CLI command)."""
    data = report.to_json()
    fixes = _hints(report)
    for item in data["findings"]:
        hint = fixes.get((item["code"], item["path"]))
        if hint is not None:
            item["hint"] = hint
    return data


def render_text(report: HealthReport, config: Config | None = None, verbose: int = 0) -> str:
    """Status line, findings by severity (repeated ones grouped), each with its best fix
    (``fix: CMD``), the health keys; more with ``verbose`` 1..3."""
    from core.standard.findings import Severity

    fixes = _hints(report)
    lines = [status_line(report, config), f"root: {report.root}  checked: {report.checked_at}"]
    items = report.grouped()
    for severity in (Severity.CRITICAL, Severity.WARNING, Severity.INFO):
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity.value.upper()} ({len(group)}):")
        for item in (i for i in items if i.severity is severity):
            lines.append(_item_line(item))
            fix = _item_fix(item, fixes)
            if fix is not None:
                lines.append(f"      fix: {fix}")
    lines.append("")
    lines.append("health: " + ", ".join(f"{k}={v}" for k, v in report.health.items()))
    if report.backups is not None:
        missing = report.backups.missing
        lines.append(
            f"backups: {report.backups.found} of {report.backups.expected} expected"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    if report.quarantine is not None:
        lines.append(
            f"quarantine: {report.quarantine.entries} entr"
            f"{'y' if report.quarantine.entries == 1 else 'ies'}, "
            f"{report.quarantine.bytes / 1024:.1f} KiB ("
            "freed only when botstore cleanup purges it)"
        )
    if verbose >= 1 and config is not None:
        lines.extend(_verbose_lines(report, config, verbose))
    # every line escaped on its own: a control or newline in a name/value cannot forge one
    return safe_lines(lines)


def _verbose_lines(report: HealthReport, config: Config, verbose: int) -> list[str]:
    lines = [
        "",
        f"config: {config.source or 'defaults (no botstore.toml)'}",
        "thresholds (warning/critical): "
        + ", ".join(
            f"{name}={_num(t.warning)}/{_num(t.critical)}"
            for name, t in sorted(config.thresholds.items())
        ),
        f"files scanned: {len(report.files)}, parquet files: {len(report.parquet)}",
    ]
    if verbose >= 2:
        lines.append("")
        lines.extend(
            f"  {f.path}  {f.size} bytes  mode {f.mode & 0o7777:03o}  {f.kind}"
            for f in report.files
        )
    if verbose >= 3:
        lines.append(f"scan_seconds: {report.scan_seconds:.6f}")
    return lines


# --------------------------------------------------------------------------- the UNKNOWN answer


def _item_fix(item: Finding | FindingGroup, fixes: dict[tuple[str, str], str]) -> str | None:
    """The fix command of a finding; of a group, the one its members share (if they do)."""
    from core.health.grouping import FindingGroup

    if not isinstance(item, FindingGroup):
        return fixes.get(item.key)
    shared = {fixes.get((item.code, path)) for path in item.paths}
    return shared.pop() if len(shared) == 1 else None


def _item_line(item: Finding | FindingGroup) -> str:
    """One line per finding, or per group of findings with the same problem."""
    from core.health.grouping import FindingGroup

    if isinstance(item, FindingGroup):
        return f"  {item.severity.symbol} [{item.code}] {item.summary}"
    return f"  {item.severity.symbol} [{item.code}] {item.path}: {item.message}"


def unknown(message: str, as_json: bool, root: Path, code: str = "unreadable") -> int:
    """Exit 3: the check could not run. ``--json`` keeps the contract's shape; the reason is
    one critical finding on path ``"."`` (``missing`` for a missing root)."""
    if as_json:
        from core.health.report import HEALTH_KEYS
        from core.standard.findings import Finding, Severity

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


class CheckTimeout(TimeoutError):
    """The scan did not finish within ``-t`` seconds."""


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
    from core.actions.hostkey import state_dir
    from core.config import load_config
    from core.health import HealthScanner

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
    if args.json:
        print_json(document(report.root, report.scan_seconds, with_hints(report)))
    elif args.quiet:
        sys.stdout.write(status_line(report, config) + "\n")
    else:
        sys.stdout.write(render_text(report, config, args.verbose) + "\n")
    return report.status.exit_code
