"""Bench: CLI start-up, whole processes, next to a bare interpreter in the same run.

Times, each as a fresh process (best and median of ``--repeat``, default 10),
interleaved so load on a shared machine hits every variant alike:

* baseline: ``python -c pass`` (the interpreter this venv runs);
* ``botstore --version`` (target: best <= 2x the baseline's best);
* ``botstore check`` on a demo tree checked before (target: median <= 150 ms): the
  steady state of a check every minute, whose JSON/Parquet verdicts come from the
  verdict cache (``core.health.verdicts``) in a private state directory of the run;
* ``botstore check, cold``: the same with an empty state directory per process (the
  first check, or one after every file changed): every file is read and validated.

The children run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` removed from
their environment), as an installed botstore does: else every process compiles its
modules again. The demo tree is aged past ``verdicts.RECENT_NS`` before the first run
(verdicts of files changed within that window are never kept).

Prints ``ratio version/python = N.NNx``, ``check median = N ms`` and where the
import time of a check and of a cold check goes (``-X importtime``, cumulative per
top-level package); asserts nothing (a smoke test runs ``--quick``). ``--strict``
exits 1 when a target is missed, for a manual run on a quiet machine.

Usage: ``python bench/startup.py [--repeat N] [--quick] [--strict]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core.demo import build_demo_tree  # noqa: E402
from core.health.verdicts import RECENT_NS  # noqa: E402

VERSION_RATIO_TARGET = 2.0
CHECK_MEDIAN_TARGET_S = 0.150


def _botstore() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("botstore")
    return [str(script)] if script.exists() else [sys.executable, "-m", "core.cli.main"]


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=REPO, env=env
    )
    return time.perf_counter() - started


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["BOTSTORE_STATE_DIR"] = str(state)
    return env


def import_breakdown(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Cumulative import seconds of the top-level packages one ``argv`` process loads."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "core.cli.main", *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env=env,
    )
    totals: dict[str, float] = {}
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:].rstrip()  # one space after the bar; nested imports are indented
        if name.startswith(" "):  # only top-level imports: their cumulative time holds the rest
            continue
        top = name if name.startswith("core") else name.split(".")[0]
        totals[top] = totals.get(top, 0.0) + int(parts[1]) / 1e6
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10, help="processes per variant")
    parser.add_argument("--quick", action="store_true", help="3 processes per variant")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat
    tmp = Path(tempfile.mkdtemp(prefix="botstore-startup-"))
    try:
        root = tmp / "demo"
        build_demo_tree(root)
        state = tmp / "state"
        state.mkdir(mode=0o700)
        env = _env(state)
        check = [*_botstore(), "check", "--root", str(root), "-q"]
        variants = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "botstore --version": [*_botstore(), "--version"],
            "botstore check": check,
            "botstore check, cold": check,
        }
        time.sleep(RECENT_NS / 1e9 + 0.1)  # a tree that was not written just now
        for argv in variants.values():  # warm the page cache, .pyc files, the verdicts
            _time(argv, env)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for run in range(repeat):
            for name, argv in variants.items():
                if name.endswith("cold"):
                    cold = tmp / f"cold-{run}"
                    cold.mkdir(mode=0o700)
                    times[name].append(_time(argv, _env(cold)))
                else:
                    times[name].append(_time(argv, env))
        for name, values in times.items():
            print(
                f"{name:<20} best {min(values) * 1e3:7.1f} ms   "
                f"median {statistics.median(values) * 1e3:7.1f} ms   (n={len(values)})"
            )
        ratio = min(times["botstore --version"]) / min(times["python -c pass"])
        check_median = statistics.median(times["botstore check"])
        print(f"ratio version/python = {ratio:.2f}x (target <= {VERSION_RATIO_TARGET:.1f}x)")
        print(
            f"check median = {check_median * 1e3:.0f} ms "
            f"(target <= {CHECK_MEDIAN_TARGET_S * 1e3:.0f} ms); cold "
            f"{statistics.median(times['botstore check, cold']) * 1e3:.0f} ms"
        )
        fresh = tmp / "cold-breakdown"
        fresh.mkdir(mode=0o700)
        for label, state_env in (("check", env), ("cold check", _env(fresh))):
            breakdown = import_breakdown(["check", "-q", "--root", str(root)], state_env)
            heaviest = sorted(breakdown.items(), key=lambda kv: -kv[1])[:6]
            print(
                f"{label} imports (one process, -X importtime, cumulative): "
                + ", ".join(f"{name} {sec * 1e3:.0f} ms" for name, sec in heaviest)
                + f"; all {sum(breakdown.values()) * 1e3:.0f} ms"
            )
        missed = ratio > VERSION_RATIO_TARGET or check_median > CHECK_MEDIAN_TARGET_S
        return 1 if args.strict and missed else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
