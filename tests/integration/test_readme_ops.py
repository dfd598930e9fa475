"""Every code block of the README's ops sections (Prometheus and Alertmanager, systemd, Running a
fleet) is exercised: ``botstore`` lines run on demo trees (the fleet's against the GCS
emulator), ``promtool``/``amtool`` lines run on the shipped files, ``cp``/``systemctl`` lines
name shipped units, YAML blocks are verbatim parts of shipped files, the ``ini`` drop-in
changes what the unit runs. A line of any other kind fails the test."""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from gcs_emulator import Emulator
from metrics_testkit import BOTSTORE, UNITS, exec_argv

from core.cli.main import build_parser
from core.demo import build_demo_tree
from core.standard import layout

REPO = Path(__file__).resolve().parents[2]
SECTIONS = ("Prometheus and Alertmanager", "systemd", "Running a fleet")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def blocks(title: str, lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(section(title)) if kind == lang]


def lines(title: str) -> list[list[str]]:
    return [shlex.split(line) for body in blocks(title, "sh") for line in body.splitlines()]


def test_sections_have_blocks_of_known_kinds() -> None:
    for title in SECTIONS:
        kinds = {kind for kind, _ in FENCE.findall(section(title))}
        assert kinds and kinds <= {"sh", "yaml", "ini"}, (title, kinds)


def test_tool_lines_run_on_the_shipped_files() -> None:
    ran = 0
    for title in SECTIONS:
        for argv in lines(title):
            if argv[0] in {"promtool", "amtool"}:
                if shutil.which(argv[0]) is None:
                    pytest.skip(f"{argv[0]} is not installed; .ci/run installs it (apt)")
                result = subprocess.run(
                    argv, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
                )
                assert result.returncode == 0, (argv, result.stdout, result.stderr)
                ran += 1
    assert ran == 5


def test_systemd_lines_name_shipped_units() -> None:
    shipped = sorted(p.name for p in UNITS.iterdir())
    seen = 0
    for argv in lines("systemd"):
        if argv[0] == "cp":
            assert argv[-1] == "/etc/systemd/system/"
            (pattern,) = argv[1:-1]
            assert sorted(p.name for p in REPO.glob(pattern)) == shipped
        elif argv[:2] == ["systemctl", "daemon-reload"]:
            pass
        elif argv[:3] == ["systemctl", "enable", "--now"]:
            assert set(argv[3:]) <= set(shipped) and argv[3:]
        elif argv[:2] == ["systemctl", "list-timers"]:
            assert fnmatch.filter(shipped, argv[2])
        elif argv[:2] == ["journalctl", "-u"]:
            assert argv[2] in shipped
        else:
            raise AssertionError(f"unexercised README line: {argv}")
        seen += 1
    assert seen == 5


def test_ini_drop_in_sets_the_listen_address() -> None:
    (block,) = blocks("systemd", "ini")
    assert block.splitlines()[0] == "[Service]"
    env = dict(
        shlex.split(line.partition("=")[2])[0].split("=", 1)
        for line in block.splitlines()[1:]
        if line.startswith("Environment=")
    )
    argv = exec_argv("botstore-metrics.service", env)
    assert build_parser().parse_args(argv[1:]).listen == ("10.0.0.11", 9877)


def test_yaml_blocks_are_shipped_verbatim() -> None:
    shipped = [p.read_text() for p in (REPO / "deploy" / "prometheus").rglob("*.yml")]
    yaml_blocks = [b for t in SECTIONS for b in blocks(t, "yaml")]
    assert yaml_blocks
    for block in yaml_blocks:
        assert any(block in text for text in shipped), block


def test_metrics_lines_run(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    build_demo_tree(root)
    textfile = tmp_path / "botstore.prom"
    done = 0
    for argv in lines("Prometheus and Alertmanager"):
        if argv[0] != "botstore":
            continue
        local = [
            a.replace("/srv/bot", str(root))
            .replace("/var/lib/prometheus/node-exporter/botstore.prom", str(textfile))
            .replace("127.0.0.1:9877", "127.0.0.1:0")
            for a in argv
        ]
        local[0] = BOTSTORE
        if "--listen" in local:
            with subprocess.Popen(local, stderr=subprocess.PIPE, text=True) as proc:
                try:
                    assert proc.stderr is not None
                    line = proc.stderr.readline()
                    assert "serving metrics on http://127.0.0.1:" in line, line
                    url = line.rsplit(" ", 1)[1].strip()
                    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310
                        assert b"botstore_status 0.0" in resp.read()
                finally:
                    proc.terminate()
                    proc.wait(30)
        else:
            result = subprocess.run(local, capture_output=True, timeout=60, check=False)
            assert result.returncode == 0, result.stderr
            assert b"botstore_scan_interval_seconds 60.0" in textfile.read_bytes()
        done += 1
    assert done == 2


def test_fleet_backup_and_restore_onto_a_new_host(
    tmp_path: Path, gcs: Emulator, bucket: str
) -> None:
    hosts = {"bot-eu-1": tmp_path / "eu", "bot-us-1": tmp_path / "us"}
    for seed, root in enumerate(hosts.values()):
        build_demo_tree(root, seed=seed)  # two different portfolios
    eu, us = ((r / layout.PORTFOLIO).read_bytes() for r in hosts.values())
    assert eu != us
    new = tmp_path / "new"
    commands = [argv for argv in lines("Running a fleet") if argv[0] == "botstore"]
    assert [a[1] for a in commands] == ["sync", "sync", "restore-cloud", "restore-cloud"]
    for argv in commands:
        host = argv[argv.index("--host") + 1]
        root = hosts[host] if argv[1] == "sync" else new
        local = [a.replace("/srv/bot", str(root)).replace("my-bot-backups", bucket) for a in argv]
        local[0] = BOTSTORE
        result = subprocess.run(
            [*local, "--endpoint", gcs.url], capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, (local, result.stdout, result.stderr)
        if "--dry-run" in argv:
            assert not new.exists()
    assert (new / layout.PORTFOLIO).read_bytes() == eu  # the lost host's data, not the other's
