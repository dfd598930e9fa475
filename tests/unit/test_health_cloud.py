"""Cloud backup health: key-file mode, failed and late syncs, read from real files."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.cloud.sync import STATUS_FILE
from core.demo import build_demo_tree
from core.health import scan
from core.standard.findings import Severity, Status
from core.storage.write import write_json


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cloud") / "bot"
    build_demo_tree(root)
    return root


def _status(root: Path, *, ok: bool, success_age_h: float | None, error: str | None = None) -> None:
    now = datetime.now(UTC)
    success = None if success_age_h is None else now - timedelta(hours=success_age_h)
    write_json(
        root / STATUS_FILE,
        {
            "last_attempt": now.isoformat(),
            "last_success": success.isoformat() if success else None,
            "ok": ok,
            "error": error,
            "bucket": "bot-backups",
        },
        backup=False,
    )


def test_unconfigured_tree_has_no_cloud_state(template: Path) -> None:
    report = scan(template)
    assert report.cloud is None
    assert report.status is Status.OK


def test_recent_successful_sync_is_healthy(template: Path, tmp_path: Path) -> None:
    (template / "botstore.toml").write_text('[cloud]\nbucket = "bot-backups"\nevery = "15m"\n')
    try:
        _status(template, ok=True, success_age_h=0.1)
        report = scan(template)
        assert report.cloud is not None
        assert report.cloud.ok is True
        assert report.cloud.bucket == "bot-backups"
        assert report.cloud.lag_s is not None
        assert 300 < report.cloud.lag_s < 600
        assert report.status is Status.OK, report.findings
    finally:
        (template / "botstore.toml").unlink()
        (template / STATUS_FILE).unlink()


def test_failed_and_late_sync_are_warnings_with_sanitized_error(template: Path) -> None:
    (template / "botstore.toml").write_text('[cloud]\nbucket = "bot-backups"\nevery = "15m"\n')
    try:
        _status(template, ok=False, success_age_h=3, error="403 for token=abc123secret")
        report = scan(template)
        by_code = {f.code: f for f in report.findings if f.path == STATUS_FILE}
        assert by_code["backup"].severity is Severity.WARNING
        assert "abc123secret" not in by_code["backup"].message
        assert by_code["stale"].severity is Severity.WARNING  # 3 h > 4 x 15 min
        assert report.cloud is not None
        assert report.cloud.error is not None
        assert "abc123secret" not in report.cloud.error
        assert report.status is Status.WARNING
    finally:
        (template / "botstore.toml").unlink()
        (template / STATUS_FILE).unlink()


def test_world_readable_key_file_is_critical(template: Path, tmp_path: Path) -> None:
    key = tmp_path / "sa.json"
    key.write_text('{"private_key": "-----BEGIN"}')
    os.chmod(key, 0o644)
    (template / "botstore.toml").write_text(f'[cloud]\nbucket = "b-1"\ncredentials = "{key}"\n')
    try:
        report = scan(template)
        finding = next(f for f in report.findings if f.path == str(key))
        assert finding.code == "permissions"
        assert finding.severity is Severity.CRITICAL
        assert "BEGIN" not in finding.message
        os.chmod(key, 0o600)
        assert not [f for f in scan(template).findings if f.path == str(key)]
    finally:
        (template / "botstore.toml").unlink()


def test_settings_are_reread_when_botstore_toml_changes(template: Path) -> None:
    """[cloud] is memoized by (mtime, size, inode): an edit is seen, even an old-dated one."""
    toml = template / "botstore.toml"
    try:
        for when, bucket in ((1_000_000_000, "first-bucket"), (1_000_000_100, "second-bucket-x")):
            toml.write_text(f'[cloud]\nbucket = "{bucket}"\n')
            os.utime(toml, (when, when))  # well outside the racy window: the memo is used
            for _ in range(2):
                report = scan(template)
                assert report.cloud is not None
                assert report.cloud.bucket == bucket
    finally:
        toml.unlink()
