#!/usr/bin/env python3
"""Benchmark core.storage.write.write_json against a bare durable-write baseline.

For a ~2 KB portfolio and a ~2 MB snapshots file it measures, in the same run
and the same directory, interleaved save by save:

- baseline: ``orjson.dumps`` + open temp + write + fsync + close + ``os.replace``
  + directory fsync (the minimum any durable atomic save must do);
- ``write_json(backup=False)``;
- ``write_json(backup=True)`` (the default; keeps ``.bak``).

It prints saves/s for each and the ratios ``write_json/baseline time`` (target
<= 1.2x without .bak) and the ``.bak`` cost. Timings are medians
of single saves interleaved across the variants, so disk-latency drift and
one slow fsync do not decide the figure.

    .venv/bin/python bench/atomic_write.py            # full run (< 60 s)
    .venv/bin/python bench/atomic_write.py --quick    # smoke run (a few seconds)
    .venv/bin/python bench/atomic_write.py --dir /mnt/data/tmp   # another filesystem
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.storage.write import write_json  # noqa: E402

TARGET_RATIO = 1.2
_OPTS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def portfolio_2kb() -> dict[str, Any]:
    """A realistic portfolio.json (standard shape), about 2 KB."""
    rng = random.Random(1)
    data: dict[str, Any] = {
        "trades_executed": 412,
        "portfolio_value_eur": {"amount": 10482.37, "last_price_eur": 1.0},
        "initial_value_eur": {"amount": 10000.0, "last_price_eur": 1.0},
        "last_updated": "2024-03-01T12:00:00.000000",
        "EUR": {"amount": 1523.11, "initial_amount": 2000.0},
    }
    for asset in [
        "BTC",
        "ETH",
        "SOL",
        "ADA",
        "DOT",
        "LINK",
        "AVAX",
        "MATIC",
        "XRP",
        "LTC",
        "ATOM",
        "UNI",
        "AAVE",
        "ALGO",
        "XLM",
        "NEAR",
    ]:
        data[asset] = {
            "amount": round(rng.uniform(0.01, 50), 8),
            "initial_amount": round(rng.uniform(0.01, 50), 8),
            "last_price_eur": round(rng.uniform(0.5, 60000), 2),
        }
    return data


def snapshots_2mb() -> dict[str, Any]:
    """A realistic portfolio_snapshots.json (hourly snapshots), about 2 MB."""
    rng = random.Random(2)
    assets = ["BTC", "ETH", "SOL", "ADA", "DOT", "LINK", "AVAX", "XRP"]
    snapshots = []
    for hour in range(3100):
        day, h = divmod(hour, 24)
        prices = {a: round(rng.uniform(0.5, 60000), 2) for a in assets}
        snapshots.append(
            {
                "timestamp": f"2024-{1 + day // 28:02d}-{1 + day % 28:02d}T{h:02d}:00:00.000000",
                "total_value_eur": round(rng.uniform(9000, 12000), 2),
                "portfolio_composition": {a: round(rng.uniform(0, 5), 6) for a in assets},
                "asset_prices": prices,
                "snapshot_type": "scheduled",
                "trading_session_id": f"session_{day:04d}",
            }
        )
    return {"version": "1.0", "snapshots": snapshots}


def baseline_save(path: Path, data: Any) -> None:
    payload = orjson.dumps(data, option=_OPTS)
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def measure(
    directory: Path, data: Any, cycles: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Wall seconds per save for each variant, interleaved save by save (rotating order),
    and the mean CPU seconds (user+sys of this process) per save.

    Interleaving single saves makes every variant see the same disk conditions
    (the fsync latency of a shared disk drifts by several x within seconds).
    """
    variants: dict[str, Callable[[], None]] = {
        "baseline": lambda: baseline_save(directory / "baseline.json", data),
        "write_json(backup=False)": lambda: write_json(
            directory / "nobak.json", data, backup=False
        ),
        "write_json(backup=True)": lambda: write_json(directory / "bak.json", data, backup=True),
    }
    for fn in variants.values():  # warm up: create files, locks, .bak
        fn()
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    cpu = dict.fromkeys(variants, 0.0)
    names = list(variants)
    clock, cpu_clock = time.perf_counter, time.process_time
    for c in range(cycles):
        k = c % len(names)
        for name in names[k:] + names[:k]:
            fn = variants[name]
            cpu_start = cpu_clock()
            start = clock()
            fn()
            times[name].append(clock() - start)
            cpu[name] += cpu_clock() - cpu_start
    return times, {name: total / cycles for name, total in cpu.items()}


def report(
    label: str, size: int, times: dict[str, list[float]], cpu: dict[str, float], cycles: int
) -> bool:
    med = {name: statistics.median(ts) for name, ts in times.items()}
    print(
        f"\n== {label} payload ({size:,} bytes), {cycles} interleaved saves per variant "
        "(median time per save)"
    )
    for name, t in med.items():
        mean = statistics.fmean(times[name])
        print(
            f"  {name:<26} {1 / t:9.1f} saves/s  {t * 1000:8.3f} ms/save "
            f"(mean {mean * 1000:.3f} ms; cpu {cpu[name] * 1000:.3f} ms)"
        )
    ratio = med["write_json(backup=False)"] / med["baseline"]
    ok = ratio <= TARGET_RATIO
    print(
        f"  [{label}] write_json/baseline time = {ratio:.2f}x "
        f"(backup=False; target <= {TARGET_RATIO:.1f}x: {'OK' if ok else 'OVER'})"
    )
    bak = med["write_json(backup=True)"] / med["write_json(backup=False)"]
    extra = (med["write_json(backup=True)"] - med["write_json(backup=False)"]) * 1000
    print(
        f"  [{label}] .bak cost: write_json(backup=True)/write_json(backup=False) time = "
        f"{bak:.2f}x ({extra:+.3f} ms/save); vs baseline = "
        f"{med['write_json(backup=True)'] / med['baseline']:.2f}x"
    )
    cpu_ratio = cpu["write_json(backup=False)"] / cpu["baseline"]
    print(
        f"  [{label}] cpu time write_json/baseline = {cpu_ratio:.2f}x "
        f"({(cpu['write_json(backup=False)'] - cpu['baseline']) * 1e6:+.0f} us/save)"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: few saves, no verdict")
    parser.add_argument("--dir", type=Path, help="directory to write in (default: bench/.tmp)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the save counts")
    args = parser.parse_args(argv)

    base = args.dir if args.dir is not None else REPO / "bench" / ".tmp"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="atomic-write-", dir=base))
    cases = [
        ("2 KB", portfolio_2kb(), 3 if args.quick else 400),
        ("2 MB", snapshots_2mb(), 2 if args.quick else 60),
    ]
    print(
        f"botstore bench: write_json vs bare baseline in {work} "
        f"(python {sys.version.split()[0]}, orjson {orjson.__version__})"
    )
    all_ok = True
    try:
        for label, data, count in cases:
            cycles = max(1, round(count * args.scale))
            size = len(orjson.dumps(data, option=_OPTS))
            sub = work / label.replace(" ", "")
            sub.mkdir()
            times, cpu = measure(sub, data, cycles)
            all_ok &= report(label, size, times, cpu, cycles)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if args.dir is None and not any(base.iterdir()):
            base.rmdir()  # leave nothing behind in the repo
    if args.quick:
        print("\n(quick run: figures are indicative only)")
    else:
        print(f"\nverdict: {'within' if all_ok else 'OVER'} the {TARGET_RATIO:.1f}x target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
