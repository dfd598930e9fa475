"""The JSON contract: envelope keys, one timestamp form, published schemas, real outputs valid.

Every machine-readable output (``check --json``, ``watch --jsonl``, ``history --json``,
action ``--json``, ``sync --json`` and ``restore-cloud --json`` against the GCS emulator) is
produced for real on a demo tree and validated against the schema
``botstore schema --output NAME`` prints; the files in ``docs/schemas/`` must equal what
the code generates (drift test).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core import __version__
from core.cli import output_schemas
from core.cli.envelope import STAMP_PATTERN, TIME_KEYS, normalize_stamp
from core.cli.main import main
from core.cli.watch_cmd import WatchPrinter
from core.cloud import manifest
from core.demo import build_demo_tree
from core.health import HealthScanner
from core.standard import layout
from core.standard.times import utc_stamp
from core.tracking.history import write_ohlcv

REPO = Path(__file__).resolve().parents[2]
STAMP = re.compile(STAMP_PATTERN)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    build_demo_tree(root)
    return root


def validate(name: str, doc: dict[str, Any]) -> None:
    """``doc`` against the published schema ``name``, plus the envelope's exact values."""
    schema = output_schemas.output_schema(name)
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert list(doc)[:5] == ["schema_version", "botstore_version", "host", "root", "scan_seconds"]
    assert doc["botstore_version"] == __version__
    assert doc["host"] == socket.gethostname()
    assert Path(doc["root"]).is_absolute()
    _all_stamps_are_rfc3339(doc)


def _all_stamps_are_rfc3339(obj: Any) -> None:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in TIME_KEYS and isinstance(value, str):
                assert STAMP.match(value), f"{key}: {value!r} is not RFC 3339 UTC with Z"
            _all_stamps_are_rfc3339(value)
    elif isinstance(obj, list):
        for item in obj:
            _all_stamps_are_rfc3339(item)


def cli_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(argv)
    return code, json.loads(capsys.readouterr().out)


# --------------------------------------------------------------------------- published schemas


@pytest.mark.parametrize("name", sorted(output_schemas.OUTPUTS))
def test_schema_files_match_the_code(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = REPO / "docs" / "schemas" / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == output_schemas.schema_text(name), (
        f"{path} drifted: run python -m core.cli.output_schemas docs/schemas"
    )
    assert main(["schema", "--output", name]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(path.read_text())


def test_schema_mirrors_match_the_report() -> None:
    assert manifest._RUN_RE.pattern == output_schemas.RUN_PATTERN


def test_unknown_output_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["schema", "--output", "nope"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


# --------------------------------------------------------------------------- real outputs


def test_check_json_ok_broken_and_unknown(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc = cli_json(["check", "--root", str(demo), "--json"], capsys)
    assert code == 0
    validate("check", doc)
    assert doc["root"] == str(demo)
    assert doc["scan_seconds"] > 0
    (demo / layout.PORTFOLIO).write_text("{ broken")
    code, doc = cli_json(["check", "--root", str(demo), "--json"], capsys)
    assert code == 2
    validate("check", doc)
    assert any(f["severity"] == "critical" for f in doc["findings"])
    code, doc = cli_json(["check", "--root", "relative/missing", "--json"], capsys)
    assert code == 3
    validate("check", doc)
    assert doc["root"] == str(Path.cwd() / "relative" / "missing")
    assert doc["scan_seconds"] is None


def test_watch_jsonl_lines(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = demo / layout.LATEST_DECISIONS
    saved = target.read_bytes()
    target.unlink()
    scanner = HealthScanner(str(demo))
    printer = WatchPrinter(scanner, jsonl=True)
    printer.rescan("start")
    target.write_bytes(saved)
    target.chmod(0o640)
    printer.changed({layout.LATEST_DECISIONS})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["event"] for line in lines] == ["appeared", "rescan", "cleared"]
    for line in lines:
        validate("watch", line)
    assert lines[1]["reason"] == "start"
    assert lines[1]["scan_seconds"] > 0


def test_history_json(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = demo / "data" / "historical"
    (hist / "XRP-EUR_daily_30d.parquet").write_bytes(b"junk")
    code, doc = cli_json(["history", "--root", str(demo), "--json"], capsys)
    assert code == 1  # one file could not be summarized
    validate("history", doc)
    good = [f for f in doc["files"] if f["error"] is None]
    assert good and all(STAMP.match(f["start"]) and STAMP.match(f["end"]) for f in good)


def test_action_json_preview_apply_readonly_and_recover(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (demo / layout.PORTFOLIO).chmod(0o666)
    code, doc = cli_json(["fix-permissions", "--root", str(demo), "--json"], capsys)
    assert code == 0
    validate("action", doc)
    assert doc["applied"] is False and doc["plan"]["steps"]
    code, doc = cli_json(["fix-permissions", "--root", str(demo), "--json", "--yes"], capsys)
    assert code == 0
    validate("action", doc)
    assert doc["applied"] is True and doc["result"]["ok"] is True
    code, doc = cli_json(["verify-backups", "--root", str(demo), "--json"], capsys)
    validate("action", doc)
    code, doc = cli_json(["restore", "--recover", "--root", str(demo), "--json"], capsys)
    assert code == 0
    validate("action", doc)
    assert doc["recovered"] == []


def test_watch_subprocess_lines_carry_the_envelope(demo: Path) -> None:
    """The real ``watch --jsonl`` process: its first lines validate too."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core.cli.main",
            "watch",
            "--root",
            str(demo),
            "--jsonl",
            "--polling",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    with proc:
        try:
            assert proc.stdout is not None
            line = json.loads(proc.stdout.readline())
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    validate("watch", line)
    assert line["event"] == "rescan" and line["root"] == str(demo)


# --------------------------------------------------------------------------- cloud outputs


def test_sync_and_restore_cloud_json(
    demo: Path, tmp_path: Path, gcs: Any, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The body's own host (whose backup) is ``source_host``; ``host`` is this machine."""
    common = ["--bucket", bucket, "--prefix", "c", "--endpoint", gcs.url, "--host", "bot-eu-1"]
    code, doc = cli_json(["sync", "--root", str(demo), *common, "--json"], capsys)
    assert code == 0
    validate("sync", doc)
    assert doc["source_host"] == "bot-eu-1" and doc["root"] == str(demo)
    assert doc["run"] and doc["uploaded"] and doc["scan_seconds"] > 0
    code, doc = cli_json(["sync", "--root", str(demo), *common, "--json"], capsys)
    assert code == 0
    validate("sync", doc)
    assert doc["run"] is None and doc["unchanged"]  # nothing changed: no new run

    into = tmp_path / "restored"
    code, doc = cli_json(["restore-cloud", *common, "--into", str(into), "--json"], capsys)
    assert code == 0
    validate("restore-cloud", doc)
    assert doc["dry_run"] is True and doc["files"] and doc["source_host"] == "bot-eu-1"
    assert doc["root"] == str(into) == doc["into"] and not into.exists()
    code, doc = cli_json(["restore-cloud", *common, "--into", str(into), "--yes", "--json"], capsys)
    assert code == 0
    validate("restore-cloud", doc)
    assert doc["dry_run"] is False and doc["swapped"] and doc["ok"] is True


def test_failed_cloud_runs_carry_the_envelope(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    common = ["--bucket", "b", "--endpoint", f"http://127.0.0.1:{port}"]
    code, doc = cli_json(["sync", "--root", str(demo), *common, "--json"], capsys)
    assert code == 1
    validate("sync", doc)
    assert doc["ok"] is False and "unreachable" in doc["error"] and doc["code"]
    into = tmp_path / "r"
    code, doc = cli_json(["restore-cloud", *common, "--into", str(into), "--json"], capsys)
    assert code == 1
    validate("restore-cloud", doc)
    assert doc["ok"] is False and doc["error"] and doc["root"] == str(into)


def test_sync_every_json_documents_carry_the_envelope(demo: Path, gcs: Any, bucket: str) -> None:
    """``sync --every --json``: one document per run, each with the envelope."""
    argv = ["sync", "--root", str(demo), "--bucket", bucket, "--endpoint", gcs.url]
    proc = subprocess.Popen(
        [sys.executable, "-m", "core.cli.main", *argv, "--every", "1s", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    docs: list[dict[str, Any]] = []
    with proc:
        try:
            assert proc.stdout is not None
            text = ""
            for line in proc.stdout:
                text += line
                if line == "}\n":  # a document ends (print_json indents by 2)
                    docs.append(json.loads(text))
                    text = ""
                    if len(docs) == 2:
                        break
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
    assert [bool(d["run"]) for d in docs] == [True, False]  # a run, then nothing changed
    for doc in docs:
        validate("sync", doc)


# --------------------------------------------------------------------------- one timestamp form


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-01-31T12:00:00+00:00", "2026-01-31T12:00:00Z"),
        ("2026-01-31T12:00:00.123456", "2026-01-31T12:00:00Z"),  # naive = UTC, as the bot writes
        ("2026-01-31T13:00:00+01:00", "2026-01-31T12:00:00Z"),
        ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z"),
        ("not a time", "not a time"),
    ],
)
def test_normalize_stamp(stored: str, shown: str) -> None:
    assert normalize_stamp(stored) == shown


def test_utc_stamp_forms() -> None:
    assert utc_stamp(0) == "1970-01-01T00:00:00Z"
    assert STAMP.match(utc_stamp())


def test_history_stamps_from_parquet_are_normalized(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    hist = tmp_path / "data" / "historical"
    hist.mkdir(parents=True)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    columns = {
        "timestamp": [t0 + dt.timedelta(hours=i) for i in range(3)],
        "open": [1.0] * 3,
        "high": [1.0] * 3,
        "low": [1.0] * 3,
        "close": [1.0] * 3,
        "volume": [1.0] * 3,
    }
    write_ohlcv(hist / "BTC-EUR_hour_30d.parquet", columns)
    code, doc = cli_json(["history", "--root", str(tmp_path), "--json"], capsys)
    assert code == 0
    validate("history", doc)
    assert doc["files"][0]["start"] == "2026-01-01T00:00:00Z"
    assert doc["files"][0]["end"] == "2026-01-01T02:00:00Z"
