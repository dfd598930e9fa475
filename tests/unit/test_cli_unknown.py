"""``watch`` refuses a missing root or a bad botstore.toml: Nagios UNKNOWN (3). (``metrics``
exits 3 too but still writes an UNKNOWN textfile: tests/unit/test_metrics_textfile.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cli.main import main


@pytest.mark.parametrize("command", [["watch", "--jsonl"]])
def test_missing_root_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code = main([*command, "--root", str(tmp_path / "nope")])
    assert code == 3
    assert "does not exist or is not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["watch", "--jsonl"]])
def test_invalid_config_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    (tmp_path / "botstore.toml").write_text("[thresholds]\nstale_seconds = 5\n")
    argv = [part.format(tmp=tmp_path) for part in command]
    code = main([*argv, "--root", str(tmp_path)])
    assert code == 3
    assert "invalid configuration" in capsys.readouterr().err
    assert not (tmp_path / "out.prom").exists()
