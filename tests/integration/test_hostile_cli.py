"""Hostile names, values and files against the headless faces (check, watch, plans, audit).

Generated file names and JSON string values (whole Unicode range, Rich markup,
ANSI/OSC sequences, C1 controls, newlines) must never put a raw control character
into human output nor forge a line there; ``--json``/``--jsonl`` stay valid JSON with
the raw name recoverable. Then one regression per break the issue lists.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import orjson
import pytest
from hostile import fragments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.actions import audit
from core.actions import permissions as permissions_action
from core.cli.main import main
from core.cli.watch_cmd import WatchPrinter
from core.health import HealthScanner, scan
from core.health.limits import DEFAULT_PARSE_CAP, SNAPSHOTS_PARSE_CAP
from core.standard import layout
from core.storage.write import write_json
from core.text.textsafe import escape_controls, json_safe
from tui.detail_model import load_detail
from tui.logtail import LogTailer

RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: what every line of ``check``'s text output starts with (anything else is forged)
CHECK_LINE = re.compile(
    r"(BOTSTORE [A-Z]+ - |root: |health: |backups: |quarantine: "
    r"|(CRITICAL|WARNING|INFO) \(\d+\):$|  . \[[a-z_]+\] |      fix: botstore "
    r"|$)"
)

#: the shared pieces, plus a click action, a line separator and a forged first line
fragment = fragments(["[@click=app.quit]X", "\u2028", "\nBOTSTORE OK - no problems"], max_size=5)
names = st.lists(
    fragment.map(lambda s: s.replace("/", "_")).filter(
        lambda s: s not in {".", ".."} and len(os.fsencode(s)) < 200
    ),
    min_size=1,
    max_size=3,
    unique_by=str.lower,
)


def run_cli(*argv: str) -> tuple[int, str]:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        code = main(list(argv))
    return code, buffer.getvalue()


def build(root: Path, file_names: list[str], value: str) -> list[str]:
    (root / "data" / "cache").mkdir(parents=True)
    rels = []
    for name in file_names:
        rel = f"data/{name}.json"
        path = root / rel
        path.write_bytes(b'{"note": ' + orjson.dumps(value))  # truncated: invalid_json
        path.chmod(0o644)  # and a mode the permissions plan changes
        rels.append(rel)
    write_json(root / layout.LATEST_DECISIONS, {"version": "1.0", "decisions": value})
    return rels


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(file_names=names, value=fragment)
def test_generated_names_and_values_in_every_text_output(
    tmp_path_factory: pytest.TempPathFactory, file_names: list[str], value: str
) -> None:
    root = tmp_path_factory.mktemp("cli") / "bot"
    rels = build(root, file_names, value)
    # check, text: no raw control, no forged line, every name shown (escaped)
    _, text = run_cli("check", "--root", str(root))
    assert RAW.search(text) is None
    for line in text.splitlines():
        assert CHECK_LINE.match(line), line
    for rel in rels:
        assert escape_controls(rel) in text
    # check --json: valid JSON, raw name recoverable, nothing a terminal acts on
    _, encoded = run_cli("check", "--root", str(root), "--json")
    assert RAW.search(encoded) is None
    paths = {f["path"] for f in orjson.loads(encoded)["findings"]}
    assert set(rels) <= paths
    # watch, text and JSONL
    report = HealthScanner(root).full_scan()
    for jsonl in (False, True):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            WatchPrinter(HealthScanner(root), jsonl).apply(report)
        out = buffer.getvalue()
        assert RAW.search(out) is None
        if jsonl:
            seen = {orjson.loads(line)["finding"]["path"] for line in out.splitlines()}
            assert set(rels) <= seen
        else:
            assert len(out.splitlines()) == len(report.findings)
    # an action plan naming those files
    plan = permissions_action.plan(root)
    rendered = plan.render()
    assert RAW.search(rendered) is None
    for rel in rels:
        assert escape_controls(rel) in rendered


def test_json_safe_round_trips_every_character() -> None:
    value = "".join(chr(c) for c in range(0x20, 0x2100))
    encoded = json_safe(orjson.dumps({"v": value}).decode())
    assert RAW.search(encoded) is None
    assert orjson.loads(encoded)["v"] == value


# --------------------------------------------------------------------------- regressions


def test_newline_in_a_name_cannot_forge_the_status_line(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    build(root, ["x\nBOTSTORE OK - no problems"], "v")
    code, text = run_cli("check", "--root", str(root))
    assert code == 2
    assert [line for line in text.splitlines() if line.startswith("BOTSTORE")] == [
        text.splitlines()[0]
    ]
    assert "x\\nBOTSTORE OK - no problems.json" in text


def test_osc_title_clear_screen_and_c1_are_escaped_in_check(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    build(root, ["t\x1b]2;PWNED\x07", "c\x1b[2J"], "csi\x9b2J")
    _, text = run_cli("check", "--root", str(root))
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "t\\x1b]2;PWNED\\x07.json" in text and "c\\x1b[2J.json" in text
    assert "csi\\u009b2J" in text


def test_audit_log_message_is_escaped(tmp_path: Path) -> None:
    audit.record(
        tmp_path,
        action="t",
        action_id=None,
        result="ok",
        message="a\x1b[2J\x9bb\nc",
        paths=[],
        before={},
        after={},
    )
    line = audit.audit_path(tmp_path).read_text(encoding="utf-8")
    assert RAW.search(line.rstrip("\n")) is None
    assert orjson.loads(line)["message"] == "a\\x1b[2J\\u009bb\\nc"


def test_a_directory_at_the_portfolio_path_is_critical(tmp_path: Path) -> None:
    from core.demo import build_demo_tree

    root = tmp_path / "bot"
    build_demo_tree(root, seed=0)
    (root / layout.PORTFOLIO).unlink()
    (root / layout.PORTFOLIO).mkdir(mode=0o750)
    code, text = run_cli("check", "--root", str(root))
    assert code == 2
    assert "[special_file] data/portfolio.json: is a directory, not a regular file" in text
    report = scan(root)
    assert report.health["portfolio_file_exists"] is False
    # an expected file in the same state is a warning
    (root / layout.BOT_STARTUP).unlink()
    (root / layout.BOT_STARTUP).mkdir(mode=0o750)
    found = [f for f in scan(root).findings if f.path == layout.BOT_STARTUP]
    assert [(f.code, f.severity.value) for f in found] == [("special_file", "warning")]
    # and a FIFO there is critical too (never opened)
    (root / layout.PORTFOLIO).rmdir()
    os.mkfifo(root / layout.PORTFOLIO)
    found = [f for f in scan(root).findings if f.path == layout.PORTFOLIO]
    assert [(f.code, f.severity.value) for f in found] == [("special_file", "critical")]


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli.main", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_hostile_config_is_unknown_not_a_hang(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "bot"
    (root / "data").mkdir(parents=True)
    config = root / "botstore.toml"
    if kind == "fifo":
        os.mkfifo(config)
    else:
        config.symlink_to("/dev/zero")
    result = _cli(root, "check")  # a hang would hit the timeout, /dev/zero a MemoryError
    assert result.returncode == 3, result.stderr
    what = "FIFO" if kind == "fifo" else "device"
    assert result.stdout.startswith("BOTSTORE UNKNOWN - invalid configuration: ")
    assert f"is a {what}, not a regular file" in result.stdout
    assert "Traceback" not in result.stderr
    # the scan's cloud status reads the same file through the same guarded reader
    from core.cloud.client import CloudError
    from core.cloud.settings import load_settings

    with pytest.raises(CloudError, match=what):
        load_settings(root)


def test_oversized_config_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    root.mkdir()
    (root / "botstore.toml").write_bytes(b"#" * (1024 * 1024 + 1))
    code, text = run_cli("check", "--root", str(root))
    assert code == 3 and "cap" in text


def _json_array(path: Path, size: int) -> None:
    """A valid JSON array of ``size`` bytes (few, padded items: cheap to parse if it is)."""
    item = b'{"ts": "2026-01-15T12:00:00", "pad": "' + b"p" * 4000 + b'"}'
    count = size // (len(item) + 2) + 1
    path.write_bytes(b"[" + b", ".join([item] * count) + b"]")


def test_oversized_cache_file_is_a_finding_not_parsed(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    (root / "data" / "cache").mkdir(parents=True)
    big = root / "data/cache/huge.json"
    _json_array(big, DEFAULT_PARSE_CAP + 1024)
    big.chmod(0o640)
    findings = [f for f in scan(root).findings if f.path == "data/cache/huge.json"]
    assert [(f.code, f.severity.value) for f in findings] == [("size", "warning")]
    assert "not parsed" in findings[0].message
    # proof it is never parsed: garbage at its end changes nothing (no invalid_json)
    with big.open("ab") as handle:
        handle.write(b"]]} not json")
    findings = [f for f in scan(root).findings if f.path == "data/cache/huge.json"]
    assert [f.code for f in findings] == ["size"]
    # below the cap the same garbage is found
    big.write_bytes(b"[1, 2]]} not json")
    assert "invalid_json" in {f.code for f in scan(root).findings if f.path.endswith("huge.json")}


def test_snapshots_history_has_its_own_larger_cap(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    (root / layout.PERFORMANCE_DIR).mkdir(parents=True)
    snapshots = root / layout.SNAPSHOTS
    _json_array(snapshots, DEFAULT_PARSE_CAP + 1024)  # over the default cap: still parsed
    found = {f.code for f in scan(root).findings if f.path == layout.SNAPSHOTS}
    assert "size" not in found
    _json_array(snapshots, SNAPSHOTS_PARSE_CAP + 1024)
    over = [f for f in scan(root).findings if f.path == layout.SNAPSHOTS and f.code == "size"]
    assert len(over) == 1 and "not parsed" in over[0].message


def test_symlinked_log_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "shadow"
    outside.write_text("root:*:19000:0:99999:7:::\n", encoding="utf-8")
    root = tmp_path / "bot"
    (root / "logs").mkdir(parents=True)
    (root / layout.SUPERVISOR_LOG).symlink_to(outside)
    (root / "logs" / "daily_report_20260115.txt").symlink_to(outside)
    tailer = LogTailer(root)
    chunk = tailer.tail_supervisor()
    assert chunk.missing and chunk.lines == []
    report = tailer.newest_report()
    assert report.missing and report.lines == []
    detail = load_detail(root, layout.SUPERVISOR_LOG, lambda: 0.0)
    assert detail.pretty is None
    # a symlinked logs/ directory is refused the same way
    (root / layout.SUPERVISOR_LOG).unlink()
    (root / "logs" / "daily_report_20260115.txt").unlink()
    (root / "logs").rmdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "supervisor.log").write_text("root:*:secret\n", encoding="utf-8")
    (root / "logs").symlink_to(elsewhere)
    assert LogTailer(root).tail_supervisor().lines == []
    assert load_detail(root, layout.SUPERVISOR_LOG, lambda: 0.0).pretty is None


def test_long_log_line_is_clipped_with_a_marker(tmp_path: Path) -> None:
    root = tmp_path / "bot"
    (root / "logs").mkdir(parents=True)
    (root / layout.SUPERVISOR_LOG).write_text(
        "x" * 10_000 + " api_key=sk-123\nshort\n", encoding="utf-8"
    )
    lines = LogTailer(root).tail_supervisor().lines
    assert lines[1] == "short"
    assert len(lines[0]) < 2100 and "more characters not shown" in lines[0]
