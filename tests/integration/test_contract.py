"""Contract: ``core`` (what the bot imports) never pulls in the UI library ``textual``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "core"
FORBIDDEN = "textual"

_IMPORT_ALL = r"""
import importlib, json, pkgutil, sys
import core
names = ["core"]
failed = {}
walked = [info.name for info in pkgutil.walk_packages(core.__path__, prefix="core.")]
# pkgutil does not descend into namespace sub-packages (a directory without
# __init__.py); the parent passes the modules found on disk so none is skipped.
extra = [n for n in json.loads(sys.argv[1]) if n not in walked and n != "core"]
for name in walked + extra:
    try:
        importlib.import_module(name)
        names.append(name)
    except Exception as exc:  # a module with an optional dependency missing
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps({
    "imported": names,
    "failed": failed,
    "textual": sorted(m for m in sys.modules if m == "textual" or m.startswith("textual.")),
}))
"""


def _core_modules_on_disk() -> list[str]:
    names = []
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_importing_every_core_module_does_not_import_textual() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, json.dumps(_core_modules_on_disk())],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["textual"] == [], (
        f"importing core pulled in {result['textual']}; imported: {result['imported']}"
    )
    # The walk really covered the package (only modules with a missing optional
    # dependency may fail to import, and they must say why — never because of textual).
    on_disk = set(_core_modules_on_disk())
    assert "core.storage.write" in result["imported"]
    missing = on_disk - set(result["imported"]) - set(result["failed"])
    assert not missing, f"pkgutil walk missed {sorted(missing)}"
    for name, why in result["failed"].items():
        assert "textual" not in why, (name, why)
        # Only an optional third-party dependency may be missing; anything else is a bug.
        assert why.startswith("ModuleNotFoundError") and "'core" not in why, (name, why)


def _imports_of(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, (ast.Name, ast.Attribute))
            and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


@pytest.mark.parametrize("path", sorted(CORE.rglob("*.py")), ids=lambda p: str(p.relative_to(REPO)))
def test_no_core_file_imports_textual(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    offenders = [
        (line, name)
        for line, name in _imports_of(tree)
        if name == FORBIDDEN or name.startswith(FORBIDDEN + ".")
    ]
    assert offenders == [], f"{path.relative_to(REPO)} imports {FORBIDDEN}: {offenders}"


def test_the_scan_would_catch_an_import() -> None:
    samples = [
        "import textual",
        "from textual.app import App",
        "import os, textual.widgets",
        "def f():\n    import textual\n",
        "import importlib\nimportlib.import_module('textual')",
    ]
    for src in samples:
        names = [name for _, name in _imports_of(ast.parse(src))]
        assert any(n.split(".")[0] == FORBIDDEN for n in names), src
    assert all(
        name.split(".")[0] != FORBIDDEN
        for _, name in _imports_of(ast.parse("import textualize_not\nfrom . import textual_x"))
    )
