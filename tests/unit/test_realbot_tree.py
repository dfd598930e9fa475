"""botstore on a tree shaped exactly like the real bot's (tests/realbot_tree.py).

No false alarms on what the bot really writes, the right finding for each way
it really breaks, and never a rewrite the bot cannot read back.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from realbot_tree import API_KEY, RealBotTree, build_realbot_tree

from core.cli.main import main
from core.standard import layout
from core.storage.write import write_json

SNAPSHOTS = layout.SNAPSHOTS
TRADES = "data/trades/trade_history.json"
SERIES = "data/historical/BTC-EUR_hour_30d.parquet"
#: The true findings of a healthy 30-day bot tree: start-up-only snapshots (18-day gap),
#: the metrics file the bot never writes, and growth notes / deviations (info).
TRUE_WARNINGS = {("gap", SNAPSHOTS), ("missing", layout.PERFORMANCE_METRICS)}
FALSE_ALARM_CODES = {"schema", "version", "parquet", "invalid_json", "naming", "unreadable"}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if "--json" in argv else out


def bot_reads_snapshots(root: Path) -> list[Any]:
    """What the bot's own tracker sees: ``json.load`` and a list, else nothing."""
    try:
        data = json.loads((root / SNAPSHOTS).read_text())
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> RealBotTree:
    """The bot's tree after 30 days, modes fixed by botstore and a ``.bak`` present."""
    tree = build_realbot_tree(tmp_path_factory.mktemp("realbot") / "bot")
    root = tree.root
    assert main(["fix-permissions", "--root", str(root), "--yes"]) == 0
    data = json.loads((root / layout.PORTFOLIO).read_text())
    write_json(root / layout.PORTFOLIO, data)  # our writer: atomic, keeps the old as .bak
    return tree


@pytest.fixture
def root(template: RealBotTree, tmp_path: Path) -> Path:
    copy = tmp_path / "bot"
    shutil.copytree(template.root, copy, symlinks=True)
    return copy


def test_raw_tree_groups_644_and_keeps_the_secret_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = build_realbot_tree(tmp_path / "bot")
    code, report = run(["check", "--root", str(tree.root), "--json"], capsys)
    assert code == 2
    codes = {f["code"] for f in report["findings"]}
    assert not codes & FALSE_ALARM_CODES, report["findings"][:5]
    critical = [f for f in report["findings"] if f["severity"] == "critical"]
    assert [f["path"] for f in critical] == ["data/config/detailed_config.json"]
    groups = {(g["code"], g["message"]): g for g in report["groups"]}
    files = groups[("permissions", "file mode 644, policy 640: too permissive")]
    wrong = [
        f["path"]
        for f in report["findings"]
        if f["message"] == "file mode 644, policy 640: too permissive"
    ]
    assert files["count"] == len(wrong) > 700 and sorted(files["paths"]) == sorted(wrong)
    text = main(["check", "--root", str(tree.root)])
    out = capsys.readouterr().out
    assert text == 2
    assert f"{len(wrong):,} files: file mode 644, policy 640" in out
    assert out.index("detailed_config.json") < out.index("files: file mode 644")
    assert API_KEY not in out
    assert len(out.splitlines()) < 30  # one line per problem, not one per file


def test_healthy_tree_has_only_true_findings(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run(["check", "--root", str(root), "--json"], capsys)
    problems = {(f["code"], f["path"]) for f in report["findings"] if f["severity"] != "info"}
    assert problems == TRUE_WARNINGS, report["findings"]
    assert code == 1
    info = {(f["code"], f["path"]) for f in report["findings"] if f["severity"] == "info"}
    assert ("deviation", SERIES) in info  # gzip, harmless
    assert ("retention", "data") in info  # decision files pile up
    assert report["health"]["performance_snapshots_count"] == 6
    assert report["health"]["backup_status"] == "ok"


def test_history_gives_rows_and_span_of_each_series(
    root: Path, template: RealBotTree, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(["history", "--root", str(root), "--json"], capsys)
    assert code == 0
    got = {f["path"]: f for f in out["files"]}
    assert set(got) == set(template.candles)
    for rel, rows in template.candles.items():
        first, last = template.series_span[rel]
        assert got[rel]["error"] is None
        assert got[rel]["rows"] == rows == 720
        assert got[rel]["start"] == first.isoformat().replace("+00:00", "Z")
        assert got[rel]["end"] == last.isoformat().replace("+00:00", "Z")
        assert got[rel]["gaps"] == 0 and got[rel]["compression"] == "gzip"


def test_migrate_has_nothing_to_do_and_changes_no_byte(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (root / SNAPSHOTS).read_bytes()
    code, out = run(["migrate", "--root", str(root), "--json"], capsys)
    assert code == 0
    assert out["plan"]["steps"] == []
    assert main(["migrate", "--root", str(root), "--yes"]) == 0
    capsys.readouterr()
    assert (root / SNAPSHOTS).read_bytes() == before


def test_verify_backups_succeeds(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(["verify-backups", "--root", str(root)], capsys)
    assert code == 0, out


def test_sync_and_restore_cloud_round_trip_is_byte_identical(
    root: Path, tmp_path: Path, client: Any, bucket: str
) -> None:
    from core import cloud

    policy = cloud.RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, timeout=10)
    cloud.sync_once(root, bucket, "b", client=client, host="bot", policy=policy, write_status=False)
    into = tmp_path / "restored"
    result = cloud.restore(bucket, into, "b", client=client, host="bot", policy=policy)
    assert result.ok, result.problems
    restored = [p for p in into.rglob("*") if p.is_file()]
    rels = {p.relative_to(into).as_posix() for p in restored}
    assert {layout.PORTFOLIO, SNAPSHOTS, SERIES, TRADES} <= rels
    for path in restored:
        assert path.read_bytes() == (root / path.relative_to(into)).read_bytes(), path


# --------------------------------------------------------------------------- corruption


def _cut(rel: str, size: int | None) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        payload = path.read_bytes()
        half = len(payload) // 2
        # json.dump flushes 8 KiB at a time: a kill leaves a multiple of it (or half a small file)
        path.write_bytes(payload[: half if size is None else min(size, half)])

    return mutate


def _non_numeric_value(root: Path) -> None:
    snaps = json.loads((root / SNAPSHOTS).read_text())
    snaps[-1]["total_value_eur"] = "3000.12 EUR"
    (root / SNAPSHOTS).write_text(json.dumps(snaps, indent=2))


def _garbage_pages(root: Path) -> None:
    path = root / SERIES
    payload = bytearray(path.read_bytes())
    footer = int.from_bytes(payload[-8:-4], "little") + 8
    end = len(payload) - footer
    for i in range(8, end, 7):  # keep magic and footer, wreck every data page
        payload[i] ^= 0x5A
    path.write_bytes(bytes(payload))


def _silent_supervisor(root: Path) -> None:
    old = time.time() - 6 * 3600 - 60
    os.utime(root / layout.SUPERVISOR_LOG, (old, old))


def _leftover_tmp(root: Path) -> None:
    tmp = root / "data" / ".portfolio.json.0123456789ab.tmp"
    tmp.write_bytes(b'{"trades_executed": 3, "portfolio_va')
    old = time.time() - 3600
    os.utime(tmp, (old, old))


def _world_writable_data(root: Path) -> None:
    os.chmod(root / "data", 0o777)  # noqa: S103 - the fault under test


#: variant -> (mutation, code, path, severity, exit code)
VARIANTS: dict[str, tuple[Callable[[Path], None], str, str, str, int]] = {
    "empty-portfolio": (_cut(layout.PORTFOLIO, 0), "invalid_json", layout.PORTFOLIO, "critical", 2),
    "half-portfolio": (
        _cut(layout.PORTFOLIO, None),
        "invalid_json",
        layout.PORTFOLIO,
        "critical",
        2,
    ),
    "cut-snapshots": (_cut(SNAPSHOTS, 8192), "invalid_json", SNAPSHOTS, "warning", 1),
    "cut-trades": (_cut(TRADES, 8192), "invalid_json", TRADES, "warning", 1),
    "non-numeric-value": (_non_numeric_value, "schema", SNAPSHOTS, "warning", 1),
    "truncated-parquet": (_cut(SERIES, None), "parquet", SERIES, "critical", 2),
    "empty-parquet": (_cut(SERIES, 0), "parquet", SERIES, "critical", 2),
    "garbage-pages": (_garbage_pages, "parquet", SERIES, "critical", 2),
    "silent-supervisor": (_silent_supervisor, "stale", layout.SUPERVISOR_LOG, "warning", 1),
    "leftover-tmp": (
        _leftover_tmp,
        "temp_leftover",
        "data/.portfolio.json.0123456789ab.tmp",
        "warning",
        1,
    ),
    "world-writable-data": (_world_writable_data, "permissions", "data", "critical", 2),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_corruption_gives_the_right_finding(
    name: str, root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mutate, code, path, severity, exit_code = VARIANTS[name]
    mutate(root)
    status, report = run(["check", "--root", str(root), "--json"], capsys)
    hits = [f for f in report["findings"] if f["code"] == code and f["path"] == path]
    assert [f["severity"] for f in hits] == [severity], report["findings"]
    assert status == exit_code
    new = {(f["code"], f["path"]) for f in report["findings"] if f["severity"] != "info"}
    assert new - TRUE_WARNINGS == {(code, path)}, new - TRUE_WARNINGS


# --------------------------------------------------------------------------- data loss


ACTIONS = (
    ["migrate", "--yes"],
    ["fix-permissions", "--yes"],
    ["cleanup", "--yes"],
    ["clean-temp", "--yes"],
    ["verify-backups"],
    ["restore", layout.PORTFOLIO, "--yes"],
    ["snapshot", "--yes"],
)


@pytest.mark.parametrize("wrapped", [False, True], ids=["bot-list", "old-wrapped"])
def test_no_action_hides_a_snapshot_from_the_bot(
    root: Path, wrapped: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """The regression: ``migrate --yes`` once wrapped the list and the bot lost its history."""
    snaps = bot_reads_snapshots(root)
    assert len(snaps) == 6
    if wrapped:  # what older botstore releases left behind
        (root / SNAPSHOTS).write_text(json.dumps({"version": "1.0", "snapshots": snaps}))
    for argv in ACTIONS:
        code = main([argv[0], "--root", str(root), *argv[1:]])
        out = capsys.readouterr().out
        assert code == 0, (argv, out)
        assert bot_reads_snapshots(root)[: len(snaps)] == snaps, argv  # migrate runs first
    assert len(bot_reads_snapshots(root)) == len(snaps) + 1  # + the manual snapshot


def test_unrotated_supervisor_log_over_the_limit(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = root / layout.SUPERVISOR_LOG
    line = b"\x1b[32m12:00:00 - INFO   \x1b[0m - main - cycle ok\n"
    log.write_bytes(line * (6 * 1024 * 1024 // len(line)))
    _, report = run(["check", "--root", str(root), "--json"], capsys)
    hits = [f for f in report["findings"] if f["path"] == layout.SUPERVISOR_LOG]
    assert [(f["code"], f["severity"]) for f in hits] == [("size", "warning")]
    assert "not rotated" in hits[0]["message"]
    (root / "logs" / "supervisor.log.1").write_bytes(b"rotated\n")  # rotation: no finding
    _, report = run(["check", "--root", str(root), "--json"], capsys)
    assert not [f for f in report["findings"] if f["path"] == layout.SUPERVISOR_LOG]


def test_cleanup_moves_old_decision_files_by_retention(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / "botstore.toml").write_text("[retention]\ndecisions = 10\n")
    os.chmod(root / "botstore.toml", 0o640)
    _, report = run(["check", "--root", str(root), "--json"], capsys)
    growth = next(f for f in report["findings"] if (f["code"], f["path"]) == ("retention", "data"))
    assert growth["severity"] == "warning" and "older than 10 d" in growth["message"]
    code, out = run(["cleanup", "--root", str(root), "--json"], capsys)
    assert code == 0
    moved = [s["path"] for s in out["plan"]["steps"] if s["detail"].startswith("decisions")]
    assert len(moved) > 400 and all(p.count("_") == 3 for p in moved)  # never *_latest.json
    assert main(["cleanup", "--root", str(root), "--yes"]) == 0
    capsys.readouterr()
    assert (root / "data" / "BTC_EUR_latest.json").is_file()
    assert not any((root / p).exists() for p in moved)
    _, report = run(["check", "--root", str(root), "--json"], capsys)
    growth = next(f for f in report["findings"] if (f["code"], f["path"]) == ("retention", "data"))
    assert growth["severity"] == "info"
    assert {
        (f["code"], f["path"]) for f in report["findings"] if f["severity"] != "info"
    } == TRUE_WARNINGS


@pytest.mark.parametrize(
    "name",
    [
        "BTC-EUR_fifteenminute_90d.parquet",
        "ETH-USD_day_365d.parquet",
        "BTC-USD_sixhour_30d.parquet",
        "ETH-EUR_hourly_7d.parquet",
    ],
)
def test_the_bots_own_history_names_are_no_naming_warning(root: Path, name: str) -> None:
    from core.health import scan
    from core.tracking.history import parse_history_name

    parsed = parse_history_name(name)
    assert parsed.filename == name and parsed.step_seconds > 0
    shutil.copy2(root / SERIES, root / "data" / "historical" / name)
    report = scan(root)
    assert not [f for f in report.findings if f.code == "naming"]
