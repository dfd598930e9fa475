"""``botstore check``: one scan, Nagios-style status line and exit code (0/1/2/3)."""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
from pathlib import Path

from core.actions.catalog import hints
from core.cli.common import add_json, add_root, print_json
from core.config import ConfigError, load_config
from core.findings import Finding, Severity
from core.health import HealthScanner
from core.report import HEALTH_KEYS, HealthReport

UNKNOWN = 3


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="scan the tree once; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
        description="Scan a bot root once and report findings like a Nagios plugin.",
    )
    add_root(parser)
    parser.add_argument(
        "--config", default=None, help="botstore.toml (default: ROOT/botstore.toml)"
    )
    add_json(parser)
    parser.set_defaults(func=run)


def status_line(report: HealthReport) -> str:
    """``BOTSTORE CRITICAL - 2 critical, 1 warning | scan_seconds=0.12 findings=3``."""
    counts = report.counts()
    label = report.status.value.upper()
    summary = ", ".join(f"{counts[s]} {s}" for s in ("critical", "warning") if counts[s])
    if not summary:
        summary = "no problems" + (f" ({counts['info']} info)" if counts["info"] else "")
    perf = f"scan_seconds={report.scan_seconds:.2f} findings={len(report.findings)}"
    return f"BOTSTORE {label} - {summary} | {perf}"


def with_hints(report: HealthReport) -> dict[str, object]:
    """``report.to_json()`` with each finding's best fix as ``hint`` (a CLI command)."""
    data = report.to_json()
    fixes = hints(report.root, report.findings)
    for item in data["findings"]:
        hint = fixes.get((item["code"], item["path"]))
        if hint is not None:
            item["hint"] = hint
    return data


def render_text(report: HealthReport) -> str:
    fixes = hints(report.root, report.findings)
    lines = [status_line(report), f"root: {report.root}  checked: {report.checked_at}"]
    for severity in (Severity.CRITICAL, Severity.WARNING, Severity.INFO):
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines.append("")
        lines.append(f"{severity.value.upper()} ({len(group)}):")
        for f in group:
            lines.append(f"  {severity.symbol} [{f.code}] {f.path}: {f.message}")
            if f.key in fixes:
                lines.append(f"      fix: {fixes[f.key]}")
    lines.append("")
    lines.append("health: " + ", ".join(f"{k}={v}" for k, v in report.health.items()))
    return "\n".join(lines)


def unknown(message: str, as_json: bool, root: Path, code: str = "unreadable") -> int:
    """Exit 3: the check could not run. ``--json`` keeps the contract's shape; the reason is
    one critical finding on path ``"."`` (``missing`` for a missing root)."""
    if as_json:
        now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        finding = Finding(code, Severity.CRITICAL, ".", message)
        print_json(
            {
                "status": "unknown",
                "root": str(root),
                "checked_at": now,
                "health": dict.fromkeys(HEALTH_KEYS),
                "findings": [finding.to_dict()],
            }
        )
    else:
        sys.stdout.write(f"BOTSTORE UNKNOWN - {message}\n")
    sys.stderr.write(f"botstore: {message}\n")
    return UNKNOWN


def run(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if not root.exists():
        return unknown(f"root {root} does not exist", args.json, root, "missing")
    if not root.is_dir():
        return unknown(f"root {root} is not a directory", args.json, root)
    try:
        config = load_config(root, args.config)
    except ConfigError as exc:
        return unknown(f"invalid configuration: {exc}", args.json, root)
    try:
        report = HealthScanner(root, config).full_scan()
    except OSError as exc:
        return unknown(f"cannot scan {root}: {exc.strerror or exc}", args.json, root)
    if args.json:
        print_json(with_hints(report))
    else:
        sys.stdout.write(render_text(report) + "\n")
    return report.status.exit_code
