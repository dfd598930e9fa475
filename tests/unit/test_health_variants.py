"""Acceptance 1: a healthy standard tree passes; every broken variant is reported precisely.

Each variant breaks one thing in a fresh demo tree and asserts the finding's code,
path and severity plus the exit code of ``botstore check --json``. No variant may
crash, hang (pytest-timeout) or follow a symlink.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli.main import main
from core.demo import build_demo_tree
from core.health import HealthScanner, scan
from core.standard import layout
from core.storage.write import write_json
from core.tracking.history import write_ohlcv

IS_ROOT = os.geteuid() == 0
#: the top-level keys of ``check --json``, whatever the tree (healthy or missing)
CHECK_KEYS = {
    "schema_version",
    "botstore_version",
    "host",
    "root",
    "scan_seconds",
    "status",
    "checked_at",
    "health",
    "findings",
    "backups",
    "quarantine",
    "groups",
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    build_demo_tree(base)
    return base


def run_check(
    root: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--root", str(root), "--json", *extra])
    out = capsys.readouterr().out
    return code, json.loads(out)


def has(result: dict[str, Any], code: str, path: str, severity: str) -> bool:
    return any(
        f["code"] == code and f["path"] == path and f["severity"] == severity
        for f in result["findings"]
    )


def shown(result: dict[str, Any]) -> str:
    return "\n".join(
        f"{f['severity']} {f['code']} {f['path']}: {f['message']}" for f in result["findings"]
    )


# --------------------------------------------------------------------------- healthy


def test_healthy_tree_passes(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = run_check(root, capsys)
    assert code == 0, shown(result)
    assert result["status"] == "ok"
    assert not [f for f in result["findings"] if f["severity"] != "info"], shown(result)
    assert set(result) == CHECK_KEYS
    assert result["groups"] == []  # nothing repeats on a healthy tree
    assert list(result["health"]) == [
        "portfolio_file_exists",
        "portfolio_file_size",
        "portfolio_last_modified",
        "performance_snapshots_count",
        "disk_usage_mb",
        "oldest_snapshot_age_days",
        "backup_status",
    ]
    health = result["health"]
    assert health["portfolio_file_exists"] is True
    assert health["portfolio_file_size"] > 0
    assert health["performance_snapshots_count"] > 0
    assert health["backup_status"] == "ok"
    assert result["checked_at"].endswith("Z")


def test_human_output_first_line_is_nagios_style(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (root / layout.LATEST_DECISIONS).unlink()
    code = main(["check", "--root", str(root)])
    first = capsys.readouterr().out.splitlines()[0]
    assert code == 1
    assert first.startswith("BOTSTORE WARNING - 1 warning | scan_time=")
    assert " warning=1;0;;0 " in first


# --------------------------------------------------------------------------- variants


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def v_truncated_portfolio(root: Path) -> None:
    _truncate(root / layout.PORTFOLIO)


def v_empty_portfolio(root: Path) -> None:
    (root / layout.PORTFOLIO).write_bytes(b"")


def v_deep_json(root: Path) -> None:
    (root / layout.LATEST_DECISIONS).write_bytes(b"[" * 200_000 + b"]" * 200_000)


def _set_key(path: Path, key: str, value: Any) -> None:
    """One top-level key of a JSON document replaced in place (a plain write, no ``.bak``)."""
    data = json.loads(path.read_text())
    data[key] = value
    path.write_text(json.dumps(data))


def v_wrong_types(root: Path) -> None:
    _set_key(root / layout.PORTFOLIO, "trades_executed", "many")


def v_world_readable_credentials(root: Path) -> None:
    path = root / "data" / "credentials.json"
    path.write_text('{"api_key": "sekrit"}')
    os.chmod(path, 0o644)


def v_sensitive_keys_group_readable(root: Path) -> None:
    path = root / "data" / "cache" / "session.json"
    path.write_text('{"token": "abc"}')
    os.chmod(path, 0o640)


def v_fifo(root: Path) -> None:
    os.mkfifo(root / "data" / "cache" / "pipe.json")


def v_fifo_as_portfolio(root: Path) -> None:
    (root / layout.PORTFOLIO).unlink()
    os.mkfifo(root / layout.PORTFOLIO)


def v_socket(root: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(root / "data" / "cache" / "s.sock"))
    finally:
        sock.close()


def v_non_utf8_name(root: Path) -> None:
    name = os.fsencode(root / "data" / "cache") + b"/bad\xff.json"
    with open(name, "wb") as handle:
        handle.write(b"{}")


def v_symlink_escape(root: Path) -> None:
    outside = root.parent / "outside-fifo"
    os.mkfifo(outside)  # would hang a reader that followed the link
    (root / "data" / "cache" / "escape.json").symlink_to(outside)


def v_symlink_portfolio_escape(root: Path) -> None:
    outside = root.parent / "elsewhere.json"
    shutil.copy(root / layout.PORTFOLIO, outside)
    (root / layout.PORTFOLIO).unlink()
    (root / layout.PORTFOLIO).symlink_to(outside)


def v_dangling_symlink(root: Path) -> None:
    (root / "data" / "cache" / "dangling.json").symlink_to("does-not-exist.json")


def v_symlink_loop(root: Path) -> None:
    (root / "data" / "loop").symlink_to(".")


def v_truncated_parquet(root: Path) -> None:
    _truncate(root / "data" / "historical" / "BTC-EUR_hour_180d.parquet")


def v_minute_gap(root: Path) -> None:
    path = root / "data" / "historical" / "SOL-EUR_minute_7d.parquet"
    table = pq.read_table(path)
    keep = [i for i in range(table.num_rows) if not 1000 <= i < 1010]
    write_ohlcv(path, table.take(pa.array(keep)))


def v_parquet_bad_name(root: Path) -> None:
    shutil.copy(
        root / "data" / "historical" / "ETH-EUR_daily_30d.parquet",
        root / "data" / "historical" / "eth_daily.parquet",
    )
    os.chmod(root / "data" / "historical" / "eth_daily.parquet", 0o640)


def v_parquet_gzip(root: Path) -> None:
    path = root / "data" / "historical" / "ETH-EUR_daily_30d.parquet"
    table = pq.read_table(path)
    pq.write_table(table, path, compression="gzip")


def v_parquet_short_span(root: Path) -> None:
    path = root / "data" / "historical" / "ETH-EUR_daily_30d.parquet"
    table = pq.read_table(path)
    write_ohlcv(path, table.slice(table.num_rows - 5, 5))


def v_parquet_no_volume(root: Path) -> None:
    path = root / "data" / "historical" / "ETH-EUR_daily_30d.parquet"
    table = pq.read_table(path).drop_columns(["volume"])
    pq.write_table(table, path, compression="snappy")


def v_temp_leftover(root: Path) -> None:
    path = root / "data" / ".portfolio.json.1a2b3c4d5e6f.tmp"
    path.write_text('{"partial": ')
    os.chmod(path, 0o640)
    old = time.time() - 120
    os.utime(path, (old, old))


def v_outdated_version(root: Path) -> None:
    _set_key(root / layout.PERFORMANCE_CONFIG, "version", "0.9")


def v_missing_portfolio(root: Path) -> None:
    (root / layout.PORTFOLIO).unlink()


def v_missing_expected(root: Path) -> None:
    (root / layout.SUPERVISOR_LOG).unlink()


def v_corrupt_backup(root: Path) -> None:
    _truncate(root / (layout.PORTFOLIO + ".bak"))


def v_missing_backup(root: Path) -> None:
    (root / (layout.PORTFOLIO + ".bak")).unlink()


def v_backup_newer(root: Path) -> None:
    future = time.time() + 3600
    os.utime(root / (layout.PORTFOLIO + ".bak"), (future, future))


def v_stale_decisions(root: Path) -> None:
    old = time.time() - 3 * 86400
    os.utime(root / layout.LATEST_DECISIONS, (old, old))


def v_stale_log(root: Path) -> None:
    old = time.time() - 7 * 3600
    os.utime(root / layout.SUPERVISOR_LOG, (old, old))


def _edit_snapshots(root: Path, edit: Callable[[list[Any]], list[Any]]) -> None:
    path = root / layout.SNAPSHOTS
    write_json(path, edit(json.loads(path.read_text())))  # the bot's bare list


def v_snapshot_gap(root: Path) -> None:
    _edit_snapshots(root, lambda s: s[:100] + s[130:])


def v_snapshot_stale(root: Path) -> None:
    _edit_snapshots(root, lambda s: s[:-6])


def v_snapshot_order(root: Path) -> None:
    _edit_snapshots(root, lambda s: [*s[:50], s[51], s[50], *s[52:]])


def v_retention(root: Path) -> None:
    (root / "botstore.toml").write_text(
        "[snapshots]\nretention_days = 10\nretention_grace_days = 1\n"
    )


def v_json_mode(root: Path) -> None:
    os.chmod(root / layout.BOT_STARTUP, 0o666)  # noqa: S103 - the mode under test


def v_json_mode_loose(root: Path) -> None:
    os.chmod(root / layout.BOT_STARTUP, 0o644)


def v_dir_mode(root: Path) -> None:
    os.chmod(root / "data" / "cache", 0o755)  # noqa: S103 - the mode under test


def v_owner(root: Path) -> None:
    os.chown(root / layout.BOT_STARTUP, 4321, 4321)


def v_zero_byte_report(root: Path) -> None:
    (root / layout.BACKTEST_REPORT).write_bytes(b"")


def v_size_limit(root: Path) -> None:
    (root / "botstore.toml").write_text(
        '[overrides."data/cache/*.json"]\nsize_max_mb = { warning = 0.0001, critical = 0 }\n'
    )


def v_disk(root: Path) -> None:
    (root / "botstore.toml").write_text(
        "[thresholds]\ndisk_free_percent = { warning = 100, critical = 100 }\n"
    )


def v_snapshot_frequency(root: Path) -> None:
    path = root / layout.PERFORMANCE_CONFIG
    data = json.loads(path.read_text())
    data["snapshot_frequency"] = "daily"
    write_json(path, data)


def v_sensitive_in_reports(root: Path) -> None:
    # reports/ is a fast-path directory: special names must still be seen
    path = root / "reports" / "daily_health" / "exchange_API_TOKEN.txt"
    path.write_text("x")
    os.chmod(path, 0o644)


def v_temp_in_reports(root: Path) -> None:
    path = root / "reports" / "weekly_validation" / "tmpa1b2c3.tmp"
    path.write_text("x")
    old = time.time() - 600
    os.utime(path, (old, old))


def v_report_invalid(root: Path) -> None:
    path = next((root / "reports" / "daily_health").glob("*.json"))
    path.write_text("{nope")


Variant = tuple[Callable[[Path], None], str, str, str, int]

VARIANTS: dict[str, Variant] = {
    "truncated": (v_truncated_portfolio, "invalid_json", layout.PORTFOLIO, "critical", 2),
    "empty": (v_empty_portfolio, "invalid_json", layout.PORTFOLIO, "critical", 2),
    "deep-200k": (v_deep_json, "invalid_json", layout.LATEST_DECISIONS, "warning", 1),
    "wrong-types": (v_wrong_types, "schema", layout.PORTFOLIO, "critical", 2),
    "world-readable-credentials": (
        v_world_readable_credentials,
        "permissions",
        "data/credentials.json",
        "critical",
        2,
    ),
    "sensitive-keys-640": (
        v_sensitive_keys_group_readable,
        "permissions",
        "data/cache/session.json",
        "warning",
        1,
    ),
    "fifo": (v_fifo, "special_file", "data/cache/pipe.json", "warning", 1),
    "fifo-as-portfolio": (v_fifo_as_portfolio, "special_file", layout.PORTFOLIO, "critical", 2),
    "socket": (v_socket, "special_file", "data/cache/s.sock", "warning", 1),
    "non-utf8-name": (v_non_utf8_name, "naming", "data/cache/bad\\xff.json", "warning", 1),
    "symlink-escape": (v_symlink_escape, "symlink", "data/cache/escape.json", "critical", 2),
    "symlink-portfolio-escape": (
        v_symlink_portfolio_escape,
        "symlink",
        layout.PORTFOLIO,
        "critical",
        2,
    ),
    "dangling-symlink": (v_dangling_symlink, "symlink", "data/cache/dangling.json", "warning", 1),
    "symlink-loop": (v_symlink_loop, "symlink", "data/loop", "info", 0),
    "truncated-parquet": (
        v_truncated_parquet,
        "parquet",
        "data/historical/BTC-EUR_hour_180d.parquet",
        "critical",
        2,
    ),
    "minute-gap": (v_minute_gap, "gap", "data/historical/SOL-EUR_minute_7d.parquet", "warning", 1),
    "parquet-name": (
        v_parquet_bad_name,
        "naming",
        "data/historical/eth_daily.parquet",
        "warning",
        1,
    ),
    "parquet-gzip": (
        v_parquet_gzip,
        "deviation",
        "data/historical/ETH-EUR_daily_30d.parquet",
        "info",
        0,
    ),
    "parquet-span": (
        v_parquet_short_span,
        "parquet",
        "data/historical/ETH-EUR_daily_30d.parquet",
        "warning",
        1,
    ),
    "parquet-columns": (
        v_parquet_no_volume,
        "parquet",
        "data/historical/ETH-EUR_daily_30d.parquet",
        "warning",
        1,
    ),
    "temp-leftover": (
        v_temp_leftover,
        "temp_leftover",
        "data/.portfolio.json.1a2b3c4d5e6f.tmp",
        "warning",
        1,
    ),
    "outdated-version": (v_outdated_version, "version", layout.PERFORMANCE_CONFIG, "warning", 1),
    "missing-portfolio": (v_missing_portfolio, "missing", layout.PORTFOLIO, "critical", 2),
    "missing-expected": (v_missing_expected, "missing", layout.SUPERVISOR_LOG, "warning", 1),
    "corrupt-backup": (v_corrupt_backup, "backup", layout.PORTFOLIO + ".bak", "warning", 1),
    "missing-backup": (v_missing_backup, "backup", layout.PORTFOLIO + ".bak", "warning", 1),
    "backup-newer": (v_backup_newer, "backup", layout.PORTFOLIO + ".bak", "warning", 1),
    "stale-decisions": (v_stale_decisions, "stale", layout.LATEST_DECISIONS, "critical", 2),
    "stale-log": (v_stale_log, "stale", layout.SUPERVISOR_LOG, "warning", 1),
    "snapshot-gap": (v_snapshot_gap, "gap", layout.SNAPSHOTS, "warning", 1),
    "snapshot-stale": (v_snapshot_stale, "stale", layout.SNAPSHOTS, "warning", 1),
    "snapshot-order": (v_snapshot_order, "gap", layout.SNAPSHOTS, "warning", 1),
    "snapshot-frequency": (v_snapshot_frequency, "gap", layout.SNAPSHOTS, "warning", 1),
    "retention": (v_retention, "retention", layout.SNAPSHOTS, "warning", 1),
    "world-writable-json": (v_json_mode, "permissions", layout.BOT_STARTUP, "critical", 2),
    "json-644": (v_json_mode_loose, "permissions", layout.BOT_STARTUP, "warning", 1),
    "dir-755": (v_dir_mode, "permissions", "data/cache", "warning", 1),
    "zero-byte": (v_zero_byte_report, "size", layout.BACKTEST_REPORT, "warning", 1),
    "size-limit": (v_size_limit, "size", layout.LATEST_DECISIONS, "warning", 1),
    "disk-free": (v_disk, "disk", ".", "critical", 2),
    "sensitive-in-reports": (
        v_sensitive_in_reports,
        "permissions",
        "reports/daily_health/exchange_API_TOKEN.txt",
        "critical",
        2,
    ),
    "temp-in-reports": (
        v_temp_in_reports,
        "temp_leftover",
        "reports/weekly_validation/tmpa1b2c3.tmp",
        "warning",
        1,
    ),
    "invalid-report": (v_report_invalid, "invalid_json", "", "warning", 1),
}
if IS_ROOT:
    VARIANTS["owner"] = (v_owner, "permissions", layout.BOT_STARTUP, "warning", 1)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant(name: str, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mutate, code, path, severity, exit_code = VARIANTS[name]
    mutate(root)
    if name == "invalid-report":
        path = (
            next(p for p in (root / "reports" / "daily_health").glob("*.json"))
            .relative_to(root)
            .as_posix()
        )
    status, result = run_check(root, capsys)
    assert has(result, code, path, severity), shown(result)
    assert status == exit_code, shown(result)
    assert result["status"] == {0: "ok", 1: "warning", 2: "critical"}[exit_code]


def test_at_least_twenty_variants() -> None:
    assert len(VARIANTS) >= 20


# --------------------------------------------------------------------------- more specific checks


def test_backup_status_values(root: Path) -> None:
    assert scan(root).health["backup_status"] == "ok"
    v_backup_newer(root)
    assert scan(root).health["backup_status"] == "mismatch"
    v_corrupt_backup(root)
    assert scan(root).health["backup_status"] == "invalid"
    (root / (layout.PORTFOLIO + ".bak")).unlink()
    assert scan(root).health["backup_status"] == "missing"


def test_size_shrink_between_scans(root: Path) -> None:
    path = root / "data" / "cache" / "extra.json"
    write_json(path, {"items": list(range(2000))}, backup=False)
    scanner = HealthScanner(root)
    assert not [f for f in scanner.full_scan().findings if f.code == "size"]
    write_json(path, {"items": [1]}, backup=False)
    report = scanner.update({"data/cache/extra.json"})
    size = [f for f in report.findings if f.code == "size"]
    assert [(f.path, f.severity.value) for f in size] == [("data/cache/extra.json", "critical")]
    # the finding stays until the file changes again (a periodic rescan does not hide it)
    assert [f.path for f in scanner.full_scan().findings if f.code == "size"] == [
        "data/cache/extra.json"
    ]
    write_json(path, {"items": list(range(2000))}, backup=False)
    assert not [f for f in scanner.update({"data/cache/extra.json"}).findings if f.code == "size"]
    # a one-shot check has no previous scan to compare with
    write_json(path, {"items": [1]}, backup=False)
    assert not [f for f in scan(root).findings if f.code == "size"]


def test_validator_crash_becomes_finding(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.documents import schemas

    def boom(kind: str, data: object) -> list[str]:
        raise RuntimeError("validator bug")

    monkeypatch.setattr(schemas, "validate", boom)
    report = scan(root)
    bad = [f for f in report.findings if f.path == layout.PORTFOLIO]
    assert bad and bad[0].code == "unreadable" and "validator bug" in bad[0].message


def test_symlink_targets_never_read(root: Path) -> None:
    v_symlink_escape(root)
    v_symlink_portfolio_escape(root)
    report = scan(root)
    assert report.health["portfolio_file_exists"] is False
    assert all(p.path != layout.PORTFOLIO for p in report.files)


NOBODY = 65534


def _check_as_nobody(root: Path) -> tuple[int, dict[str, Any]]:
    """Run the check in a forked child that dropped root for uid/gid 65534 (nobody).

    Root reads everything, so permission errors only exist for an unprivileged
    user. Forking (not exec) keeps the already-imported interpreter usable
    even where the venv's python is not executable by nobody.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        status = 99
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            report = scan(root)
            payload = json.dumps(report.to_json()).encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = report.status.exit_code
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as source:
        payload = source.read()
    _, wait_status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(wait_status), json.loads(payload)


def test_unreadable_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if IS_ROOT:
        # A tree nobody can traverse: outside pytest's 0700 tmp dir, owned by nobody.
        base = Path(tempfile.mkdtemp(prefix="botstore-nobody-"))
        base.chmod(0o755)
        tree = base / "root"
        try:
            build_demo_tree(tree)
            for path in [tree, *tree.rglob("*")]:
                os.lchown(path, NOBODY, NOBODY)
            (tree / layout.BOT_STARTUP).chmod(0o000)
            (tree / "reports" / "daily_health").chmod(0o000)
            code, result = _check_as_nobody(tree)
        finally:
            shutil.rmtree(base)
    else:
        tree = tmp_path / "root"
        build_demo_tree(tree)
        os.chmod(tree / layout.BOT_STARTUP, 0o000)
        os.chmod(tree / "reports" / "daily_health", 0o000)
        try:
            code, result = run_check(tree, capsys)
        finally:
            os.chmod(tree / "reports" / "daily_health", 0o750)  # noqa: S103 - the mode under test
    assert has(result, "unreadable", layout.BOT_STARTUP, "warning"), shown(result)
    assert has(result, "unreadable", "reports/daily_health", "warning"), shown(result)
    assert code == 1, shown(result)


def test_missing_root_is_unknown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--root", str(tmp_path / "nope"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 3
    assert out["status"] == "unknown"
    assert set(out) == CHECK_KEYS
    assert [(f["code"], f["path"]) for f in out["findings"]] == [("missing", ".")]


def test_invalid_config_is_unknown(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / "botstore.toml").write_text("[thresholds]\nstale_seconds = 5\n")
    code = main(["check", "--root", str(root)])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out.startswith("BOTSTORE UNKNOWN - invalid configuration")
    assert "stale_seconds" in captured.err


def test_ignore_globs(root: Path) -> None:
    v_fifo(root)
    (root / "botstore.toml").write_text('ignore = ["data/cache/pipe.json"]\n')
    assert scan(root).status.value == "ok"


def test_permission_errors_at_the_os_boundary(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """EACCES from scandir/open (what a non-root user meets) is ``unreadable``, not a crash."""
    real_scandir, real_open = os.scandir, os.open
    denied_dir = str(root / "reports" / "daily_health")
    denied_file = str(root / layout.BOT_STARTUP)

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == denied_dir:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    def open_(path: Any, flags: int, mode: int = 0o777, *, dir_fd: Any = None) -> int:
        if os.fspath(path) == denied_file:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "open", open_)
    code, result = run_check(root, capsys)
    assert has(result, "unreadable", "reports/daily_health", "warning"), shown(result)
    assert has(result, "unreadable", layout.BOT_STARTUP, "warning"), shown(result)
    assert code == 1
