"""Recovery actions on the command line: preview by default, ``--yes`` to apply.

``botstore restore PATH``, ``botstore undo ID`` (or ``restore --undo ID``),
``fix-permissions``, ``cleanup``, ``reset-tracking``, ``migrate``,
``verify-backups``, ``snapshot``, ``clean-temp``. Without ``--yes`` the plan is
printed and nothing changes; ``--json`` prints the plan (and result) as JSON.
Exit codes: 0 success, 1 failure or a plan that cannot be applied, 2 usage.
``--json`` documents start with the JSON contract's keys (``core.cli.envelope``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.cli.common import add_config, add_json, add_root, fail
from core.cli.common import print_json as _print_json
from core.cli.envelope import document
from core.cli.lazy import lazy_module
from core.text.textsafe import escape_controls

if TYPE_CHECKING:  # the real modules for mypy; lazily imported at run time (start-up cost)
    from core.actions import Plan
    from core.actions import backup as backup_action
    from core.actions import cleanup as cleanup_action
    from core.actions import migrate as migrate_action
    from core.actions import permissions as permissions_action
    from core.actions import reset as reset_action
    from core.actions import restore as restore_action
    from core.actions import snapshot as snapshot_action
    from core.actions import temp as temp_action
    from core.actions import verify as verify_action
else:
    backup_action = lazy_module("core.actions.backup")
    cleanup_action = lazy_module("core.actions.cleanup")
    migrate_action = lazy_module("core.actions.migrate")
    permissions_action = lazy_module("core.actions.permissions")
    reset_action = lazy_module("core.actions.reset")
    restore_action = lazy_module("core.actions.restore")
    snapshot_action = lazy_module("core.actions.snapshot")
    temp_action = lazy_module("core.actions.temp")
    verify_action = lazy_module("core.actions.verify")

Planner = Callable[[argparse.Namespace], "Plan"]
#: ``reset-tracking --reason`` and ``clean-temp --min-age`` defaults (kept here so building
#: the parser imports no action module; ``tests/integration/test_cli_startup.py`` checks
#: they agree).
DEFAULT_RESET_REASON = "botstore reset-tracking"
DEFAULT_TEMP_MIN_AGE = 60.0
QUARANTINE_FLOOR_HOURS = 24.0  # cleanup's purge floor (same check)


def _json(args: argparse.Namespace, body: dict[str, Any]) -> None:
    """``body`` as a JSON-contract document; ``scan_seconds`` is the time the command took."""
    _print_json(document(args.root, time.perf_counter() - args.started, body))


def _common(parser: argparse.ArgumentParser, planner: Planner, *, read_only: bool = False) -> None:
    parser.epilog = (
        "Read-only: prints what it found. "
        if read_only
        else "Without --yes only the plan is printed and nothing changes. "
    ) + (
        "--json prints the plan and result as JSON. Exit 0 success, 1 failure or a plan that "
        "cannot be applied, 2 usage error."
    )
    add_root(parser)
    add_config(
        parser, "botstore.toml; the action uses the same ignore globs and retention as the scan"
    )
    add_json(parser)
    if not read_only:
        parser.add_argument(
            "--yes",
            "-y",
            action="store_true",
            help="apply the plan (default: only print it, change nothing)",
        )
    parser.set_defaults(func=run, planner=planner, read_only=read_only)


def _restore_plan(args: argparse.Namespace) -> Plan:
    if args.undo:
        return restore_action.plan_undo(args.root, args.undo)
    if args.path is None:
        from core.actions.base import ActionError

        raise ActionError("restore needs PATH (or --undo ID, or --recover)")
    return restore_action.plan(args.root, args.path, source=args.source)


def days(text: str) -> float:
    """A ``--*-days`` value: a finite number >= 0 (0 keeps forever, as in botstore.toml)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(
            f"{text!r}: days must be >= 0 (0 keeps forever; use --keep-none KIND to remove all)"
        )
    return value


def _cleanup_plan(args: argparse.Namespace) -> Plan:
    policy = cleanup_action.Retention.from_config(
        args.resolved_config,
        snapshots=args.snapshots_days,
        reports=args.reports_days,
        daily_reports=args.daily_reports_days,
        rotated_logs=args.rotated_logs_days,
        quarantine=args.quarantine_days,
        keep_none=tuple(k.replace("-", "_") for k in args.keep_none),
    )
    return cleanup_action.plan(args.root, policy, config=args.resolved_config, force=args.force)


def _verify_plan(args: argparse.Namespace) -> Plan:
    cloud: dict[str, Any] | None = None
    if args.cloud:
        from core.cloud.settings import normalize_bucket

        cloud = {
            "bucket": normalize_bucket(args.cloud),
            "prefix": args.prefix,
            "credentials": args.credentials,
            "endpoint": args.endpoint,
        }
        if args.host:
            cloud["host"] = args.host
    return verify_action.plan(args.root, cloud=cloud, config=args.resolved_config)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add every action subcommand."""
    p = sub.add_parser(
        "restore",
        help="restore a file from its .bak (or --from a copy); --undo ID reverts an action",
    )
    p.add_argument("path", nargs="?", help="file to restore, relative to the root")
    p.add_argument(
        "--from",
        dest="source",
        default=None,
        help="restore from this file inside the root (default: PATH.bak)",
    )
    p.add_argument(
        "--undo",
        metavar="ID",
        default=None,
        help="undo action ID (from the audit log / restore output)",
    )
    p.add_argument(
        "--recover", action="store_true", help="roll back actions a crash left half-done, then exit"
    )
    _common(p, _restore_plan)

    p = sub.add_parser("undo", help="undo an earlier action by its id (restores what it replaced)")
    p.add_argument(
        "undo",
        metavar="ID",
        help="the action id (printed by the action, and in logs/botstore_actions.log)",
    )
    _common(p, lambda a: restore_action.plan_undo(a.root, a.undo))

    p = sub.add_parser(
        "fix-permissions",
        help="set modes to the policy (750/640/644/600); "
        "symlinks and paths outside the root are never touched",
    )
    p.add_argument(
        "--exact", action="store_true", help="also loosen modes stricter than the policy"
    )
    _common(p, lambda a: permissions_action.plan(a.root, exact=a.exact, config=a.resolved_config))

    p = sub.add_parser(
        "cleanup",
        help="retention: move old snapshots, reports, daily report "
        "texts and rotated logs to the quarantine; delete old quarantine entries",
    )
    kinds = ("snapshots", "reports", "daily-reports", "rotated-logs", "quarantine")
    for kind in kinds:
        p.add_argument(
            f"--{kind}-days",
            type=days,
            default=None,
            metavar="DAYS",
            help=f"keep this many days of {kind.replace('-', ' ')} (default: "
            "botstore.toml [retention], else 365/365/90/90/90; 0 = forever)",
        )
    p.add_argument(
        "--keep-none",
        action="append",
        default=[],
        choices=kinds,
        metavar="KIND",
        help="remove every item of KIND (" + ", ".join(kinds) + "); the only way "
        "to ask for 'delete all'; repeatable",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help=f"also purge quarantine entries younger than "
        f"{QUARANTINE_FLOOR_HOURS:g} h (never without it)",
    )
    _common(p, _cleanup_plan)

    p = sub.add_parser(
        "reset-tracking",
        help="reinitialize performance tracking from the current portfolio (old files quarantined)",
    )
    p.add_argument(
        "--reason",
        default=DEFAULT_RESET_REASON,
        help="why, recorded in performance_reset_history and the audit log "
        f"(default: {DEFAULT_RESET_REASON!r})",
    )
    p.add_argument(
        "--frequency",
        default="hourly",
        help="snapshot frequency when tracking must be recreated (default: hourly)",
    )
    _common(p, lambda a: reset_action.plan(a.root, reason=a.reason, frequency=a.frequency))

    p = sub.add_parser(
        "migrate", help="migrate JSON files with an old version (old bytes quarantined)"
    )
    _common(p, lambda a: migrate_action.plan(a.root, config=a.resolved_config))

    p = sub.add_parser(
        "verify-backups", help="check every .bak (and --cloud BUCKET) is restorable; read-only"
    )
    p.add_argument(
        "--cloud",
        metavar="BUCKET",
        default=None,
        help="also verify the newest cloud snapshot in BUCKET",
    )
    p.add_argument(
        "--prefix",
        default="botstore",
        help="object-name prefix inside the bucket (default: botstore)",
    )
    p.add_argument(
        "--credentials",
        default=None,
        metavar="FILE",
        help="service-account key file, mode 600 (default: Application Default Credentials)",
    )
    p.add_argument("--endpoint", default=None, help="GCS endpoint (emulator)")
    p.add_argument("--host", default=None, help="whose backups (default: this host)")
    _common(p, _verify_plan, read_only=True)

    p = sub.add_parser("snapshot", help="append a manual performance snapshot now")
    _common(p, lambda a: snapshot_action.plan(a.root))

    p = sub.add_parser(
        "refresh-backup",
        help="write a fresh PATH.bak from the valid primary PATH (old .bak quarantined)",
    )
    p.add_argument("path", help="the primary file, relative to the root")
    _common(p, lambda a: backup_action.plan(a.root, a.path))

    p = sub.add_parser(
        "clean-temp", help="move leftover writer temp files older than a minute to the quarantine"
    )
    p.add_argument(
        "--min-age", type=float, default=DEFAULT_TEMP_MIN_AGE, help="seconds (default: 60)"
    )
    _common(p, lambda a: temp_action.plan(a.root, min_age=a.min_age, config=a.resolved_config))


def run(args: argparse.Namespace) -> int:
    """Print the plan; with ``--yes`` apply it and print the result."""
    from core.actions import apply
    from core.actions.rollforward import pending_journals, recover
    from core.config import ConfigError, load_config
    from core.errors import BotstoreError
    from core.text.sanitize import sanitize_text

    args.started = time.perf_counter()
    if not args.root.is_dir():
        return fail(f"{args.root}: not a directory", 2)
    try:
        args.resolved_config = load_config(args.root, args.config)
    except ConfigError as exc:
        return fail(f"invalid configuration: {exc}", 2)
    if getattr(args, "recover", False):
        try:
            messages = recover(args.root)
        except (BotstoreError, OSError) as exc:
            return fail(f"recovery refused: {exc}")
        if args.json:
            _json(args, {"recovered": [sanitize_text(m) for m in messages]})
        else:
            print("\n".join(sanitize_text(m) for m in messages) or "no interrupted action")
        return 1 if any(m.startswith("refused") for m in messages) else 0
    try:
        plan = args.planner(args)
    except (BotstoreError, OSError, ValueError) as exc:  # ValueError: planner arguments
        return fail(str(exc))
    interrupted = pending_journals(plan.root)
    if interrupted:
        plan.notes.append(
            f"interrupted action(s) {', '.join(interrupted)} will be settled "
            "first: rolled back, or completed when every change was made (or "
            "now: botstore restore --recover)"
        )
    if args.read_only:
        result = apply(plan)
        if args.json:
            _json(args, {"plan": plan.to_dict(), "result": result.to_dict()})
        else:
            print(plan.render())
        return 0 if result.ok else 1
    if not args.yes or not plan.ok:
        if args.json:
            _json(args, {"plan": plan.to_dict(), "ok": plan.ok, "applied": False})
        else:
            print(plan.render())
            if plan.steps and plan.ok:
                print("dry run: nothing changed; add --yes to apply")
        if args.yes:
            sys.stderr.write(
                f"botstore: {plan.action} refused: the plan has errors; nothing changed\n"
            )
        return 0 if plan.ok else 1
    try:
        result = apply(plan)
    except (BotstoreError, OSError) as exc:
        return fail(str(exc))
    if args.json:
        # applied = the change stands (past its commit point), even when something after
        # the commit failed ("applied, but …": ok is false, the exit non-zero)
        _json(
            args,
            {
                "plan": plan.to_dict(),
                "ok": result.ok,
                "applied": result.ok or result.committed,
                "result": result.to_dict(),
            },
        )
    else:
        print(plan.render())
        print(result.render())
    if not result.ok:
        what = "" if result.committed else " failed"
        sys.stderr.write(f"botstore: {plan.action}{what}: {escape_controls(result.message)}\n")
    return 0 if result.ok else 1
