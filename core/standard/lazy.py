"""Package names loaded on first use (PEP 562): the one ``__getattr__`` of light ``__init__``s.

A package that re-exports names from heavier modules (``core``, ``core.health``,
``core.demo``) binds ``__getattr__ = lazy_exports(__name__, {name: module})``, so
importing the package imports none of those modules until a name is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, homes: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``package``: each name in ``homes`` is read from the
    module ``homes[name]`` (imported then); any other name is an ``AttributeError``."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return __getattr__


__all__ = ["lazy_exports"]
