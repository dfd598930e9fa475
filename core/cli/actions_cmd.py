"""Recovery actions on the command line: preview by default, ``--yes`` to apply.

``botstore restore PATH``, ``botstore undo ID`` (or ``restore --undo ID``),
``fix-permissions``, ``cleanup``, ``reset-tracking``, ``migrate``,
``verify-backups``, ``snapshot``, ``clean-temp``. Without ``--yes`` the plan is
printed and nothing changes; ``--json`` prints the plan (and result) as JSON.
Exit codes: 0 success, 1 failure or a plan that cannot be applied, 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from core.actions import Plan, apply
from core.actions import backup as backup_action
from core.actions import cleanup as cleanup_action
from core.actions import migrate as migrate_action
from core.actions import permissions as permissions_action
from core.actions import reset as reset_action
from core.actions import restore as restore_action
from core.actions import snapshot as snapshot_action
from core.actions import temp as temp_action
from core.actions import verify as verify_action
from core.actions.base import ActionError
from core.actions.txn import pending_journals, recover
from core.cli.common import add_json, add_root, fail, print_json
from core.errors import StorageError

Planner = Callable[[argparse.Namespace], Plan]


def _common(parser: argparse.ArgumentParser, planner: Planner, *, read_only: bool = False) -> None:
    add_root(parser)
    add_json(parser)
    if not read_only:
        parser.add_argument("--yes", "-y", action="store_true",
                            help="apply the plan (default: only print it, change nothing)")
    parser.set_defaults(func=run, planner=planner, read_only=read_only)


def _restore_plan(args: argparse.Namespace) -> Plan:
    if args.undo:
        return restore_action.plan_undo(args.root, args.undo)
    if args.path is None:
        raise ActionError("restore needs PATH (or --undo ID, or --recover)")
    return restore_action.plan(args.root, args.path, source=args.source)


def _cleanup_plan(args: argparse.Namespace) -> Plan:
    policy = cleanup_action.Retention.from_config(
        args.root.resolve(), snapshots=args.snapshots_days, reports=args.reports_days,
        daily_reports=args.daily_reports_days, rotated_logs=args.rotated_logs_days,
        quarantine=args.quarantine_days)
    return cleanup_action.plan(args.root, policy)


def _verify_plan(args: argparse.Namespace) -> Plan:
    cloud: dict[str, Any] | None = None
    if args.cloud:
        cloud = {"bucket": args.cloud, "prefix": args.prefix, "credentials": args.credentials,
                 "endpoint": args.endpoint}
        if args.host:
            cloud["host"] = args.host
    return verify_action.plan(args.root, cloud=cloud)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add every action subcommand."""
    p = sub.add_parser("restore", help="restore a file from its .bak (or --from a copy); "
                       "--undo ID reverts an action")
    p.add_argument("path", nargs="?", help="file to restore, relative to the root")
    p.add_argument("--from", dest="source", default=None,
                   help="restore from this file inside the root (default: PATH.bak)")
    p.add_argument("--undo", metavar="ID", default=None,
                   help="undo action ID (from the audit log / restore output)")
    p.add_argument("--recover", action="store_true",
                   help="roll back actions a crash left half-done, then exit")
    _common(p, _restore_plan)

    p = sub.add_parser("undo", help="undo an earlier action by its id (restores what it replaced)")
    p.add_argument("undo", metavar="ID")
    _common(p, lambda a: restore_action.plan_undo(a.root, a.undo))

    p = sub.add_parser("fix-permissions", help="set modes to the policy (750/640/644/600); "
                       "symlinks and paths outside the root are never touched")
    p.add_argument("--exact", action="store_true",
                   help="also loosen modes stricter than the policy")
    _common(p, lambda a: permissions_action.plan(a.root, exact=a.exact))

    p = sub.add_parser("cleanup", help="retention: move old snapshots, reports, daily report "
                       "texts and rotated logs to the quarantine; delete old quarantine entries")
    for kind, default in (("snapshots", "botstore.toml, else 365"), ("reports", "365"),
                          ("daily-reports", "90"), ("rotated-logs", "90"), ("quarantine", "90")):
        p.add_argument(f"--{kind}-days", type=float, default=None,
                       help=f"keep this many days of {kind.replace('-', ' ')} "
                            f"(default: {default})")
    _common(p, _cleanup_plan)

    p = sub.add_parser("reset-tracking", help="reinitialize performance tracking from the "
                       "current portfolio (old files quarantined)")
    p.add_argument("--reason", default=reset_action.DEFAULT_REASON)
    p.add_argument("--frequency", default="hourly",
                   help="snapshot frequency when tracking must be recreated (default: hourly)")
    _common(p, lambda a: reset_action.plan(a.root, reason=a.reason, frequency=a.frequency))

    p = sub.add_parser("migrate", help="migrate JSON files with an old version (old bytes "
                       "quarantined)")
    _common(p, lambda a: migrate_action.plan(a.root))

    p = sub.add_parser("verify-backups", help="check every .bak (and --cloud BUCKET) is "
                       "restorable; read-only")
    p.add_argument("--cloud", metavar="BUCKET", default=None,
                   help="also verify the newest cloud snapshot in BUCKET")
    p.add_argument("--prefix", default="botstore")
    p.add_argument("--credentials", default=None)
    p.add_argument("--endpoint", default=None, help="GCS endpoint (emulator)")
    p.add_argument("--host", default=None, help="whose backups (default: this host)")
    _common(p, _verify_plan, read_only=True)

    p = sub.add_parser("snapshot", help="append a manual performance snapshot now")
    _common(p, lambda a: snapshot_action.plan(a.root))

    p = sub.add_parser(backup_action.ACTION, help="write a fresh PATH.bak from the valid "
                       "primary PATH (old .bak quarantined)")
    p.add_argument("path", help="the primary file, relative to the root")
    _common(p, lambda a: backup_action.plan(a.root, a.path))

    p = sub.add_parser("clean-temp", help="move leftover writer temp files older than a "
                       "minute to the quarantine")
    p.add_argument("--min-age", type=float, default=temp_action.DEFAULT_MIN_AGE,
                   help="seconds (default: 60)")
    _common(p, lambda a: temp_action.plan(a.root, min_age=a.min_age))


def run(args: argparse.Namespace) -> int:
    """Print the plan; with ``--yes`` apply it and print the result."""
    if not args.root.is_dir():
        return fail(f"{args.root}: not a directory", 2)
    if getattr(args, "recover", False):
        messages = recover(args.root)
        if args.json:
            print_json({"recovered": messages})
        else:
            print("\n".join(messages) or "no interrupted action")
        return 0
    try:
        plan = args.planner(args)
    except (ActionError, StorageError, OSError, ValueError) as exc:
        return fail(str(exc))
    interrupted = pending_journals(plan.root)
    if interrupted:
        plan.notes.append(f"interrupted action(s) {', '.join(interrupted)} will be rolled back "
                          "first (or now: botstore restore --recover)")
    if args.read_only:
        result = apply(plan)
        if args.json:
            print_json({"plan": plan.to_dict(), "result": result.to_dict()})
        else:
            print(plan.render())
        return 0 if result.ok else 1
    if not args.yes:
        if args.json:
            print_json({"plan": plan.to_dict(), "applied": False})
        else:
            print(plan.render())
            if plan.steps and plan.ok:
                print("dry run: nothing changed; add --yes to apply")
        return 0 if plan.ok else 1
    try:
        result = apply(plan)
    except (ActionError, StorageError, OSError) as exc:
        return fail(str(exc))
    if args.json:
        print_json({"plan": plan.to_dict(), "applied": True, "result": result.to_dict()})
    else:
        print(plan.render())
        print(result.render())
    if not result.ok:
        sys.stderr.write(f"botstore: {plan.action} failed: {result.message}\n")
    return 0 if result.ok else 1
