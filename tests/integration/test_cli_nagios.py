"""Nagios/Icinga plugin conventions of the monitoring commands (check, watch, history, metrics).

Monitoring Plugins guidelines: usage, configuration, timeout and internal errors are
UNKNOWN (3), never 2 (which Nagios reads as CRITICAL); perfdata is
``'label'=value[UOM];[warn];[crit];[min];[max]``; ``-t`` bounds the run; ``-v``/``-q``;
``-w``/``-c`` override thresholds. Real trees in tmp dirs; the hang is a real blocked
filesystem call (``os.scandir`` waiting on an event), not a mocked scanner.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cli.main import main
from core.demo import build_demo_tree
from core.standard import layout

MONITORING = ("check", "watch", "history", "metrics")

# --------------------------------------------------------------------------- strict perfdata regex
#: One number as the guidelines allow it ([-0-9.]), never scientific notation.
_NUM = r"-?\d+(?:\.\d+)?"
#: A threshold range: [@][start:][end], start may be ~ (negative infinity).
_RANGE = rf"@?(?:(?:{_NUM}|~):)?(?:{_NUM})?"
_UOM = r"(?:s|ms|us|%|B|KB|MB|TB|c)?"
_LABEL = r"(?:'(?:[^'=]|'')+'|[^'= ;|]+)"
PERF_ITEM = re.compile(
    rf"^{_LABEL}={_NUM}{_UOM}(?:;(?:{_RANGE})?(?:;(?:{_RANGE})?(?:;(?:{_NUM})?(?:;(?:{_NUM})?)?)?)?)?$"
)
STATUS_LINE = re.compile(r"^BOTSTORE (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \| (.+)$")
#: the perfdata labels of ``check``'s first line, in order (the README's sample has them too)
PERF_LABELS = [
    "scan_time",
    "critical",
    "warning",
    "info",
    "disk_free",
    "portfolio_age",
    "snapshots",
]


def perfdata(first_line: str) -> dict[str, list[str]]:
    """Label -> [value+UOM, warn, crit, min, max] after checking every item strictly."""
    match = STATUS_LINE.match(first_line)
    assert match, first_line
    items: dict[str, list[str]] = {}
    for item in match.group(2).split(" "):
        assert PERF_ITEM.match(item), f"not guideline perfdata: {item!r}"
        label, _, rest = item.partition("=")
        fields = rest.split(";")
        items[label] = fields + [""] * (5 - len(fields))
    return items


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nagios") / "demo"
    build_demo_tree(root)
    return root


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(argv)`` with argparse's SystemExit turned into the exit code."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- exit codes


def _argv(command: str, root: Path, *extra: str) -> list[str]:
    tail = ["--textfile", str(root / "m.prom")] if command == "metrics" else []
    return [command, "--root", str(root), *tail, *extra]


@pytest.mark.parametrize("command", MONITORING)
def test_unknown_option_is_unknown(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(_argv(command, tmp_path, "--no-such-flag"), capsys)
    assert code == 3
    assert "unrecognized arguments: --no-such-flag" in err
    assert out == (
        f"BOTSTORE UNKNOWN - usage: unrecognized arguments: --no-such-flag "
        f"(see botstore {command} --help)\n"
    )  # the line Nagios shows


@pytest.mark.parametrize(
    ("command", "extra"),
    [
        ("check", ["--timeout", "soon"]),
        ("check", ["-w", "disk_free"]),
        ("check", ["-c", "disk_free=-1"]),
        ("watch", ["--interval", "x"]),
        ("metrics", ["--listen", "port"]),
        ("history", ["--root"]),
    ],
)
def test_bad_option_value_is_unknown(
    command: str, extra: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([command, *extra], capsys)
    assert code == 3, err
    assert f"botstore {command}: error:" in err
    assert out.startswith("BOTSTORE UNKNOWN - usage: ")


def test_metrics_without_target_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["metrics", "--root", str(tmp_path)], capsys)
    assert code == 3
    assert "one of the arguments --textfile --listen is required" in err


@pytest.mark.parametrize("command", MONITORING)
def test_missing_root_is_unknown(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(_argv(command, tmp_path / "nope"), capsys)
    assert code == 3
    assert "does not exist" in err


@pytest.mark.parametrize("command", ["check", "watch", "metrics"])
def test_bad_config_is_unknown(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "botstore.toml").write_text("[thresholds]\nno_such_key = 1\n")
    code, _, err = run(_argv(command, tmp_path), capsys)
    assert code == 3
    assert "invalid configuration" in err


@pytest.mark.parametrize("command", MONITORING)
def test_internal_error_is_unknown(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bug (here: a listing that raises something no handler expects) still exits 3."""
    (tmp_path / "data" / "historical").mkdir(parents=True)
    real_scandir = os.scandir

    def broken(path: Any = ".") -> Any:
        if str(path).startswith(str(tmp_path)):
            raise RuntimeError("simulated bug")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", broken)
    monkeypatch.setattr(Path, "iterdir", broken)
    code, out, err = run(
        _argv(command, tmp_path, *(["--jsonl"] if command == "watch" else [])), capsys
    )
    assert code == 3, err
    assert "internal error: RuntimeError: simulated bug" in err
    if command == "watch":  # --jsonl: stdout stays JSON Lines, the reason is on stderr
        assert "BOTSTORE" not in out
    else:
        assert out.endswith("BOTSTORE UNKNOWN - internal error: RuntimeError: simulated bug\n")


def test_action_usage_error_keeps_argparse_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not a monitoring command: a usage error of an action is still 2, as documented."""
    code, _, err = run(["fix-permissions", "--root", str(tmp_path), "--bogus"], capsys)
    assert code == 2
    assert "botstore fix-permissions: error: unrecognized arguments: --bogus" in err


# --------------------------------------------------------------------------- perfdata


def test_perfdata_of_a_healthy_tree(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--root", str(demo)], capsys)
    assert code == 0
    perf = perfdata(out.splitlines()[0])
    assert list(perf) == PERF_LABELS
    assert perf["scan_time"][0].endswith("s")
    assert float(perf["scan_time"][0][:-1]) > 0
    assert perf["critical"] == ["0", "", "0", "0", ""]
    assert perf["warning"] == ["0", "0", "", "0", ""]
    value, warn, crit, low, high = perf["disk_free"]
    st = os.statvfs(demo)
    assert abs(float(value[:-1]) - 100 * st.f_bavail / st.f_blocks) < 5
    assert (warn, crit, low, high) == ("5:", "2:", "0", "100")  # below 5 % warns, 2 % is critical
    assert perf["portfolio_age"][0].endswith("s")
    snapshots = int(perf["snapshots"][0])
    assert snapshots > 100
    assert perf["snapshots"][1:] == ["", "", "0", ""]


def test_perfdata_counts_a_broken_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "demo"
    build_demo_tree(root)
    (root / layout.PORTFOLIO).write_text("{ not json")
    (root / layout.LATEST_DECISIONS).unlink()
    code, out, _ = run(["check", "--root", str(root), "--quiet"], capsys)
    assert code == 2
    lines = out.splitlines()
    assert len(lines) == 1  # -q: the status line only
    perf = perfdata(lines[0])
    assert int(perf["critical"][0]) >= 1
    assert int(perf["warning"][0]) >= 1
    assert lines[0].startswith(
        f"BOTSTORE CRITICAL - {perf['critical'][0]} critical, {perf['warning'][0]} warning"
    )


def test_unknown_line_has_no_perfdata_but_is_nagios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", "--root", str(tmp_path / "gone")], capsys)
    assert code == 3
    assert out.startswith("BOTSTORE UNKNOWN - root ")


# --------------------------------------------------------------------------- -w / -c


def test_warning_and_critical_overrides(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--root", str(demo), "-w", "disk_free=100"], capsys)
    perf = perfdata(out.splitlines()[0])
    assert code == 1
    assert perf["disk_free"][1] == "100:"
    assert "[disk]" in out
    code, out, _ = run(
        ["check", "--root", str(demo), "-q", "-c", "disk_free_percent=100", "-w", "disk_free=100"],
        capsys,
    )
    assert code == 2
    assert perfdata(out)["disk_free"][1:3] == ["100:", "100:"]


def test_portfolio_age_override(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "demo"
    build_demo_tree(root)
    old = time.time() - 7200
    os.utime(root / layout.PORTFOLIO, (old, old))
    code, out, _ = run(
        [
            "check",
            "--root",
            str(root),
            "-q",
            "-w",
            "portfolio_age=3600",
            "-c",
            "portfolio_age=86400",
        ],
        capsys,
    )
    perf = perfdata(out.strip())
    assert code == 1, out
    assert float(perf["portfolio_age"][0][:-1]) >= 7200
    assert perf["portfolio_age"][1:4] == ["3600", "86400", "0"]
    code, out, _ = run(["check", "--root", str(root), "-q", "-c", "portfolio_age=60"], capsys)
    assert code == 2, out


def test_unknown_threshold_name_is_unknown(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--root", str(demo), "-w", "nonsense=1"], capsys)
    assert code == 3
    assert out.startswith("BOTSTORE UNKNOWN - unknown threshold 'nonsense'")
    assert "disk_free" in out


# --------------------------------------------------------------------------- -v / -q


def test_verbosity_levels(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = []
    for flags in (["-q"], [], ["-v"], ["-vv"], ["-vvv"]):
        code, out, _ = run(["check", "--root", str(demo), *flags], capsys)
        assert code == 0
        outputs.append(out)
    quiet, normal, v1, v2, v3 = outputs
    assert quiet.count("\n") == 1
    assert normal.startswith(quiet.rstrip("\n").split(" | ")[0])
    assert "health: " in normal and "config:" not in normal
    assert "config: defaults (no botstore.toml)" in v1 and "thresholds (warning/critical)" in v1
    assert layout.PORTFOLIO not in v1.split("config:")[1]
    assert f"  {layout.PORTFOLIO}  " in v2
    assert "scan_seconds: " in v3 and "scan_seconds: " not in v2
    assert len(normal) < len(v1) < len(v2) < len(v3)


# --------------------------------------------------------------------------- -t / --timeout


@pytest.fixture
def hanging_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A tree whose directory listing blocks (a dead NFS server): ``os.scandir`` waits."""
    root = tmp_path / "slow"
    build_demo_tree(root)
    release = threading.Event()
    real_scandir = os.scandir

    def slow(path: Any = ".") -> Any:
        if str(path).startswith(str(root)):
            release.wait(60)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", slow)
    yield root
    release.set()


def test_timeout_answers_unknown_instead_of_hanging(
    hanging_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", "--root", str(hanging_tree), "-t", "0.3"], capsys)
    assert code == 3
    assert out.startswith(f"BOTSTORE UNKNOWN - check of {hanging_tree} timed out after 0.3 s")
    assert "timed out" in err


def test_timeout_keeps_the_json_contract(
    hanging_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    code, out, _ = run(["check", "--root", str(hanging_tree), "--timeout", "0.2", "--json"], capsys)
    doc = json.loads(out)
    assert code == 3
    assert doc["status"] == "unknown"
    assert "timed out" in doc["findings"][0]["message"]


def test_zero_timeout_means_no_limit(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", "--root", str(demo), "-t", "0", "-q"], capsys)
    assert code == 0
    assert out.startswith("BOTSTORE OK")


# --------------------------------------------------------------------------- environment


def test_env_root_and_config_with_flags_winning(
    demo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # the current directory is not a bot root
    monkeypatch.setenv("BOTSTORE_ROOT", str(demo))
    code, out, _ = run(["check", "-q"], capsys)
    assert code == 0 and out.startswith("BOTSTORE OK")
    code, out, _ = run(["check", "-q", "--root", str(tmp_path / "elsewhere")], capsys)
    assert code == 3 and "elsewhere does not exist" in out  # the flag wins
    bad = tmp_path / "bad.toml"
    bad.write_text("[thresholds]\nstale_seconds = 5\n")
    monkeypatch.setenv("BOTSTORE_CONFIG", str(bad))
    code, out, _ = run(["check", "-q"], capsys)
    assert code == 3 and "invalid configuration" in out and str(bad) in out
    good = tmp_path / "good.toml"
    good.write_text("[thresholds]\ndisk_free_percent = { warning = 100, critical = 0 }\n")
    code, out, _ = run(["check", "-q", "--config", str(good)], capsys)
    assert code == 1, out  # --config wins over BOTSTORE_CONFIG
    code, out, _ = run(["history", "--json"], capsys)
    assert code == 0 and f'"root": "{demo}"' in out  # history reads BOTSTORE_ROOT too


def test_a_real_process_on_a_hanging_config_exits_unknown(tmp_path: Path) -> None:
    """Whole process, real hang: a FIFO as botstore.toml blocks a plain ``open``. Whether the
    config reader blocks (the timeout answers) or refuses the FIFO, the process ends with 3."""
    import subprocess
    import sys

    os.mkfifo(tmp_path / "botstore.toml")
    result = subprocess.run(
        [sys.executable, "-m", "core.cli.main", "check", "--root", str(tmp_path), "-t", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("BOTSTORE UNKNOWN - ")
