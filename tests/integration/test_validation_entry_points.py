"""Every "is this JSON usable?" entry point gives the same verdict on the same bytes.

Scan (``checks_json``), recovery (``load_with_recovery``), ``restore-cloud``
(``validate_file``), ``verify-backups``/actions (``check_payload``) and the TUI
detail view (``load_detail``) all go through ``core.documents.validation``; this test
feeds each the same payloads and compares usable / not usable.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from samples import sample_snapshot

from core.cloud import validate_file
from core.documents.checks import check_payload
from core.documents.recovery import load_with_recovery
from core.documents.validation import judge_bytes
from core.errors import StorageError
from core.health.checks_json import KEEP_DATA, check_json
from core.standard import layout
from core.standard.findings import Severity
from tui.detail_model import load_detail

PORTFOLIO = {
    "trades_executed": 0.0,  # the bot fills a missing key with 0.0
    "portfolio_value_usd": 0.0,
    "initial_value_usd": 0.0,
    "last_updated": "2026-01-10T14:03:11.482113",
    "USD": {"amount": 0.0, "initial_amount": 0.0},
    "BTC": {"amount": 0.0, "initial_amount": 0.0, "last_price_usd": 0.0},
}
SNAP = sample_snapshot()
CONFIG_NULLS: dict[str, Any] = {
    "tracking_start_date": None,
    "initial_portfolio_value": None,
    "initial_portfolio_composition": {},
    "performance_reset_history": [],
    "snapshot_frequency": "daily",
    "last_snapshot_date": None,
    "tracking_enabled": True,
    "created_date": "2026-01-10T08:00:00+00:00",
    "version": "1.0",
}
CONFIG_0_9 = {
    "start_date": "2025-01-01T00:00:00",
    "frequency": "daily",
    "initial_portfolio_value": 100.0,
    "initial_portfolio_composition": {},
    "last_snapshot_date": None,
    "created_date": "2025-01-01T00:00:00",
    "version": "0.9",
}


def dumps(data: object) -> bytes:
    return json.dumps(data, indent=2).encode()


#: (name, relpath, payload, usable?)
CASES = [
    ("bot-portfolio", layout.PORTFOLIO, dumps(PORTFOLIO), True),
    (
        "portfolio-bad-amount",
        layout.PORTFOLIO,
        dumps(dict(PORTFOLIO, BTC={"amount": "lots", "initial_amount": 0.0})),
        False,
    ),
    ("portfolio-torn", layout.PORTFOLIO, dumps(PORTFOLIO)[:40], False),
    ("portfolio-empty", layout.PORTFOLIO, b"", False),
    ("portfolio-newer", layout.PORTFOLIO, dumps(dict(PORTFOLIO, version="9.0")), False),
    ("snapshots-list", layout.SNAPSHOTS, dumps([SNAP, SNAP]), True),
    ("snapshots-wrapped", layout.SNAPSHOTS, dumps({"version": "1.0", "snapshots": [SNAP]}), True),
    ("snapshots-text-value", layout.SNAPSHOTS, dumps([dict(SNAP, total_value_eur="3k")]), False),
    ("config-nulls", layout.PERFORMANCE_CONFIG, dumps(CONFIG_NULLS), True),
    ("config-0.9", layout.PERFORMANCE_CONFIG, dumps(CONFIG_0_9), True),
    ("decisions-list", layout.LATEST_DECISIONS, dumps([{"asset": "BTC", "timestamp": ""}]), True),
    ("decisions-not-json", layout.LATEST_DECISIONS, b"[{]", False),
]


def by_scan(root: Path, rel: str) -> bool:
    path = root / rel
    st = path.stat()
    result = check_json(
        str(path),
        rel,
        rel,
        (st.st_mtime_ns, st.st_size, st.st_ino),
        severity=layout_severity(rel),
        max_bytes=1 << 26,
    )
    assert rel in KEEP_DATA or result.data is None
    return result.ok


def layout_severity(rel: str) -> Severity:
    return Severity.CRITICAL if rel in layout.CRITICAL_FILES else Severity.WARNING


def by_recovery(root: Path, rel: str, kind: str) -> bool:
    try:
        load_with_recovery(root / rel, backup=root / "no-backup", validate=kind)
    except StorageError:
        return False
    return True


def by_restore_cloud(root: Path, rel: str) -> bool:
    return validate_file(rel, root / rel) == []


def by_actions(root: Path, rel: str) -> bool:
    return check_payload(rel, (root / rel).read_bytes())[1] == []


def by_detail_view(root: Path, rel: str) -> bool:
    detail = load_detail(root, rel, time.time)
    return detail.error is None and not detail.violations


@pytest.mark.parametrize(("name", "rel", "payload", "usable"), CASES, ids=[c[0] for c in CASES])
def test_same_verdict_everywhere(
    tmp_path: Path, name: str, rel: str, payload: bytes, usable: bool
) -> None:
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    verdict = judge_bytes(rel, payload)
    assert verdict.kind is not None
    got = {
        "validation": verdict.ok,
        "scan": by_scan(tmp_path, rel),
        "recovery": by_recovery(tmp_path, rel, verdict.kind),
        "restore-cloud": by_restore_cloud(tmp_path, rel),
        "actions/verify-backups": by_actions(tmp_path, rel),
        "detail view": by_detail_view(tmp_path, rel),
    }
    assert got == dict.fromkeys(got, usable), got
