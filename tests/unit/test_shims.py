"""The old module paths the README documented keep working for the bot's code.

``core.atomic`` and friends moved into concern packages (issue 18); each old path is a
shim that re-exports the same objects. botstore itself never imports a shim (the
``shims-are-for-the-bot`` import-linter contract).
"""

from __future__ import annotations

import importlib

import pytest

SHIMS = (
    "core.atomic",
    "core.cache",
    "core.history",
    "core.migrations",
    "core.performance",
    "core.recovery",
    "core.sanitize",
    "core.schemas",
)


@pytest.mark.parametrize("name", SHIMS)
def test_every_name_of_a_shim_is_the_moved_object(name: str) -> None:
    shim = importlib.import_module(name)
    assert shim.__all__, name
    for attr in shim.__all__:
        obj = getattr(shim, attr)
        home = getattr(obj, "__module__", None)
        if home is not None and isinstance(home, str) and home.startswith("core."):
            assert home != name, f"{name}.{attr} is defined in the shim, not re-exported"
            assert getattr(importlib.import_module(home), attr) is obj, f"{name}.{attr}"


def test_the_readme_imports_still_work() -> None:
    from core.atomic import read_json, write_json
    from core.recovery import load_with_recovery
    from core.sanitize import sanitize_for_logging
    from core.schemas import validate

    assert callable(write_json)
    assert callable(read_json)
    assert callable(load_with_recovery)
    assert callable(validate)
    assert sanitize_for_logging({"api_key": "k", "n": 1}) == {"api_key": "[REDACTED]", "n": 1}
