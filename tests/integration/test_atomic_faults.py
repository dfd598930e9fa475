"""Acceptance 3: an OSError injected at each successive OS call of write_json.

A counting dry run records the sequence of ``os.*`` calls one ``write_json``
makes in each scenario; the test is then parametrized over every position N in
that sequence (and both EIO and ENOSPC). The wrapper raises on the Nth call
(for ``os.close`` it closes first, as Linux does, then reports the error).

After each injected fault: no temp file survives; either the call succeeded
(the fault hit a best-effort step) and the result is exactly the normal one,
or it raised ``WriteFailed`` carrying the injected errno, and
- ``committed=False``: target and ``.bak`` are byte-identical to before;
- ``committed=True``: the target is fully new and ``.bak`` is a complete,
  valid version (the one before, or the one just replaced).
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.errors import WriteFailed
from core.storage.names import backup_path, is_temp_name
from core.storage.read import read_json
from core.storage.write import write_json

NAME = "portfolio.json"

# Every os-level call the write path may make. Faults are injected at each of them.
WRAPPED = (
    "open",
    "read",
    "write",
    "pread",
    "pwrite",
    "fsync",
    "fchmod",
    "fchown",
    "link",
    "replace",
    "rename",
    "unlink",
    "close",
    "lstat",
    "stat",
    "fstat",
    "scandir",
    "mkdir",
    "chmod",
)


def portfolio(version: int) -> dict[str, Any]:
    return {
        "trades_executed": version,
        "portfolio_value_eur": {"amount": 1000.0 + version, "last_price_eur": 1.0},
        "initial_value_eur": {"amount": 1000.0, "last_price_eur": 1.0},
        "last_updated": f"2024-01-0{version}T00:00:00.000000",
        "EUR": {"amount": 100.0 + version, "initial_amount": 100.0},
        "BTC": {"amount": 0.01 * version, "initial_amount": 0.01, "last_price_eur": 45000.0},
    }


OLD, OLD_BAK, NEW = portfolio(2), portfolio(1), portfolio(3)


@dataclass(frozen=True)
class Scenario:
    name: str
    existing: bool  # target exists before the save
    existing_bak: bool  # .bak exists before the save
    backup: bool
    no_hardlinks: bool = False  # os.link fails with EPERM -> copy fallback
    new_dir: bool = False  # the target's directory does not exist yet


SCENARIOS = [
    Scenario("overwrite-with-bak", existing=True, existing_bak=True, backup=True),
    Scenario("overwrite-first-bak", existing=True, existing_bak=False, backup=True),
    Scenario(
        "overwrite-copy-fallback", existing=True, existing_bak=True, backup=True, no_hardlinks=True
    ),
    Scenario("overwrite-no-backup", existing=True, existing_bak=True, backup=False),
    Scenario("create", existing=False, existing_bak=False, backup=True),
    Scenario("create-in-new-dirs", existing=False, existing_bak=False, backup=True, new_dir=True),
]


@dataclass
class Injector:
    """Counts calls to the wrapped ``os`` functions; raises on call number ``fail_at``."""

    fail_at: int | None = None
    err: int = errno.EIO
    no_hardlinks: bool = False
    calls: list[str] = field(default_factory=list)
    injected: str | None = None

    def wrap(self, name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if len(self.calls) == self.fail_at:
                self.injected = name
                if name == "close":  # Linux: the fd is released even when close fails
                    real(*args, **kwargs)
                raise OSError(self.err, os.strerror(self.err))
            if name == "link" and self.no_hardlinks:
                raise OSError(errno.EPERM, os.strerror(errno.EPERM))
            return real(*args, **kwargs)

        return wrapper


@contextmanager
def injected(inj: Injector) -> Iterator[None]:
    saved = {name: getattr(os, name) for name in WRAPPED}
    try:
        for name, real in saved.items():
            setattr(os, name, inj.wrap(name, real))
        yield
    finally:
        for name, real in saved.items():
            setattr(os, name, real)


def setup(directory: Path, sc: Scenario) -> Path:
    """Lay out the scenario with plain file writes (not write_json)."""
    from core.storage.codec import dumps

    target = directory / "a" / "b" / NAME if sc.new_dir else directory / NAME
    if sc.existing:
        target.write_bytes(dumps(OLD))
        target.chmod(0o640)
    if sc.existing_bak:
        backup_path(target).write_bytes(dumps(OLD_BAK))
        backup_path(target).chmod(0o640)
    return target


def dry_run(sc: Scenario) -> list[str]:
    directory = Path(tempfile.mkdtemp(prefix="botstore-faults-"))
    try:
        target = setup(directory, sc)
        inj = Injector(no_hardlinks=sc.no_hardlinks)
        with injected(inj):
            write_json(target, NEW, backup=sc.backup)
        assert read_json(target) == NEW
        return inj.calls
    finally:
        shutil.rmtree(directory, ignore_errors=True)


SEQUENCES = {sc.name: dry_run(sc) for sc in SCENARIOS}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__name__ != "test_fault_at_each_call":
        return
    params = []
    for sc in SCENARIOS:
        calls = SEQUENCES[sc.name]
        for n in range(1, len(calls) + 1):
            for err in (errno.EIO, errno.ENOSPC):
                params.append(
                    pytest.param(
                        sc, n, err, id=f"{sc.name}-{n:02d}-{calls[n - 1]}-{errno.errorcode[err]}"
                    )
                )
    metafunc.parametrize(("sc", "n", "err"), params)


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {
        p.name: p.read_bytes()
        for p in sorted(directory.iterdir())
        if p.name in (NAME, NAME + ".bak")
    }


def temps_under(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*") if is_temp_name(p.name)]


def test_fault_at_each_call(tmp_path: Path, sc: Scenario, n: int, err: int) -> None:
    from core.storage.codec import dumps

    target = setup(tmp_path, sc)
    before = snapshot(target.parent)
    inj = Injector(fail_at=n, err=err, no_hardlinks=sc.no_hardlinks)
    outcome: WriteFailed | None = None
    with injected(inj):
        try:
            write_json(target, NEW, backup=sc.backup)
        except WriteFailed as exc:
            outcome = exc
    # The sequence is deterministic: the fault landed on the call the dry run saw there.
    assert inj.injected == SEQUENCES[sc.name][n - 1]
    leftovers = temps_under(tmp_path)
    assert leftovers == [], f"temp files survived: {leftovers}"

    after = snapshot(target.parent)
    new_bytes = dumps(NEW)
    expected_bak_after = (
        before.get(NAME) if sc.backup and sc.existing else before.get(NAME + ".bak")
    )
    if outcome is None:
        # The fault hit a best-effort step (sweeping, releasing a read-only fd...):
        # the result must be exactly the normal one.
        assert after.get(NAME) == new_bytes
        assert after.get(NAME + ".bak") == expected_bak_after
        return
    assert outcome.errno == err
    assert outcome.code == "write"
    assert os.strerror(err) in outcome.reason
    if not outcome.committed:
        assert after == before, "target/.bak changed although committed=False"
        assert "untouched" in outcome.reason
    else:
        assert after[NAME] == new_bytes, "committed=True but target is not the new version"
        assert read_json(target) == NEW
        assert target.stat().st_mode & 0o777 == 0o640
        if NAME + ".bak" in before:
            # Still a complete version: the previous backup or the version just replaced.
            assert after.get(NAME + ".bak") in {before[NAME + ".bak"], before.get(NAME)}
            assert read_json(backup_path(target)) in (OLD, OLD_BAK)
        elif not (sc.backup and sc.existing):
            assert NAME + ".bak" not in after
        elif NAME + ".bak" in after:
            assert after[NAME + ".bak"] == before[NAME]
        else:
            # First backup of this file and the .bak rename itself failed after the
            # commit: there is no .bak (the error says so); never a partial one.
            assert inj.injected == "replace"
            assert "backup" in outcome.reason
    # A retry after the fault goes through and leaves a clean directory.
    write_json(target, NEW, backup=sc.backup)
    assert read_json(target) == NEW
    assert temps_under(tmp_path) == []
    if sc.new_dir:
        assert target.parent.stat().st_mode & 0o777 == 0o750


@pytest.mark.parametrize("sc", SCENARIOS, ids=[sc.name for sc in SCENARIOS])
def test_call_sequence_is_exhausted(tmp_path: Path, sc: Scenario) -> None:
    """Fault position len(sequence)+1 is never reached: the parametrization covers every call."""
    target = setup(tmp_path, sc)
    calls = SEQUENCES[sc.name]
    inj = Injector(fail_at=len(calls) + 1, no_hardlinks=sc.no_hardlinks)
    with injected(inj):
        write_json(target, NEW, backup=sc.backup)
    assert inj.injected is None
    assert inj.calls == calls
    assert read_json(target) == NEW


def test_sequences_cover_the_protocol() -> None:
    """Sanity: the dry runs see the calls the protocol is made of, in protocol order."""
    seq = SEQUENCES["overwrite-with-bak"]
    for name in ("open", "write", "fchmod", "fsync", "close", "link", "replace", "lstat"):
        assert name in seq, (name, seq)
    assert seq.count("replace") == 2  # commit, then .bak
    first_replace = seq.index("replace")
    assert seq.index("link") < first_replace  # old version linked before the commit
    assert seq.index("fsync") < seq.index("link")  # temp durable before anything moves
    assert seq[-4:-1] == ["open", "fsync", "close"] or "fsync" in seq[first_replace:]
    copy = SEQUENCES["overwrite-copy-fallback"]
    assert "read" in copy and copy.count("write") >= 2 and copy.count("fsync") >= 3
    assert "link" not in SEQUENCES["create"]
    assert SEQUENCES["overwrite-no-backup"].count("replace") == 1


@pytest.mark.parametrize("err", [errno.EIO, errno.ENOSPC])
def test_committed_flag_is_set_exactly_after_the_replace(tmp_path: Path, err: int) -> None:
    """Failing the 2nd replace (.bak) or the dir fsync reports committed=True; earlier, False."""
    sc = SCENARIOS[0]
    seq = SEQUENCES[sc.name]
    commit_at = seq.index("replace") + 1  # 1-based position of the commit rename
    for n in range(1, len(seq) + 1):
        d = tmp_path / f"n{n}"
        d.mkdir()
        target = setup(d, sc)
        inj = Injector(fail_at=n, err=err)
        with injected(inj):
            try:
                write_json(target, NEW, backup=True)
                committed: bool | None = None
            except WriteFailed as exc:
                committed = exc.committed
        if committed is not None:
            assert committed == (n > commit_at), (n, seq[n - 1])
