"""The one config loader and the published JSON Schema of ``botstore.toml``.

``docs/schemas/botstore.toml.schema.json`` must equal what the models generate
(regenerate with ``python -m core.config.schema docs/schemas``) and what ``botstore
schema --config`` prints; every ``botstore.toml`` example in the README and in the
config modules' docstrings must be valid against it, and load.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from core.cli.main import main
from core.config import DEFAULT_THRESHOLDS, ConfigError, load, load_config
from core.config.schema import FILE_NAME, schema_text

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "docs" / "schemas" / FILE_NAME


def _published() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return schema


def _problems(document: dict[str, Any]) -> list[str]:
    validator = Draft202012Validator(_published())
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document))


def _readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def _docstring_examples() -> list[str]:
    """The ``::`` examples of the modules that document a table."""
    import core.cloud.settings
    import core.config
    import core.exchange.settings

    config_doc = core.config.__doc__ or ""
    example = config_doc.split("Example (every key shown with its default)::", 1)[1]
    examples = [example.split("Built-in overrides", 1)[0]]
    for module in (core.cloud.settings, core.exchange.settings):
        examples.append((module.__doc__ or "").split("::", 1)[1].split("\n\n", 2)[1])
    return [
        "\n".join(line[4:] if line.startswith("    ") else line for line in ex.splitlines())
        for ex in examples
    ]


# --------------------------------------------------------------------------- drift


def test_the_committed_schema_is_what_the_models_generate() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE} drifted from core/config/models.py: "
        "run python -m core.config.schema docs/schemas"
    )


def test_botstore_schema_config_prints_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--config"]) == 0
    assert capsys.readouterr().out == SCHEMA_FILE.read_text(encoding="utf-8")


def test_the_schema_names_every_threshold_and_table() -> None:
    schema = _published()
    assert set(schema["$defs"]["Thresholds"]["properties"]) == set(DEFAULT_THRESHOLDS)
    assert set(schema["properties"]) == {
        "ignore",
        "thresholds",
        "snapshots",
        "retention",
        "permissions",
        "overrides",
        "cloud",
        "exchange",
    }
    assert schema["additionalProperties"] is False
    assert "null" not in SCHEMA_FILE.read_text(encoding="utf-8")  # TOML has no null


# --------------------------------------------------------------------------- examples


def test_the_readme_has_its_three_config_examples() -> None:
    tables = [set(tomllib.loads(example)) for example in _readme_examples()]
    assert len(tables) >= 3
    assert {"thresholds", "cloud"} <= tables[0]
    assert any(t == {"exchange"} for t in tables) and any(t == {"cloud"} for t in tables)


@pytest.mark.parametrize("index", range(3))
def test_readme_examples_are_valid_against_the_schema_and_load(index: int, tmp_path: Path) -> None:
    example = _readme_examples()[index]
    assert _problems(tomllib.loads(example)) == []
    (tmp_path / "botstore.toml").write_text(example)
    loaded = load(tmp_path)
    loaded.config()
    loaded.cloud()
    loaded.exchange()


@pytest.mark.parametrize("index", range(3), ids=["config", "cloud", "exchange"])
def test_docstring_examples_are_valid_against_the_schema(index: int, tmp_path: Path) -> None:
    example = _docstring_examples()[index]
    assert tomllib.loads(example), example
    assert _problems(tomllib.loads(example)) == []
    (tmp_path / "botstore.toml").write_text(example)
    load(tmp_path).config()


@pytest.mark.parametrize(
    "text",
    [
        "[snapshot]\nretention_days = 1\n",
        "[thresholds]\nsize_max_mb = { warn = 1 }\n",
        "[thresholds]\nsize_max_mb = { warning = true }\n",
        "[permissions]\ncheck_modes = 1\n",
        '[cloud]\nbukket = "x"\n',
        "[cloud]\nretention_days = 0\n",
        '[exchange]\nbase = "EUR"\n',
        '[exchange]\nid = "coinbase"\nretries = 11\n',
        'ignore = "x"\n',
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(text: str, tmp_path: Path) -> None:
    raw = tomllib.loads(text)
    assert _problems(raw) != []
    (tmp_path / "botstore.toml").write_text(text)
    loaded = load(tmp_path)
    with pytest.raises(ConfigError):
        loaded.config()
        loaded.cloud()
        loaded.exchange()


# --------------------------------------------------------------------------- the loader


def test_one_load_serves_every_table_and_a_bad_one_stops_only_its_readers(
    tmp_path: Path,
) -> None:
    (tmp_path / "botstore.toml").write_text(
        '[snapshots]\nretention_days = 90\n[cloud]\nbukket = "typo"\n'
        '[exchange]\nid = "coinbase"\nbase = "USD"\n'
    )
    loaded = load(tmp_path)
    assert loaded.source == str(tmp_path / "botstore.toml")
    assert loaded.config().retention_days == 90
    assert load_config(tmp_path).retention_days == 90  # [cloud]'s typo is not the scan's
    exchange = loaded.exchange()
    assert exchange is not None and exchange.base == "USD"
    with pytest.raises(
        ConfigError, match=r"unknown \[cloud\] key\(s\) \['bukket'\] \(did you mean"
    ):
        loaded.cloud()


def test_unknown_exchange_keys_say_what_was_meant(tmp_path: Path) -> None:
    from core.exchange.settings import ExchangeConfigError, load_settings

    (tmp_path / "botstore.toml").write_text('[exchange]\nid = "coinbase"\nretrys = 3\n')
    with pytest.raises(ExchangeConfigError, match=r"\['retrys'\] \(did you mean 'retries'\?\)"):
        load_settings(tmp_path)


def test_the_exchange_table_is_read_through_the_guarded_reader(tmp_path: Path) -> None:
    """It had its own plain reader: a FIFO in place of botstore.toml would have blocked."""
    import os

    from core.exchange.settings import ExchangeConfigError, load_settings

    os.mkfifo(tmp_path / "botstore.toml")
    with pytest.raises(ExchangeConfigError, match="FIFO"):
        load_settings(tmp_path)


def test_defaults_without_a_file(tmp_path: Path) -> None:
    loaded = load(tmp_path)
    assert loaded.source is None
    assert loaded.cloud() is None and loaded.exchange() is None


def test_importing_core_config_does_not_import_pydantic(tmp_path: Path) -> None:
    (tmp_path / "botstore.toml").write_text("[snapshots]\nretention_days = 30\n")
    code = (
        "import sys\nimport core.config\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported'\n"
        f"assert core.config.load_config({str(tmp_path)!r}).retention_days == 30\n"
        "assert 'pydantic' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)
