"""``botstore sync`` and ``botstore restore-cloud``: Google Cloud Storage backup and restore.

Exit codes: 0 success; 1 the run failed (unreachable, conflict, verification
refused); 2 usage error; 3 the ``gcs`` extra is not installed.

``--json`` documents start with the JSON contract's keys (``core.cli.envelope``): ``root``
is the tree synced (``sync``) or restored into (``restore-cloud``), ``scan_seconds`` how
long the run took, ``host`` this machine. The host whose backup it is (the object-name
segment, ``--host``) is ``source_host``. Schemas: ``botstore schema --output sync|restore``.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any, Final

from core.cli.common import add_config, add_json, add_root, fail, print_json
from core.cli.envelope import document
from core.text.sanitize import sanitize_text
from core.text.textsafe import LineWriter, escape_controls

EXIT_MISSING_EXTRA: Final = 3
_PROGRESS_MIN: Final = 8 * 1024 * 1024


def _add_target(parser: argparse.ArgumentParser) -> None:
    add_config(parser, "botstore.toml with a [cloud] table")
    parser.add_argument(
        "--bucket", default=None, help="GCS bucket name, without gs:// (default: [cloud] bucket)"
    )
    parser.add_argument(
        "--prefix",
        default=None,
        help="object-name prefix inside the bucket (default: [cloud] prefix or 'botstore')",
    )
    parser.add_argument(
        "--credentials",
        type=Path,
        default=None,
        help="service-account key file, mode 600 (default: [cloud] "
        "credentials, else Application Default Credentials)",
    )
    parser.add_argument(
        "--endpoint",
        default=None,
        help="storage endpoint URL of an emulator (default: $STORAGE_EMULATOR_HOST, else Google)",
    )


def _settings(cloud: Any, args: argparse.Namespace, root: Path) -> Any:
    """Flags over ``[cloud]`` in botstore.toml; None (message printed) when unusable."""
    try:
        conf = cloud.load_settings(root, args.config)
    except cloud.CloudError as exc:
        fail(exc.message, 2)
        return None
    try:
        bucket = cloud.normalize_bucket(args.bucket) if args.bucket else conf.bucket
    except cloud.CloudError as exc:
        fail(exc.message, 2)
        return None
    merged = {
        "bucket": bucket,
        "prefix": args.prefix if args.prefix is not None else conf.prefix,
        "credentials": args.credentials or conf.credentials,
        "endpoint": args.endpoint or conf.endpoint,
        "host": args.host or conf.host,
        "every": getattr(args, "every", None) or conf.every,
        "retention_days": getattr(args, "retention_days", None) or conf.retention_days,
    }
    if not merged["bucket"]:
        fail("no bucket: pass --bucket NAME or set bucket in the [cloud] table of botstore.toml", 2)
        return None
    return argparse.Namespace(**merged)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sync = sub.add_parser(
        "sync",
        help="back up changed files to Google Cloud Storage",
        description="Upload new or changed files (sha256) to "
        "gs://BUCKET/PREFIX/HOST/RUN/ with a manifest per run.",
    )
    add_root(sync)
    _add_target(sync)
    sync.add_argument(
        "--every",
        default=None,
        metavar="INTERVAL",
        help="keep running, one sync per INTERVAL (e.g. 15m, 1h); failures are "
        "reported and the loop goes on",
    )
    sync.add_argument(
        "--retention-days",
        type=float,
        default=None,
        metavar="DAYS",
        help="prune runs older than DAYS (needs storage.objects.delete); default: keep everything",
    )
    sync.add_argument(
        "--host", default=None, help="host name used in object names (default: this machine's)"
    )
    add_json(sync)
    sync.set_defaults(func=run_sync)

    rest = sub.add_parser(
        "restore-cloud",
        help="restore a snapshot from Google Cloud Storage",
        description="Download a snapshot into a staging directory, verify every "
        "file (sha256, JSON schema, Parquet footer), then — with "
        "--yes — swap it into DIR; replaced directories are moved "
        "aside, never deleted. Without --yes it only previews (the "
        "same download and verification, nothing swapped in).",
    )
    _add_target(rest)
    rest.add_argument(
        "--host", default=None, help="whose backup (default: this machine, or the only host)"
    )
    rest.add_argument(
        "--at",
        default=None,
        metavar="TIME",
        help="newest snapshot at or before TIME (ISO 8601 UTC or a run id "
        "20260131T120000Z); default: the newest",
    )
    rest.add_argument(
        "--into",
        type=Path,
        required=True,
        metavar="DIR",
        help="directory to restore into (the bot root)",
    )
    rest.add_argument(
        "--dry-run",
        action="store_true",
        help="preview only, even with --yes: download and verify everything as a "
        "real restore would, change nothing",
    )
    rest.add_argument(
        "--yes", "-y", action="store_true", help="restore (default: only preview, change nothing)"
    )
    add_json(rest)
    rest.set_defaults(func=run_restore)


def _cloud() -> Any:
    """``core.cloud`` with the google client importable, or None (message printed)."""
    from core import cloud

    if not cloud.gcs_available():
        fail(f"Google Cloud Storage support is not installed; run: {cloud.INSTALL_HINT}")
        return None
    return cloud


def _say(text: str) -> None:
    sys.stderr.write(escape_controls(sanitize_text(text)) + "\n")
    sys.stderr.flush()


def _progress(rel: str, done: int, total: int) -> None:
    if total >= _PROGRESS_MIN:
        pct = 100 * done // total if total else 100
        _say(f"  uploading {rel}: {pct}% ({done >> 20}/{total >> 20} MiB)")


def run_sync(args: argparse.Namespace) -> int:
    cloud = _cloud()
    if cloud is None:
        return EXIT_MISSING_EXTRA
    logging.getLogger("botstore.cloud").addHandler(logging.NullHandler())
    conf = _settings(cloud, args, args.root)
    if conf is None:
        return 2
    try:
        interval = cloud.parse_interval(conf.every) if conf.every else None
    except ValueError as exc:
        return fail(str(exc), 2)
    try:
        client = cloud.make_client(conf.credentials, conf.endpoint)
    except cloud.CloudError as exc:
        return fail(exc.message)

    def once() -> Any:
        return cloud.sync_once(
            args.root,
            conf.bucket,
            conf.prefix,
            client=client,
            host=conf.host,
            retention_days=conf.retention_days,
            progress=None if args.json else _progress,
        )

    try:
        return _sync_with(cloud, once, interval, conf.every, args.json, root=args.root)
    finally:
        client.close()


def _document(root: Path, began: float, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (a result's ``to_dict()`` or an error) as a JSON-contract document: the
    result's ``host`` (whose backup) becomes ``source_host``, ``host`` is this machine."""
    renamed = {("source_host" if key == "host" else key): value for key, value in body.items()}
    return document(root, time.perf_counter() - began, renamed)


def _sync_with(
    cloud: Any,
    once: Any,
    interval: float | None,
    every: str | None,
    as_json: bool,
    *,
    root: Path,
) -> int:
    began = [time.perf_counter()]  # of the current run (--every: reset before each)
    if interval is None:
        try:
            result = once()
        except cloud.CloudError as exc:
            if as_json:
                print_json(
                    _document(root, began[0], {"ok": False, "error": exc.message, "code": exc.code})
                )
            return fail(f"sync failed: {exc.message}")
        _report(result, as_json, root, began[0])
        return 0 if result.ok and not result.degraded else 1

    def timed_once() -> Any:
        began[0] = time.perf_counter()
        return once()

    def on_result(result: Any, exc: BaseException | None) -> None:
        if exc is not None:
            message = cloud.describe_error(exc)
            if as_json:
                print_json(_document(root, began[0], {"ok": False, "error": message}))
                sys.stdout.flush()
            else:
                _say(f"botstore: sync failed: {message} (next attempt in {every})")
            return
        _report(result, as_json, root, began[0])

    _say(f"syncing every {every}; Ctrl-C to stop")
    cloud.run_every(interval, timed_once, on_result, stop=threading.Event())
    return 0


def _report(result: Any, as_json: bool, root: Path, began: float) -> None:
    if as_json:
        print_json(_document(root, began, result.to_dict()))
        sys.stdout.flush()
        return
    from core.cloud.manifest import join

    out = LineWriter(sys.stdout)  # tree paths in the lines: controls escaped
    where = "gs://" + join(result.bucket, result.prefix, result.host)
    if result.run is None:
        out.write(f"sync: nothing changed ({len(result.unchanged)} files) — {where}\n")
    else:
        out.write(
            f"sync: run {result.run}: {len(result.uploaded)} uploaded "
            f"({result.bytes_uploaded} bytes), {len(result.unchanged)} unchanged, "
            f"{len(result.removed)} removed — {where}\n"
        )
    for rel in result.uploaded:
        out.write(f"  + {rel}\n")
    for rel in result.removed:
        out.write(f"  - {rel}\n")
    for note in result.skipped:
        out.write(f"  skipped {sanitize_text(note)}\n")
    if result.pruned_runs:
        out.write(f"  pruned {len(result.pruned_runs)} run(s), {result.pruned_objects} object(s)\n")
    for failure in result.failures:
        out.write(f"  FAILED {sanitize_text(failure)}\n")
    for invalid in result.invalid:
        out.write(f"  INVALID {sanitize_text(invalid)}\n")
    if result.degraded:
        out.write(
            "  degraded: the snapshot holds older copies of the invalid file(s); "
            "fix them (botstore check) and sync again\n"
        )
    out.flush()  # the --every loop under systemd/journald: show each run as it ends


def run_restore(args: argparse.Namespace) -> int:
    cloud = _cloud()
    if cloud is None:
        return EXIT_MISSING_EXTRA
    conf = _settings(cloud, args, args.into)
    if conf is None:
        return 2
    try:
        at = cloud.parse_time(args.at) if args.at else None
    except ValueError as exc:
        return fail(str(exc), 2)
    began = time.perf_counter()
    try:
        result = cloud.restore(
            conf.bucket,
            args.into,
            conf.prefix,
            host=conf.host,
            at=at,
            dry_run=args.dry_run or not args.yes,
            credentials=conf.credentials,
            endpoint=conf.endpoint,
        )
    except cloud.CloudError as exc:
        if args.json:
            error = {"ok": False, "error": exc.message, "code": exc.code}
            print_json(_document(args.into, began, error))
        return fail(f"restore failed: {exc.message}")
    if args.json:
        print_json(_document(args.into, began, result.to_dict()))
    else:
        out = LineWriter(sys.stdout)  # tree paths in the lines: controls escaped
        verb = (
            "REFUSED"
            if not result.ok
            else "verified; would restore"
            if result.dry_run
            else "restored"
        )
        out.write(
            f"restore-cloud: {verb} run {result.run} of host {result.host} "
            f"({len(result.files)} files) into {result.into}\n"
        )
        if result.dry_run:
            for entry in result.files:
                out.write(
                    f"  {entry['path']}  {entry['size']} bytes  sha256 {entry['sha256'][:12]}\n"
                )
        for problem in result.problems:
            out.write(f"  PROBLEM {sanitize_text(problem)}\n")
        if result.moved_aside:
            out.write(
                f"  previous {', '.join(result.swapped)} moved aside to "
                f"{result.moved_aside} (nothing deleted)\n"
            )
        if result.dry_run and result.ok:
            out.write("preview: nothing changed; add --yes to restore\n")
    if not result.ok:
        return fail(
            f"restore refused: the cloud copy failed verification; {args.into} was not touched"
        )
    return 0
