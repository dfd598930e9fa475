"""Every promise in the README's "What botstore promises" names tests that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_named_test_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What botstore promises", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)`", section)
    assert len(named) >= 15
    promises = [line for line in section.splitlines() if line.startswith("- **")]
    assert len(promises) >= 6
    for block in section.split("\n- **")[1:]:
        assert "::test_" in block, f"a promise without a test: {block[:60]}"
    for module, name in named:
        source = next((ROOT / "tests").rglob(module)).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{module}::{name}"
