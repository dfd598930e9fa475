"""Start-up stays cheap: ``--version`` and parser building load no heavy library.

Checks ``sys.modules`` in a fresh interpreter (never time: speed is measured by
``bench/startup.py``, smoke-run here).
"""

from __future__ import annotations

import json

import pytest
from cli_run import run_bench_quick, run_python

HEAVY = (
    "pyarrow",
    "numpy",
    "pydantic",
    "textual",
    "google",
    "prometheus_client",
    "watchdog",
    "core.health",
    "core.documents.schemas",
    "core.actions",
    "core.cloud",
    "core.demo",
)


def _loaded_after(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted({m for m in sys.modules for h in heavy "
        "if m == h or m.startswith(h + '.')})))\n"
    )
    out = run_python(probe).stdout
    loaded: list[str] = json.loads(out.splitlines()[-1])
    return loaded


def test_version_imports_no_heavy_library() -> None:
    code = "from core.cli.main import main\nassert main(['--version']) == 0"
    assert _loaded_after(code) == []


def test_version_builds_no_parser() -> None:
    """``--version`` answers before argparse (or any subcommand module) is imported."""
    code = (
        "import sys\nbefore = set(sys.modules)\n"
        "from core.cli.main import main\nassert main(['--version']) == 0\n"
        "print(sorted(set(sys.modules) - before))"
    )
    out = run_python(code).stdout
    new = out.splitlines()[-1]
    assert "'argparse'" not in new and "core.cli.parser" not in new and "_cmd'" not in new
    assert out.startswith("botstore ")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["restore", "--help"]])
def test_help_builds_every_parser_without_heavy_imports(argv: list[str]) -> None:
    code = (
        "from core.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0\n"
    )
    assert _loaded_after(code) == []


def test_the_check_path_loads_only_what_a_scan_needs() -> None:
    """A sanity check of the probe itself: running a check does load the health engine."""
    code = (
        "from core.cli.main import main\n"
        "import tempfile\n"
        "main(['check', '-q', '--root', tempfile.mkdtemp()])\n"
    )
    loaded = _loaded_after(code)
    assert "core.health" in loaded
    assert "textual" not in loaded


def test_action_defaults_mirror_the_action_modules() -> None:
    """The parser keeps three defaults itself (no action import at start-up); they must agree."""
    from core.actions import cleanup, reset, temp
    from core.cli import actions_cmd

    assert actions_cmd.DEFAULT_RESET_REASON == reset.DEFAULT_REASON
    assert actions_cmd.DEFAULT_TEMP_MIN_AGE == temp.DEFAULT_MIN_AGE
    assert actions_cmd.QUARANTINE_FLOOR_HOURS == cleanup.QUARANTINE_FLOOR_HOURS


def test_cloud_status_file_name_mirrors_core_cloud() -> None:
    from core.cloud import sync
    from core.health import cloud_status

    assert cloud_status.STATUS_FILE == sync.STATUS_FILE


def test_a_tree_without_cloud_backup_does_not_load_core_cloud() -> None:
    code = (
        "from core.cli.main import main\n"
        "import tempfile\n"
        "main(['check', '-q', '--root', tempfile.mkdtemp()])\n"
    )
    assert "core.cloud" not in _loaded_after(code)


def test_bench_startup_quick() -> None:
    result = run_bench_quick("startup.py")
    assert "ratio version/python = " in result.stdout
    assert "check median = " in result.stdout
    assert "check imports (one process" in result.stdout and "pyarrow" in result.stdout
