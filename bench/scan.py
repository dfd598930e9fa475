"""Bench: full ``check`` scan vs a bare ``os.scandir`` walk that stats every entry.

Builds a standard demo tree plus N extra files (default 100,000) in a temp dir:
report text files spread over ``reports/*/<batch>/`` directories, a share of
report JSON files (parsed and schema-checked by the scan, ``--json-share``) and
rotated logs. Times, in the same run (best of ``--repeat``):

* baseline: ``os.scandir`` walk calling ``entry.stat(follow_symlinks=False)`` on every entry;
* check:    ``core.health.scan(root)`` (fresh scanner, cold content cache), what
  ``botstore check`` runs;
* ratio check/baseline (target <= 1.5);
* 1,000 Parquet footers summarized with ``core.tracking.history.footer_summary`` (target < 1 s).

Usage: ``python bench/scan.py [--files N] [--json-share F] [--repeat R] [--quick]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.demo import build_demo_tree
from core.health import scan
from core.tracking.history import footer_summary, write_ohlcv

REPORT_JSON = (
    b'{"generated_at": "2026-01-01T00:00:00.000000", "summary": {"ok": true}, "items": [1, 2, 3]}\n'
)
TEXT = b"2026-01-01 00:00:00,000 INFO report line\n" * 4


def build_tree(root: Path, files: int, json_share: float) -> None:
    build_demo_tree(root)
    per_dir = 500
    kinds = ("interval_optimization", "daily_health", "weekly_validation")
    json_every = int(1 / json_share) if json_share > 0 else 0
    for i in range(files):
        directory = root / "reports" / kinds[i % 3] / f"batch_{i // per_dir:04d}"
        if i % per_dir < 3:
            directory.mkdir(mode=0o750, parents=True, exist_ok=True)
            os.chmod(directory, 0o750)  # noqa: S103 - the mode under test
        if json_every and i % json_every == 0:
            path = directory / f"report_{i:07d}.json"
            payload, mode = REPORT_JSON, 0o640
        else:
            path = directory / f"report_{i:07d}.txt"
            payload, mode = TEXT, 0o644
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.write(fd, payload)
        os.close(fd)
        os.chmod(path, mode)


def bare_walk(root: str) -> int:
    count = 0
    stack = [root]
    while stack:
        directory = stack.pop()
        with os.scandir(directory) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                count += 1
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                del st
    return count


def build_parquet(directory: Path, count: int) -> list[Path]:
    import pyarrow as pa

    directory.mkdir(parents=True)
    end = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    step = 3600
    rows = 24 * 7
    start_s = int(end.timestamp()) - rows * step
    stamps = pa.array(
        [(start_s + i * step) * 1000 for i in range(rows)], pa.timestamp("ms", tz="UTC")
    )
    col = pa.array([1.0 + i for i in range(rows)], pa.float64())
    table = pa.table(
        {"timestamp": stamps, "open": col, "high": col, "low": col, "close": col, "volume": col}
    )
    paths = []
    for i in range(count):
        path = directory / f"A{i:04d}-EUR_hour_7d.parquet"
        write_ohlcv(path, table)
        paths.append(path)
    return paths


def best(func: object, repeat: int) -> tuple[float, float]:
    """Best (minimum) wall-clock and CPU (process) time over ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        func()  # type: ignore[operator]
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument(
        "--json-share",
        type=float,
        default=0.01,
        help="fraction of the extra files that are report JSON (default 0.01)",
    )
    parser.add_argument("--parquet", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="2,000 files, 50 Parquet files, 1 repeat"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = parser.parse_args(argv)
    if args.quick:
        args.files, args.parquet, args.repeat = 2000, 50, 1
    tmp = Path(tempfile.mkdtemp(prefix="botstore-bench-"))
    try:
        root = tmp / "root"
        root.mkdir(mode=0o750)
        t0 = time.perf_counter()
        build_tree(root, args.files, args.json_share)
        build_s = time.perf_counter() - t0
        entries = bare_walk(str(root))
        print(
            f"tree: {entries} entries ({args.files} extra files, json share {args.json_share}) "
            f"built in {build_s:.1f} s at {root}"
        )
        bare_walk(str(root))  # warm the dentry/inode caches for both contenders
        scan(root)  # warm-up: one-time imports (pydantic schemas...); every timed scan is fresh
        report_holder: list[object] = []

        def check() -> None:
            report_holder.append(scan(root))

        # interleaved (bare, check) pairs so that load drift hits both alike; best of each
        base_wall, base_cpu, check_wall, check_cpu = [], [], [], []
        for _ in range(args.repeat):
            wall, cpu = best(lambda: bare_walk(str(root)), 1)
            base_wall.append(wall)
            base_cpu.append(cpu)
            wall, cpu = best(check, 1)
            check_wall.append(wall)
            check_cpu.append(cpu)
        report = report_holder[-1]
        status = getattr(report, "status", None)
        findings = len(getattr(report, "findings", []))
        bw, bc, cw, cc = min(base_wall), min(base_cpu), min(check_wall), min(check_cpu)
        print(f"baseline scandir+lstat walk: {bw:.3f} s wall, {bc:.3f} s CPU")
        print(
            f"full check scan:             {cw:.3f} s wall, {cc:.3f} s CPU  "
            f"(status {status}, {findings} findings)"
        )
        print(
            f"ratio check/baseline:        {cw / bw:.2f}x wall, {cc / bc:.2f}x CPU  "
            f"(target <= 1.5x; best of {args.repeat})"
        )
        paths = build_parquet(tmp / "parquet", args.parquet)
        footer_s, _ = best(lambda: [footer_summary(p) for p in paths], args.repeat)
        errors = sum(1 for p in paths if footer_summary(p).error)
        print(
            f"{len(paths)} parquet footers summarized: {footer_s:.3f} s "
            f"({footer_s / len(paths) * 1e3:.2f} ms each, {errors} errors; target < 1 s per 1,000)"
        )
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
