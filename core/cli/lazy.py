"""A module object that imports itself on first attribute access (cheap CLI start-up).

Subcommand modules bind their heavy dependencies with :func:`lazy_module` at
runtime and with a real import under ``TYPE_CHECKING``, so mypy still sees the
types while ``botstore --help`` never loads pyarrow, numpy or pydantic.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands in for module ``name`` until an attribute is read, then delegates to it."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> Any:
    """A :class:`LazyModule` for ``name`` (typed ``Any``; import the real one for mypy)."""
    return LazyModule(name)
