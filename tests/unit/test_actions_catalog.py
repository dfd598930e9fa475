"""Finding -> fix (core.actions.catalog): each code's fix first, the same fix as the CLI hint."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.actions import apply, catalog
from core.actions.base import ActionError
from core.cli.main import main
from core.cli.watch_cmd import WatchPrinter
from core.config import load_config
from core.demo import build_demo_tree
from core.health import HealthScanner
from core.standard import layout
from core.standard.findings import Finding, Severity


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "bot"
    build_demo_tree(base, seed=0)
    return base


def _scan(root: Path) -> list[Finding]:
    return HealthScanner(root, load_config(root)).full_scan().findings


def _finding(root: Path, code: str, path: str) -> Finding:
    found = [f for f in _scan(root) if f.code == code and f.path == path]
    assert found, f"no {code} finding on {path}: {_scan(root)}"
    return found[0]


def test_truncated_portfolio_with_a_valid_bak_offers_restore_first(root: Path) -> None:
    (root / layout.PORTFOLIO).write_bytes(b'{"trading_mode": "paper", "por')
    finding = _finding(root, "invalid_json", layout.PORTFOLIO)
    fixes = catalog.fixes_for(root, finding)
    assert fixes[0].action == "restore"
    assert fixes[0].command == "botstore restore data/portfolio.json"
    result = apply(fixes[0].plan())
    assert result.ok, result.message
    assert not [f for f in _scan(root) if f.path == layout.PORTFOLIO]


def test_no_restore_is_offered_when_the_bak_is_broken_too(root: Path) -> None:
    (root / layout.PORTFOLIO).write_bytes(b"{")
    (root / (layout.PORTFOLIO + ".bak")).write_bytes(b"{")
    finding = _finding(root, "invalid_json", layout.PORTFOLIO)
    assert "restore" not in [f.action for f in catalog.fixes_for(root, finding)]


def test_missing_bak_gets_a_fresh_copy_of_the_valid_primary(root: Path) -> None:
    bak = root / (layout.PORTFOLIO + ".bak")
    bak.unlink()
    finding = _finding(root, "backup", layout.PORTFOLIO + ".bak")
    fix = catalog.best_fix(root, finding)
    assert fix is not None and fix.action == "refresh-backup"
    assert fix.command == "botstore refresh-backup data/portfolio.json"
    plan = fix.plan()
    assert plan.ok and [s.path for s in plan.steps] == [layout.PORTFOLIO + ".bak"]
    assert not bak.exists()  # the preview changed nothing
    result = apply(plan)
    assert result.ok, result.message
    assert bak.read_bytes() == (root / layout.PORTFOLIO).read_bytes()
    assert os.stat(bak).st_mode & 0o777 == os.stat(root / layout.PORTFOLIO).st_mode & 0o777
    assert not [f for f in _scan(root) if f.code == "backup"]


def test_no_fresh_bak_from_an_invalid_primary(root: Path) -> None:
    (root / (layout.PORTFOLIO + ".bak")).unlink()
    (root / layout.PORTFOLIO).write_bytes(b"{")
    finding = Finding("backup", Severity.WARNING, layout.PORTFOLIO + ".bak", "no bak")
    assert "refresh-backup" not in [f.action for f in catalog.fixes_for(root, finding)]


def test_permissions_fix_only_that_path(root: Path) -> None:
    (root / layout.PERFORMANCE_METRICS).chmod(0o666)
    finding = _finding(root, "permissions", layout.PERFORMANCE_METRICS)
    fix = catalog.best_fix(root, finding)
    assert fix is not None and fix.action == "fix-permissions"
    assert fix.plan().paths == [layout.PERFORMANCE_METRICS]


def test_temp_leftover_offers_clean_temp(root: Path) -> None:
    temp = root / "data" / ".portfolio.json.0123456789ab.tmp"
    temp.write_bytes(b"{}")
    os.utime(temp, (1, 1))
    finding = next(f for f in _scan(root) if f.code == "temp_leftover")
    fix = catalog.best_fix(root, finding)
    assert fix is not None and fix.action == "clean-temp"
    assert fix.plan().paths == ["data/.portfolio.json.0123456789ab.tmp"]


@pytest.mark.parametrize(
    ("code", "path", "first"),
    [
        ("version", layout.PORTFOLIO, "migrate"),
        ("retention", layout.SNAPSHOTS, "cleanup"),
        ("stale", layout.LATEST_DECISIONS, "show-log"),
        ("stale", layout.SNAPSHOTS, "snapshot"),
        ("gap", layout.SNAPSHOTS, "snapshot"),
    ],
)
def test_each_code_offers_its_fix_first(root: Path, code: str, path: str, first: str) -> None:
    fixes = catalog.fixes_for(root, Finding(code, Severity.WARNING, path, "x"))
    assert fixes and fixes[0].action == first


def test_stale_shows_the_writers_log_and_changes_nothing(root: Path) -> None:
    fix = catalog.fixes_for(
        root, Finding("stale", Severity.CRITICAL, layout.LATEST_DECISIONS, "old")
    )[0]
    assert fix.kind == "log" and fix.path == layout.SUPERVISOR_LOG and not fix.destructive
    with pytest.raises(ActionError):
        fix.plan()


def test_every_tree_wide_action_plans(root: Path) -> None:
    names = [fix.action for fix in catalog.tree_actions(root)]
    assert len(names) == len(set(names)) >= 7
    for fix in catalog.tree_actions(root):
        assert fix.plan().action == fix.action


def test_check_text_and_json_carry_the_hint(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / layout.PORTFOLIO).write_bytes(b"")
    assert main(["check", "--root", str(root)]) == 2
    assert "fix: botstore restore data/portfolio.json" in capsys.readouterr().out
    assert main(["check", "--root", str(root), "--json"]) == 2
    findings = json.loads(capsys.readouterr().out)["findings"]
    hinted = {(f["code"], f["path"]): f.get("hint") for f in findings}
    assert hinted[("invalid_json", layout.PORTFOLIO)] == "botstore restore data/portfolio.json"


def test_watch_jsonl_carries_the_hint(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (root / (layout.PORTFOLIO + ".bak")).unlink()
    printer = WatchPrinter(HealthScanner(root, load_config(root)), jsonl=True)
    printer.apply(printer.scanner.full_scan())
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    backup = [i["finding"] for i in lines if i["finding"]["code"] == "backup"]
    assert backup[0]["hint"] == "botstore refresh-backup data/portfolio.json"


def test_refresh_backup_cli_previews_then_applies(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bak = root / (layout.PORTFOLIO + ".bak")
    bak.unlink()
    assert main(["refresh-backup", "--root", str(root), layout.PORTFOLIO]) == 0
    assert not bak.exists()
    assert main(["refresh-backup", "--root", str(root), layout.PORTFOLIO, "--yes"]) == 0
    assert bak.read_bytes() == (root / layout.PORTFOLIO).read_bytes()
    assert "refresh-backup: OK" in capsys.readouterr().out


def test_unusable_bak_is_replaced_and_the_old_one_quarantined(root: Path) -> None:
    bak = root / (layout.PORTFOLIO + ".bak")
    bak.write_bytes(b'{"broken": ')
    finding = _finding(root, "backup", layout.PORTFOLIO + ".bak")
    fix = catalog.best_fix(root, finding)
    assert fix is not None and fix.action == "refresh-backup"
    result = apply(fix.plan())
    assert result.ok, result.message
    assert bak.read_bytes() == (root / layout.PORTFOLIO).read_bytes()
    quarantined = root / result.quarantined[layout.PORTFOLIO + ".bak"]
    assert quarantined.read_bytes() == b'{"broken": '


def test_portfolio_and_bak_both_broken_offer_the_exchange_rebuild_first(root: Path) -> None:
    """Procedure 1's last resort: with no valid ``.bak`` the fix is the exchange rebuild
    (planned off the UI thread: ``remote``), and ``check`` hints it."""
    (root / layout.PORTFOLIO).write_bytes(b'{"trading_mode": "paper", "por')
    (root / (layout.PORTFOLIO + ".bak")).write_bytes(b"{")
    finding = _finding(root, "invalid_json", layout.PORTFOLIO)
    fixes = catalog.fixes_for(root, finding)
    assert [f.action for f in fixes][:1] == ["rebuild-portfolio"]
    assert "restore" not in [f.action for f in fixes]
    assert fixes[0].remote and fixes[0].command == "botstore rebuild-portfolio --from-exchange"
    assert catalog.hints(root, [finding])[finding.key] == fixes[0].command


def test_a_history_gap_offers_a_refetch_of_that_series(root: Path) -> None:
    rel = "data/historical/BTC-EUR_hour_180d.parquet"
    gap = Finding("gap", Severity.WARNING, rel, "1 gap(s), 48 candle(s) missing")
    fix = catalog.best_fix(root, gap)
    assert fix is not None and fix.action == "refetch-history" and fix.remote
    assert fix.command == "botstore refetch-history BTC-EUR_hour_180d"
    other = Finding("gap", Severity.WARNING, "data/cache/not-history.json", "gap")
    assert all(f.action != "refetch-history" for f in catalog.fixes_for(root, other))


@pytest.mark.parametrize("link", [layout.QUARANTINE_DIR, "data"])
def test_hints_on_a_tree_with_a_symlinked_directory_are_no_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    """The portfolio is gone and a directory the exchange fix looks in for earlier
    versions is a symlink: ``check`` still reports (was: exit 3, ``OutsideRoot``)."""
    root = tmp_path / "bot"
    build_demo_tree(root, seed=0)
    (root / layout.PORTFOLIO).unlink()
    target = tmp_path / "elsewhere"
    (root / link).mkdir(exist_ok=True)  # the demo tree has no quarantine yet
    (root / link).rename(target)
    (root / link).symlink_to(target, target_is_directory=True)
    code = main(["check", "--root", str(root), "--json"])
    out = capsys.readouterr().out
    assert code == 2, out
    findings = json.loads(out)["findings"]
    assert any(f["path"] == layout.PORTFOLIO and f["code"] == "missing" for f in findings)
