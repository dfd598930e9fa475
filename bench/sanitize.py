"""Bench: ``sanitize_text`` throughput on 1 KB, 64 KB and 1 MB lines (it must be linear).

Each line is log-like text without spaces in long runs (the shape that made the old
pattern quadratic), with a ``key=value`` pair, an innocent counter and a secret every
few hundred bytes. Prints MB/s per size and the ratio time(1 MB) / time(1 KB): linear
redaction gives ≈ 1,000 (the sizes' ratio), a quadratic one ≈ 10^6.

Usage: ``python bench/sanitize.py [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.text.sanitize import sanitize_text

CHUNK = (
    "2026-01-15T12:00:00Z|INFO|cycle=42|tokens_used=12|api_key=sk-live-0123456789abcdef|"
    "ticker=BTC-EUR|x" + "y" * 120 + "|Authorization:Bearer eyJhbGciOi.payload.sig|"
)


def line_of(size: int) -> str:
    return (CHUNK * (size // len(CHUNK) + 1))[:size]


def seconds_per_call(text: str, min_total: float) -> float:
    calls = 0
    started = time.perf_counter()
    while True:
        sanitize_text(text)
        calls += 1
        elapsed = time.perf_counter() - started
        if elapsed >= min_total:
            return elapsed / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter measurement per size")
    args = parser.parse_args()
    min_total = 0.05 if args.quick else 0.5
    sizes = {"1 KB": 1024, "64 KB": 64 * 1024, "1 MB": 1024 * 1024}
    timings: dict[str, float] = {}
    for label, size in sizes.items():
        text = line_of(size)
        assert "sk-live" not in sanitize_text(text)
        per_call = seconds_per_call(text, min_total)
        timings[label] = per_call
        print(
            f"sanitize_text {label:>5} line: {per_call * 1000:9.3f} ms/call  "
            f"{size / per_call / 1e6:7.1f} MB/s"
        )
    ratio = timings["1 MB"] / timings["1 KB"]
    print(f"ratio time(1 MB)/time(1 KB) = {ratio:.0f} (linear ≈ 1024; quadratic ≈ 10^6)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
