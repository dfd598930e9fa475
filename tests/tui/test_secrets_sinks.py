"""The secrets corpus (``tests/secrets_corpus.txt``) against every sink that shows tree text.

Each secret line carries the marker ``S3KR1T``; no output may show it. The innocent
look-alikes (``tokens_used=12``, ``max_tokens: 4096``, ``author=alice``...) must stay
visible. Sinks: ``sanitize_text``/``sanitize_for_logging``, ``check`` text and JSON,
``watch`` text and JSONL, the metrics exposition, the audit log, a restore plan with
its field diff, and the TUI's logs panel, daily-report pane and detail views.
"""

from __future__ import annotations

import io
import time
from contextlib import redirect_stdout
from pathlib import Path

import orjson
import pytest
from textual.widgets import Static

from core.actions import audit
from core.actions import restore as restore_action
from core.cli.main import main
from core.cli.watch_cmd import WatchPrinter
from core.health import HealthScanner
from core.health.metrics import ScanOutcome
from core.health.metrics import render as render_metrics
from core.standard import layout
from core.storage.write import write_json
from core.text.sanitize import REDACTED, sanitize_for_logging, sanitize_text
from tui.screens.detail import DetailScreen
from tui.testing import make_app, run_async, wait_until
from tui.widgets.logs_panel import LogsPanel

CORPUS = Path(__file__).resolve().parents[1] / "secrets_corpus.txt"
MARKER = "S3KR1T"


def load_corpus() -> tuple[list[str], list[str]]:
    """(secret entries, innocent entries); a PEM block is one multi-line entry."""
    sections: dict[str, list[str]] = {"secrets": [], "innocent": []}
    section = "secrets"
    pem: list[str] = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        if not line or line.startswith("#"):
            continue
        if pem or line.startswith("-----BEGIN"):
            pem.append(line)
            if line.startswith("-----END"):
                sections[section].append("\n".join(pem))
                pem = []
            continue
        sections[section].append(line)
    return sections["secrets"], sections["innocent"]


SECRETS, INNOCENT = load_corpus()
CORPUS_TEXT = "\n".join(SECRETS + INNOCENT) + "\n"


def test_corpus_covers_the_issue_spellings() -> None:
    text = CORPUS_TEXT.lower()
    for spelling in (
        "apikey",
        "secret",
        "password",
        "uid",
        "privatekey",
        "walletaddress",
        "token",
        "api_key",
        "api_secret",
        "begin ec private key",
        "authorization",
        "x-mbx-apikey",
        "signature",
        "?symbol",
        "credentials",
        "passphrase",
    ):
        assert spelling in text, spelling
    assert {"tokens_used=12", "max_tokens: 4096", "author=alice"} <= set(INNOCENT)


@pytest.mark.parametrize("line", SECRETS)
def test_each_spelling_is_redacted(line: str) -> None:
    out = sanitize_text(line)
    assert MARKER not in out
    assert REDACTED in out
    assert sanitize_text(out) == out  # idempotent


@pytest.mark.parametrize("line", INNOCENT)
def test_look_alikes_stay_visible(line: str) -> None:
    assert sanitize_text(line) == line


def test_whole_corpus_at_once_and_in_parsed_data() -> None:
    out = sanitize_text(CORPUS_TEXT)
    assert MARKER not in out
    for line in INNOCENT:
        assert line in out.splitlines()
    data = {
        "exchange": {
            "apiKey": f"{MARKER}1",
            "secret": f"{MARKER}2",
            "uid": f"{MARKER}3",
            "password": f"{MARKER}4",
            "privateKey": f"{MARKER}5",
            "walletAddress": f"{MARKER}6",
            "token": f"{MARKER}7",
        },
        "note": SECRETS[-1],
        "tokens_used": 12,
        "max_tokens": 4096,
        "author": "alice",
    }
    clean = sanitize_for_logging(data)
    assert MARKER not in orjson.dumps(clean).decode()
    assert (clean["tokens_used"], clean["max_tokens"], clean["author"]) == (12, 4096, "alice")


CREDENTIALS = {
    "apiKey": f"{MARKER}-detail-apikey",
    "secret": f"{MARKER}-detail-secret",
    "passphrase": f"{MARKER}-detail-pass",
    "password": f"{MARKER}-detail-pw",
    "uid": f"{MARKER}-detail-uid",
    "privateKey": SECRETS[-1],
    "exchange": "coinbase",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    from core.demo import build_demo_tree

    root = tmp_path / "bot"
    build_demo_tree(root, seed=0)
    # a schema message quotes this value: the whole corpus reaches finding messages
    write_json(root / layout.LATEST_DECISIONS, {"version": "1.0", "decisions": CORPUS_TEXT})
    (root / layout.SUPERVISOR_LOG).write_text(CORPUS_TEXT, encoding="utf-8")
    (root / "logs" / "daily_report_99991231.txt").write_text(CORPUS_TEXT, encoding="utf-8")
    write_json(root / "data/cache/exchange_credentials.json", CREDENTIALS)
    # a .bak holding a nested apiKey: the restore diff must not show it
    bak = orjson.loads((root / layout.PORTFOLIO).read_bytes())
    bak["exchange"] = {"apiKey": f"{MARKER}-bak-apikey", "name": "coinbase"}
    (root / (layout.PORTFOLIO + ".bak")).write_bytes(orjson.dumps(bak))
    return root


def run_cli(*argv: str) -> str:
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        main(list(argv))
    return buffer.getvalue()


def test_check_text_and_json(tree: Path) -> None:
    text = run_cli("check", "--root", str(tree))
    assert "latest_decisions.json" in text and MARKER not in text
    # the schema message quotes (the start of) the value: look-alikes there stay visible
    innocent = "tokens_used=12 max_tokens: 4096 author=alice"
    write_json(tree / layout.LATEST_DECISIONS, {"version": "1.0", "decisions": innocent})
    assert innocent in run_cli("check", "--root", str(tree))
    write_json(tree / layout.LATEST_DECISIONS, {"version": "1.0", "decisions": CORPUS_TEXT})
    encoded = run_cli("check", "--root", str(tree), "--json")
    assert MARKER not in encoded
    assert orjson.loads(encoded)["status"] in {"warning", "critical"}


def test_watch_metrics_and_audit_log(tree: Path) -> None:
    scanner = HealthScanner(tree)
    report = scanner.full_scan()
    for jsonl in (False, True):
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            WatchPrinter(HealthScanner(tree), jsonl).apply(report)
        assert "latest_decisions.json" in buffer.getvalue()
        assert MARKER not in buffer.getvalue()
    assert MARKER.encode() not in render_metrics(ScanOutcome(time.time(), report))
    for line in SECRETS:
        audit.record(
            tree,
            action="test",
            action_id=None,
            result="ok",
            message=line,
            paths=[],
            before={},
            after={},
            extra={"detail": line},
        )
    log = audit.audit_path(tree).read_text(encoding="utf-8")
    assert MARKER not in log
    assert len(log.splitlines()) == len(SECRETS)


def test_restore_plan_and_diff(tree: Path) -> None:
    plan = restore_action.plan(tree, layout.PORTFOLIO)
    rendered = plan.render()
    assert "exchange" in rendered  # the diff shows the field ...
    assert MARKER not in rendered  # ... never its secret value
    assert MARKER not in orjson.dumps(plan.to_dict(), default=str).decode()


@run_async
async def _tui_views(tree: Path) -> None:
    app = make_app(tree)
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_until(lambda: app.report is not None)
        logs = app.dashboard.query_one(LogsPanel)
        await wait_until(lambda: len(logs.lines) >= len(INNOCENT))
        shown = "\n".join(logs.lines)
        report = str(logs.query_one("#daily-report", Static).render())
        for text in (shown, report):
            assert MARKER not in text
            for line in INNOCENT:
                assert line in text.splitlines()
        for rel in (
            "data/cache/exchange_credentials.json",
            layout.PORTFOLIO,
            layout.LATEST_DECISIONS,
            layout.SUPERVISOR_LOG,
        ):
            app.open_detail(rel)
            await wait_until(
                lambda: isinstance(app.screen, DetailScreen) and app.screen.detail is not None
            )
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, DetailScreen) and screen.detail is not None
            detail = screen.detail
            everything = orjson.dumps(
                [
                    detail.pretty,
                    detail.backup_pretty,
                    detail.diff,
                    detail.violations,
                    detail.error,
                    detail.backup_error,
                ]
            ).decode()
            assert MARKER not in everything, rel
            for section in (
                "#detail-meta",
                "#detail-validation",
                "#detail-diff",
                "#detail-content",
            ):
                assert MARKER not in str(screen.query_one(section, Static).render())
            screen.dismiss(None)
            await wait_until(lambda: app.screen is app.dashboard)


def test_tui_logs_report_and_detail_views(tree: Path) -> None:
    _tui_views(tree)
