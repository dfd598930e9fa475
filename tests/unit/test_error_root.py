"""One error root: every exception class defined in ``core`` is a ``BotstoreError`` with its
own ``code``, and the built-in bases callers rely on are kept."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

import pytest

import core
from core.errors import BotstoreError

CODE = re.compile(r"^[a-z][a-z0-9_]*$")


def _core_modules() -> list[str]:
    names = ["core"]
    for info in pkgutil.walk_packages(core.__path__, "core."):
        if info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def _exception_classes() -> list[type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _core_modules():
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == name:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


CLASSES = _exception_classes()


def test_the_walk_finds_the_known_families() -> None:
    """The probe itself: it sees errors of every layer, not just ``core.errors``."""
    names = {cls.__name__ for cls in CLASSES}
    assert {
        "ConfigError",
        "CloudError",
        "MetricsUnavailable",
        "ExchangeUnavailable",
        "ExchangeConfigError",
        "LockTimeout",
        "CheckTimeout",
        "StateDirError",
        "UntrustedJournal",
        "RecoveryFailed",
        "TrackingMissing",
    } <= names
    assert len(CLASSES) >= 30


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_core_exception_is_a_botstore_error_with_its_own_code(
    cls: type[BaseException],
) -> None:
    assert issubclass(cls, BotstoreError), f"{cls.__qualname__} does not subclass BotstoreError"
    assert "code" in vars(cls), f"{cls.__qualname__} inherits its code; give it its own"
    code = vars(cls)["code"]
    assert isinstance(code, str) and CODE.match(code), code


def test_built_in_bases_are_kept_where_they_fit() -> None:
    from core.cli.check_cmd import CheckTimeout
    from core.config import ConfigError
    from core.errors import LockTimeout
    from core.exchange.client import ExchangeFailed, ExchangeTimeout, ExchangeUnavailable
    from core.exchange.settings import ExchangeConfigError
    from core.health.metrics import MetricsUnavailable
    from core.tracking.performance import TrackingMissing

    assert issubclass(ConfigError, ValueError)
    assert issubclass(ExchangeConfigError, ValueError)
    assert issubclass(LockTimeout, TimeoutError)
    assert issubclass(CheckTimeout, TimeoutError)
    assert issubclass(ExchangeTimeout, TimeoutError)
    assert issubclass(MetricsUnavailable, RuntimeError)
    assert issubclass(ExchangeUnavailable, RuntimeError)
    assert issubclass(ExchangeFailed, RuntimeError)
    assert issubclass(TrackingMissing, FileNotFoundError)


def test_a_lock_timeout_still_reads_as_a_storage_error() -> None:
    """Being an OSError too must not change its message or its fields."""
    from core.errors import LockTimeout

    exc = LockTimeout("/bot/data/portfolio.json", "lock held by another writer for over 5s")
    assert str(exc) == "/bot/data/portfolio.json: lock held by another writer for over 5s"
    assert exc.path == "/bot/data/portfolio.json" and exc.code == "lock"
    assert exc.errno is None
