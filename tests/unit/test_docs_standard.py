"""docs/STANDARD.md is a traceability table that cannot rot, and the docs stand alone.

Every ``tests/<file>.py::<test>`` (or ``TV[<case>]``) it cites must exist; the README
links to it and to nothing outside the repository; the developer guide names no
machine-specific path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STANDARD = (REPO / "docs" / "STANDARD.md").read_text(encoding="utf-8")
ROW = re.compile(r"^\| (S\d+) \| (.+?) \| (.+?) \| (.+?) \|$", re.M)
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[([^\]]+)\])?`")
TV_REF = re.compile(r"TV`\[([^\]]+)\]`")


def _defines(path: Path, name: str) -> bool:
    text = path.read_text(encoding="utf-8")
    return re.search(rf"^(?:async )?def {name}\(", text, re.M) is not None


def test_rows_are_numbered_once_and_complete() -> None:
    rows = ROW.findall(STANDARD)
    numbers = [int(r[0][1:]) for r in rows]
    assert numbers == list(range(1, len(rows) + 1)), "rows S1..Sn, each once, in order"
    assert len(rows) >= 60
    for number, rule, where, proof in rows:
        assert rule.strip() and where.strip(), number
        assert TEST_REF.search(proof) or TV_REF.search(proof) or "N1" in proof, (
            f"{number}: no test proves it and no note says why"
        )


def test_every_cited_test_exists() -> None:
    refs = TEST_REF.findall(STANDARD)
    assert len(refs) > 60
    missing = [
        f"{file}::{name}"
        for file, name, _ in refs
        if not (REPO / file).is_file() or not _defines(REPO / file, name)
    ]
    assert not missing, missing


def test_every_cited_variant_exists() -> None:
    variants = (REPO / "tests" / "unit" / "test_health_variants.py").read_text(encoding="utf-8")
    cases = set(TV_REF.findall(STANDARD))
    assert cases
    assert not [c for c in cases if f'    "{c}": (' not in variants]


def test_notes_cited_are_written() -> None:
    for note in set(re.findall(r"\bN\d\b", STANDARD)):
        assert f"- **{note} — " in STANDARD, note


def test_readme_links_stay_inside_the_repo() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "](docs/STANDARD.md)" in readme
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if target.startswith(("http://", "https://")):
            continue
        resolved = (REPO / target).resolve()
        assert resolved.is_relative_to(REPO), f"README links outside the repo: {target}"
        assert resolved.exists(), f"README links to a missing file: {target}"


@pytest.mark.parametrize("doc", ["docs/HACKING.md", "README.md", "docs/STANDARD.md"])
def test_docs_name_no_machine_specific_path(doc: str) -> None:
    text = (REPO / doc).read_text(encoding="utf-8")
    assert not re.findall(r"(?<![\w.])/(?:work|home|Users|tmp/[\w-]+)/", text), doc
    assert "data-storage-standard" not in text
