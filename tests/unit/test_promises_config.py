"""Config values that make no sense are refused with a clear message (or normalized)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError, Threshold, load_config


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[thresholds]\ndisk_free_percent = { warning = 2, critical = 5 }\n", "inverted"),
        ("[thresholds]\nsize_max_mb = { warning = 900, critical = 100 }\n", "inverted"),
        ("[thresholds]\nsize_max_mb = { warning = 900 }\n", "critical level is inherited"),
        ('[overrides."logs/*"]\ndisk_free_mb = { critical = 2000 }\n', "inverted"),
        (
            "[thresholds]\nstale_secnds = { warning = 1, critical = 2 }\n",
            "did you mean 'stale_seconds'",
        ),
        ("[thresholds]\nsize_max_mb = { warn = 1 }\n", "did you mean 'warning'"),
        ("[snapshot]\nretention_days = 1\n", "did you mean 'snapshots'"),
        ("[retention]\nquarantaine = 1\n", "did you mean 'quarantine'"),
        ("[permissions]\ncheck_mode = true\n", "did you mean 'check_modes'"),
        ("[snapshots]\nretention_day = 1\n", "did you mean 'retention_days'"),
    ],
)
def test_nonsense_values_are_refused(tmp_path: Path, text: str, needle: str) -> None:
    (tmp_path / "botstore.toml").write_text(text)
    with pytest.raises(ConfigError, match=needle):
        load_config(tmp_path)


def test_threshold_without_critical_keeps_the_default_critical(tmp_path: Path) -> None:
    """Leaving ``critical`` out no longer turns the critical level off silently."""
    (tmp_path / "botstore.toml").write_text(
        "[thresholds]\nsize_max_mb = { warning = 50 }\ndisk_free_percent = { warning = 10 }\n"
    )
    config = load_config(tmp_path)
    assert config.thresholds["size_max_mb"] == Threshold(50, 500)
    assert config.thresholds["disk_free_percent"] == Threshold(10, 2)


@pytest.mark.parametrize("given", ["gs://bot-backups", "gs://bot-backups/", "bot-backups"])
def test_bucket_gs_prefix_is_normalized(tmp_path: Path, given: str) -> None:
    from core.cloud.settings import load_settings, normalize_bucket

    assert normalize_bucket(given) == "bot-backups"
    (tmp_path / "botstore.toml").write_text(f'[cloud]\nbucket = "{given}"\n')
    assert load_settings(tmp_path).bucket == "bot-backups"


def test_bucket_with_a_path_is_refused_with_the_prefix_to_use() -> None:
    from core.cloud.client import CloudError
    from core.cloud.settings import normalize_bucket

    with pytest.raises(CloudError, match="prefix 'bots/eu'"):
        normalize_bucket("gs://bot-backups/bots/eu")
