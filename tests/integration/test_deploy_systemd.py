"""The shipped systemd units: ``systemd-analyze verify`` clean, hardened, timers paired with their
services, and every ``ExecStart`` a command line botstore accepts (run for real where it can)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from metrics_testkit import BOTSTORE, exec_argv, keys

from core.cli.main import build_parser
from core.demo import build_demo_tree

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
SHIPPED_BIN = "/srv/bot/.venv/bin/botstore"
NAMES = sorted(p.name for p in UNITS.iterdir())


def test_the_expected_units_are_shipped() -> None:
    assert NAMES == [
        "botstore-check.service", "botstore-check.timer",
        "botstore-metrics.service",
        "botstore-sync.service", "botstore-sync.timer",
        "botstore-textfile.service", "botstore-textfile.timer",
    ]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    # verify insists that ExecStart= exists: point the copies at this checkout's botstore
    for unit in NAMES:
        text = (UNITS / unit).read_text().replace(SHIPPED_BIN, BOTSTORE)
        (tmp_path / unit).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / name)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""  # not even a warning (unknown key, bad value)


def test_hardening() -> None:
    for name in NAMES:
        if not name.endswith(".service"):
            continue
        values = keys((UNITS / name).read_text())
        for key, value in (
            ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"),
            ("CapabilityBoundingSet", ""), ("User", "bot"),
        ):  # fmt: skip
            assert values.get(key) == [value], (name, key)
    allowed = {
        "botstore-metrics.service": [],  # only reads the tree
        "botstore-check.service": [],
        "botstore-textfile.service": ["/var/lib/prometheus/node-exporter"],
        "botstore-sync.service": ["/srv/bot/data/cache"],
    }
    for name, paths in allowed.items():
        assert keys((UNITS / name).read_text()).get("ReadWritePaths", []) == paths, name


def test_timers_start_their_service() -> None:
    for name in NAMES:
        if name.endswith(".timer"):
            values = keys((UNITS / name).read_text())
            assert "Unit" not in values  # so it starts the service of the same name
            assert (UNITS / name.replace(".timer", ".service")).exists()
            assert values.get("WantedBy") == ["timers.target"]
            assert values.get("OnUnitActiveSec"), name


def test_exec_start_lines_are_valid_botstore_commands() -> None:
    parser = build_parser()
    for name in NAMES:
        if name.endswith(".service"):
            argv = exec_argv(name)
            assert argv[0] == SHIPPED_BIN
            args = parser.parse_args(argv[1:])  # exits (fails the test) on a bad option
            assert str(args.root) == "/srv/bot", name
    assert parser.parse_args(exec_argv("botstore-metrics.service")[1:]).listen == (
        "127.0.0.1",
        9877,
    )


def test_check_and_textfile_units_run(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    build_demo_tree(root)
    textfile = tmp_path / "botstore.prom"

    def localized(name: str) -> list[str]:
        argv = exec_argv(name)
        argv[0] = BOTSTORE
        return [
            a.replace("/srv/bot", str(root)).replace(
                "/var/lib/prometheus/node-exporter/botstore.prom", str(textfile)
            )
            for a in argv
        ]

    check = subprocess.run(
        localized("botstore-check.service"), capture_output=True, timeout=60, check=False
    )
    assert check.returncode == 0 and check.stdout.startswith(b"BOTSTORE ")
    done = subprocess.run(
        localized("botstore-textfile.service"), capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert b"botstore_status 0.0" in textfile.read_bytes()
