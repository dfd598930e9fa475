"""``core.config.load_config``: defaults, the documented example, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import config as config_module
from core.config import Config, ConfigError, Threshold, load_config


def test_defaults_without_file(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config()
    assert config.source is None
    assert config.threshold("stale_seconds", "data/cache/latest_decisions.json") == Threshold(
        6 * 3600, 48 * 3600
    )
    assert not config.threshold("stale_seconds", "data/portfolio.json").enabled


def test_documented_example_parses(tmp_path: Path) -> None:
    doc = config_module.__doc__ or ""
    example = doc.split("Example (every key shown with its default)::", 1)[1]
    example = example.split("Built-in overrides", 1)[0]
    lines = [line[4:] if line.startswith("    ") else line for line in example.splitlines()]
    (tmp_path / "botstore.toml").write_text("\n".join(lines))
    config = load_config(tmp_path)
    assert config.threshold("stale_seconds", "logs/supervisor.log") == Threshold(3600, 21600)
    assert config.thresholds == Config().thresholds
    assert config.retention_days == 365


def test_override_by_glob_last_wins(tmp_path: Path) -> None:
    (tmp_path / "botstore.toml").write_text(
        '[overrides."data/*.json"]\nsize_max_mb = { warning = 1, critical = 2 }\n'
        '[overrides."data/cache/*"]\nsize_max_mb = { warning = 3 }\n'
    )
    config = load_config(tmp_path)
    assert config.threshold("size_max_mb", "data/portfolio.json") == Threshold(1, 2)
    assert config.threshold("size_max_mb", "data/cache/x.json") == Threshold(3, 500)
    assert config.threshold("size_max_mb", "logs/x.log") == Threshold(100, 500)


def test_explicit_path(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.toml"
    other.write_text("[permissions]\ncheck_owner = false\n")
    assert load_config(tmp_path / "root", other).check_owner is False
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path, tmp_path / "missing.toml")


def test_ignore_globs(tmp_path: Path) -> None:
    (tmp_path / "botstore.toml").write_text('ignore = ["tmp/**", "*.swp"]\n')
    config = load_config(tmp_path)
    assert config.is_ignored("tmp", is_dir=True)
    assert config.is_ignored("data/x.swp")
    assert not config.is_ignored("data/x.json")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[thresholds\n", "invalid TOML"),
        ("[nope]\n", "unknown section"),
        ("[thresholds]\nstale_seconds = 5\n", "must be a table"),
        ("[thresholds]\nbogus = { warning = 1 }\n", "unknown threshold"),
        ("[thresholds]\nsize_max_mb = { warning = 'x' }\n", "must be a number"),
        ("[thresholds]\nsize_max_mb = { warning = -1 }\n", ">= 0"),
        ("[thresholds]\nsize_max_mb = { warn = 1 }\n", "unknown key"),
        ("[permissions]\ncheck_modes = 1\n", "true or false"),
        ("[snapshots]\nretention_days = 'x'\n", "non-negative number"),
        ("ignore = 'x'\n", "list of glob"),
    ],
)
def test_invalid_config(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "botstore.toml").write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_config(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "botstore.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(tmp_path)


def test_cloud_table_shared_with_cloud_settings(tmp_path: Path) -> None:
    """One botstore.toml serves both the health engine and ``botstore sync``."""
    from core.cloud.settings import load_settings

    (tmp_path / "botstore.toml").write_text(
        '[snapshots]\nretention_days = 90\n[cloud]\nbucket = "bot-backups"\nevery = "15m"\n'
    )
    assert load_config(tmp_path).retention_days == 90
    assert load_settings(tmp_path).bucket == "bot-backups"
