"""Bench: peak RSS of a full scan with a 100 MB *valid* JSON array under ``data/cache/``.

Builds a demo tree in a temp dir, then measures, each in a fresh child process
(``ru_maxrss`` of that child only):

* baseline: the scan of the demo tree alone;
* with the file: the same scan after adding ``data/cache/huge_cache.json`` (100 MB of
  small objects, valid JSON). The per-kind parse caps (``core.health.limits``) make
  it a ``size`` finding instead of 1.5 GB of parsed objects. Target: < 200 MB.

``--uncapped`` also prints what parsing that file whole costs (``orjson.loads``; over
1 GB — leave it off on a shared machine). ``--mb N`` changes the file's size.

Usage: ``python bench/scan_rss.py [--mb 100] [--uncapped] [--quick]``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.demo import build_demo_tree  # noqa: E402

CHILD_SCAN = """
import resource, sys
from core.health import scan
report = scan(sys.argv[1])
codes = sorted({f.code for f in report.findings if f.path.endswith("huge_cache.json")})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, ",".join(codes) or "-")
"""
CHILD_PARSE = """
import resource, sys, orjson
with open(sys.argv[1], "rb") as handle:
    data = orjson.loads(handle.read())
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(data))
"""


def child(code: str, arg: str) -> tuple[float, str]:
    out = subprocess.run(
        [sys.executable, "-c", code, arg], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout.split()
    return int(out[0]) / 1024, out[1]


def write_array(path: Path, size: int) -> None:
    item = b'{"ts": "2026-01-15T12:00:00", "pair": "BTC-EUR", "price": 43000.5, "ok": true}'
    block = b", ".join([item] * 1000)
    with path.open("wb") as handle:
        handle.write(b"[")
        written = 1
        first = True
        while written < size:
            chunk = block if first else b", " + block
            handle.write(chunk)
            written += len(chunk)
            first = False
        handle.write(b"]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=100, help="size of the cache file (MB)")
    parser.add_argument("--uncapped", action="store_true", help="also parse it whole (> 1 GB)")
    parser.add_argument("--quick", action="store_true", help="a 20 MB file (smoke run)")
    args = parser.parse_args()
    size_mb = 20 if args.quick else args.mb
    tmp = Path(tempfile.mkdtemp(prefix="botstore-rss-"))
    try:
        root = tmp / "root"
        build_demo_tree(root, seed=0, force=True)
        base, _ = child(CHILD_SCAN, str(root))
        huge = root / "data" / "cache" / "huge_cache.json"
        write_array(huge, size_mb * 1024 * 1024)
        with_file, codes = child(CHILD_SCAN, str(root))
        print(f"scan peak RSS, demo tree:             {base:7.1f} MB")
        print(
            f"scan peak RSS, + {size_mb} MB valid cache: {with_file:7.1f} MB "
            f"(findings on it: {codes}; target < 200 MB)"
        )
        print(f"ratio with/without the file = {with_file / base:.2f}")
        if args.uncapped:
            parsed, count = child(CHILD_PARSE, str(huge))
            print(f"parsing it whole (what the scan must not do): {parsed:.1f} MB ({count} items)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
