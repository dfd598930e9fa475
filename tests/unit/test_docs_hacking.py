"""docs/HACKING.md's module map names every module of core/ and tui/, and only those."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _modules() -> set[str]:
    names = set()
    for package in ("core", "tui"):
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.add(".".join(parts))
    return names


def _mapped() -> set[str]:
    text = (REPO / "docs" / "HACKING.md").read_text(encoding="utf-8")
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([\w.]+)` — \S", section, re.M))


def test_every_module_is_in_the_map() -> None:
    missing = sorted(_modules() - _mapped())
    assert not missing, f"add to docs/HACKING.md's module map: {missing}"


def test_every_mapped_module_exists() -> None:
    gone = sorted(_mapped() - _modules())
    assert not gone, f"gone from the tree, still in docs/HACKING.md: {gone}"


def test_the_map_holds_the_layers_in_order() -> None:
    text = (REPO / "docs" / "HACKING.md").read_text(encoding="utf-8")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    layers = re.search(r'id = "core-layers".*?layers = \[(.*?)\]', pyproject, re.S)
    assert layers is not None
    order = re.findall(r'"(core\.\w+)"', layers.group(1))
    assert len(order) >= 10
    table = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(core\.\w+)` \|", table, re.M)
    assert rows == order, "the layer table in docs/HACKING.md differs from pyproject.toml"
