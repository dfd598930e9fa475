"""The README's Nagios / Icinga and JSON-contract sections, run as written (on a demo tree)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli_nagios import PERF_ITEM, PERF_LABELS, STATUS_LINE, perfdata

from core.cli.envelope import envelope
from core.demo import build_demo_tree

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
BOTSTORE = str(Path(sys.executable).with_name("botstore"))


def _section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.find("\n## ", start)
    nxt = README.find("\n### ", start + 1)
    return README[start : min(x for x in (end, nxt) if x > 0)]


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme") / "bot"
    build_demo_tree(root)
    return root


def _local(command: str, demo: Path) -> str:
    return command.replace("/srv/bot/.venv/bin/botstore", BOTSTORE).replace("/srv/bot", str(demo))


def test_sample_status_line_is_guideline_perfdata() -> None:
    (line,) = [b.strip() for b in _blocks(_section("Nagios / Icinga"), "text")]
    assert STATUS_LINE.match(line)
    assert set(perfdata(line)) == set(PERF_LABELS)


def test_nagios_command_definition_runs(demo: Path) -> None:
    nagios = _blocks(_section("Nagios / Icinga"), "cfg")[0]
    command_line = re.search(r"command_line\s+(.+)", nagios).group(1)  # type: ignore[union-attr]
    check_command = re.search(r"check_command\s+(\S+)", nagios).group(1)  # type: ignore[union-attr]
    name, *args = check_command.split("!")
    assert name == re.search(r"command_name\s+(\S+)", nagios).group(1)  # type: ignore[union-attr]
    for n, value in enumerate(args, start=1):
        command_line = command_line.replace(f"$ARG{n}$", value)
    assert "$ARG" not in command_line
    result = subprocess.run(
        shlex.split(_local(command_line, demo)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    perf = perfdata(result.stdout.splitlines()[0])
    assert perf["portfolio_age"][1:3] == ["3600", "21600"]


def test_icinga_check_command_runs(demo: Path) -> None:
    icinga = _blocks(_section("Nagios / Icinga"), "cfg")[1]
    command = json.loads("[" + re.search(r"command = \[(.*?)\]", icinga).group(1) + "]")  # type: ignore[union-attr]
    variables = {
        "botstore_root": str(demo),
        "botstore_disk_warning": "10",
        "botstore_disk_critical": "5",
    }
    variables.update(re.findall(r"vars\.(\w+) = (\S+)", icinga))
    argv = [_local(part, demo) for part in command]
    for flag, plain, value, set_if in re.findall(
        r'"(-[-\w]+)" = (?:"([^"]*)"|\{ value = "([^"]*)" set_if = "([^"]*)" \})', icinga
    ):
        if set_if and not re.sub(r"\$(\w+)\$", lambda m: variables.get(m.group(1), ""), set_if):
            continue
        argv += [flag, re.sub(r"\$(\w+)\$", lambda m: variables[m.group(1)], plain or value)]
    assert argv[2:] == ["--root", str(demo), "-t", "20", "-w", "disk_free=10", "-c", "disk_free=5"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert perfdata(result.stdout.splitlines()[0])["disk_free"][1:3] == ["10:", "5:"]


def test_json_contract_example_has_the_envelope_keys(demo: Path) -> None:
    (example,) = _blocks(_section("JSON contract"), "json")
    assert list(json.loads(example)) == list(envelope(demo, 0.1))


def test_completion_lines_run(tmp_path: Path) -> None:
    (block,) = _blocks(_section("Shell completion and man page"), "sh")
    for line in block.strip().splitlines():
        command = line.split(">")[0].split("|")[0].strip()
        result = subprocess.run(
            [BOTSTORE, *shlex.split(command)[1:]],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout


def test_perf_item_regex_rejects_sloppy_items() -> None:
    for bad in ["scan_seconds=1e-05", "findings=", "disk free=3%", "x=1;2;3;4;5;6", "a=1zz"]:
        assert not PERF_ITEM.match(bad), bad
