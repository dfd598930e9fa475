"""core.storage.write writes: modes, unsafe targets, serialization, locking, concurrency."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from core.errors import LockTimeout, SerializationError, UnsafeTarget
from core.storage import codec, lock
from core.storage.lock import file_lock
from core.storage.names import backup_path, is_lock_name, is_temp_name, lock_path
from core.storage.read import read_json
from core.storage.write import atomic_write, atomic_write_bytes, write_json

REPO = Path(__file__).resolve().parents[2]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def temps(directory: Path) -> list[str]:
    return sorted(n for n in os.listdir(directory) if is_temp_name(n))


@pytest.fixture
def umask() -> Iterator[Any]:
    """Set a umask for the test and always restore the previous one."""
    previous = os.umask(0o022)
    os.umask(previous)

    def set_(value: int) -> None:
        os.umask(value)

    yield set_
    os.umask(previous)


# --------------------------------------------------------------------------- basics


def test_roundtrip_and_backup(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    assert read_json(target) == {"v": 1}
    assert not backup_path(target).exists()  # nothing to back up on first save
    write_json(target, {"v": 2})
    assert read_json(target) == {"v": 2}
    assert read_json(backup_path(target)) == {"v": 1}
    write_json(target, {"v": 3}, backup=False)
    assert read_json(target) == {"v": 3}
    assert read_json(backup_path(target)) == {"v": 1}  # backup=False leaves .bak alone
    assert target.read_bytes().endswith(b"}\n")
    assert b'\n  "v": 3' in target.read_bytes()  # 2-space indent
    assert temps(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == [
        ".portfolio.json.lock",
        "portfolio.json",
        "portfolio.json.bak",
    ]
    assert is_lock_name(".portfolio.json.lock")
    assert lock_path(target).name == ".portfolio.json.lock"


def test_creates_missing_directories_with_policy_mode(tmp_path: Path, umask: Any) -> None:
    umask(0o077)
    target = tmp_path / "a" / "b" / "portfolio.json"
    write_json(target, {"x": 1})
    assert mode_of(tmp_path / "a") == 0o750
    assert mode_of(tmp_path / "a" / "b") == 0o750
    assert mode_of(target) == 0o640


def test_atomic_write_with_file_object_writer(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    atomic_write(target, lambda handle: handle.write(b"hello\n"))
    assert target.read_bytes() == b"hello\n"
    assert mode_of(target) == 0o644  # policy mode for text reports
    atomic_write_bytes(target, b"bye\n", backup=True)
    assert target.read_bytes() == b"bye\n"
    assert backup_path(target).read_bytes() == b"hello\n"


def test_writer_exception_leaves_everything_untouched(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    write_json(target, {"v": 2})
    before = (target.read_bytes(), backup_path(target).read_bytes())

    def boom(handle: Any) -> None:
        handle.write(b"partial")
        raise ValueError("writer failed")

    with pytest.raises(ValueError, match="writer failed"):
        atomic_write(target, boom, backup=True)
    assert (target.read_bytes(), backup_path(target).read_bytes()) == before
    assert temps(tmp_path) == []


def test_stale_temp_from_another_process_is_swept(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})  # this process's first write of the path
    stale = tmp_path / ".portfolio.json.0123456789ab.tmp"
    stale.write_bytes(b'{"half": ')
    # Another writer of portfolio.json.bak (a different file) must keep its temps.
    foreign = tmp_path / ".portfolio.json.bak.0123456789ab.tmp"
    foreign.write_bytes(b"x")
    # A writer that died mid-save leaves the lock file marked dirty.
    lock_path(target).write_bytes(b"1")
    write_json(target, {"v": 2})
    assert not stale.exists()
    assert foreign.exists()
    assert lock_path(target).read_bytes() == b"0"


# --------------------------------------------------------------------------- modes (acceptance 4)


@pytest.mark.parametrize("mask", [0o077, 0o000, 0o022])
def test_new_json_file_is_640_whatever_the_umask(tmp_path: Path, umask: Any, mask: int) -> None:
    umask(mask)
    target = tmp_path / "portfolio.json"
    write_json(target, {"EUR": {"amount": 1.0}})
    assert mode_of(target) == 0o640
    write_json(target, {"EUR": {"amount": 2.0}})
    assert mode_of(target) == 0o640
    assert mode_of(backup_path(target)) == 0o640


@pytest.mark.parametrize("mask", [0o077, 0o000])
def test_existing_600_stays_600(tmp_path: Path, umask: Any, mask: int) -> None:
    umask(mask)
    target = tmp_path / "portfolio.json"
    target.write_bytes(b"{}")
    os.chmod(target, 0o600)
    write_json(target, {"v": 1})
    assert mode_of(target) == 0o600
    write_json(target, {"v": 2})
    assert mode_of(target) == 0o600
    assert mode_of(backup_path(target)) == 0o600


@pytest.mark.parametrize("name", ["credentials.json", "api_token.json", "exchange_password.json"])
@pytest.mark.parametrize("mask", [0o000, 0o077])
def test_sensitive_name_is_created_600(tmp_path: Path, umask: Any, name: str, mask: int) -> None:
    umask(mask)
    target = tmp_path / name
    write_json(target, {"exchange": "x"})
    assert mode_of(target) == 0o600


@pytest.mark.parametrize("key", ["api_key", "API_SECRET", "private_key"])
def test_sensitive_top_level_key_is_created_600(tmp_path: Path, umask: Any, key: str) -> None:
    umask(0o000)
    target = tmp_path / "exchange.json"
    write_json(target, {key: "s3cr3t", "name": "x"})
    assert mode_of(target) == 0o600


def test_nested_sensitive_key_does_not_count(tmp_path: Path) -> None:
    # The policy looks at top-level keys only.
    target = tmp_path / "config.json"
    write_json(target, {"exchange": {"api_key": "x"}})
    assert mode_of(target) == 0o640


def test_existing_mode_is_kept_when_overwriting_a_sensitive_file(tmp_path: Path) -> None:
    target = tmp_path / "credentials.json"
    write_json(target, {"api_key": "a"})
    assert mode_of(target) == 0o600
    write_json(target, {"api_key": "b"})
    assert mode_of(target) == 0o600
    assert mode_of(backup_path(target)) == 0o600
    # An operator's explicit choice is kept too (the health scan reports it, the writer
    # never silently changes it).
    os.chmod(target, 0o640)
    write_json(target, {"api_key": "c"})
    assert mode_of(target) == 0o640


def test_explicit_mode_wins(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    write_json(target, {"v": 2}, mode=0o600)
    assert mode_of(target) == 0o600


def test_setid_bits_of_existing_file_are_not_propagated(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    target.write_bytes(b"{}")
    os.chmod(target, 0o4640)
    write_json(target, {"v": 1})
    assert mode_of(target) == 0o640


# --------------------------------------------------------------------------- unsafe targets


def test_refuses_symlink_target_and_leaves_link_and_target_alone(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b'{"real": true}\n')
    link = tmp_path / "portfolio.json"
    link.symlink_to(real)
    with pytest.raises(UnsafeTarget, match="symlink") as info:
        write_json(link, {"v": 1})
    assert info.value.code == "symlink"
    assert link.is_symlink()
    assert os.readlink(link) == str(real)
    assert real.read_bytes() == b'{"real": true}\n'
    assert not backup_path(link).exists()
    assert temps(tmp_path) == []


def test_refuses_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.json"
    link.symlink_to(tmp_path / "nowhere.json")
    with pytest.raises(UnsafeTarget):
        write_json(link, {"v": 1})
    assert not (tmp_path / "nowhere.json").exists()
    assert link.is_symlink()


def test_refuses_fifo_target_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "portfolio.json"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeTarget, match="not a regular file"):
        write_json(fifo, {"v": 1})
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert temps(tmp_path) == []


def test_refuses_directory_target(tmp_path: Path) -> None:
    d = tmp_path / "portfolio.json"
    d.mkdir()
    with pytest.raises(UnsafeTarget):
        write_json(d, {"v": 1})
    assert d.is_dir()


# --------------------------------------------------------------------------- serialization


def test_serializes_datetimes_decimal_numpy_and_sets(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    data = {
        "naive": dt.datetime(2024, 1, 1, 0, 0, 0),
        "aware": dt.datetime(2024, 1, 1, 12, 30, 0, 5, tzinfo=dt.UTC),
        "offset": dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "day": dt.date(2024, 1, 2),
        "amount": decimal.Decimal("0.125"),
        "np_float": np.float64(45000.5),
        "np_int": np.int64(7),
        "np_bool": np.bool_(True),
        "np_f32": np.float32(0.5),
        "array": np.array([1.5, 2.5]),
        "matrix": np.arange(6, dtype=np.int32).reshape(2, 3),
        "strided": np.arange(10.0)[::3],  # non-contiguous: not native to orjson
        "half": np.float16(1.5),
        "tags": {"b", "a", "c"},
        "frozen": frozenset({3, 1}),
    }
    write_json(target, data)
    back = read_json(target)
    assert back["naive"] == "2024-01-01T00:00:00.000000"  # the standard's form
    assert back["aware"] == "2024-01-01T12:30:00.000005+00:00"
    assert back["offset"] == "2024-01-01T00:00:00.000000+02:00"
    assert dt.datetime.fromisoformat(back["aware"]).tzinfo is not None
    assert dt.datetime.fromisoformat(back["naive"]).tzinfo is None
    assert back["day"] == "2024-01-02"
    assert back["amount"] == 0.125
    assert back["np_float"] == 45000.5
    assert back["np_int"] == 7
    assert back["np_bool"] is True
    assert back["np_f32"] == 0.5
    assert back["array"] == [1.5, 2.5]
    assert back["matrix"] == [[0, 1, 2], [3, 4, 5]]
    assert back["strided"] == [0.0, 3.0, 6.0, 9.0]
    assert back["half"] == 1.5
    assert back["tags"] == ["a", "b", "c"]
    assert back["frozen"] == [1, 3]


class Unsupported:
    pass


@pytest.mark.parametrize(
    "bad",
    [
        {"obj": Unsupported()},
        {"nested": [1, {"deep": Unsupported()}]},
        {"nan": decimal.Decimal("NaN")},
        {1: "non-str key"},
        {"obj": object()},
    ],
    ids=["object", "nested", "decimal-nan", "int-key", "bare-object"],
)
def test_unsupported_data_raises_before_any_file_is_created(tmp_path: Path, bad: Any) -> None:
    target = tmp_path / "sub" / "portfolio.json"
    with pytest.raises(SerializationError, match="cannot serialize") as info:
        write_json(target, bad)
    assert info.value.code == "serialization"
    assert not (tmp_path / "sub").exists()  # not even the directory or the lock file


@pytest.mark.parametrize(
    ("bad", "where"),
    [
        ({"total_value_eur": float("nan")}, "$.total_value_eur"),
        ({"holdings": {"BTC": {"price": float("inf"), "note": None}}}, "$.holdings.BTC.price"),
        ({"prices": [1.0, None, -float("inf")]}, "$.prices[2]"),
        ({"tags": {float("nan")}}, "$.tags[0]"),
    ],
    ids=["nan", "inf-next-to-null", "neg-inf-in-list", "nan-in-set"],
)
def test_non_finite_floats_are_refused_with_their_path(
    tmp_path: Path, bad: dict[str, Any], where: str
) -> None:
    """orjson writes NaN as null; a portfolio saved that way fails its schema on the next load."""
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    before = target.read_bytes()
    with pytest.raises(SerializationError, match=re.escape(where)):
        write_json(target, bad)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == [".portfolio.json.lock", "portfolio.json"]


def test_non_finite_check_is_bounded_to_state_sized_payloads(tmp_path: Path) -> None:
    """Past NAN_CHECK_MAX_BYTES the search is skipped (measured: +13 % on a 2 MB save)."""
    filler = "x" * codec.NAN_CHECK_MAX_BYTES
    target = tmp_path / "big.json"
    write_json(target, {"filler": filler, "v": float("nan")})
    assert read_json(target)["v"] is None


def test_numpy_nan_is_refused_and_real_nulls_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    with pytest.raises(SerializationError, match=r"\$\.series\[1\]"):
        write_json(target, {"series": np.array([1.0, np.nan])})
    with pytest.raises(SerializationError, match=r"\$\.p"):
        write_json(target, {"p": np.float32("nan")})
    write_json(target, {"p": None, "q": np.float64(2.5), "r": [None, 1.0]})
    assert read_json(target) == {"p": None, "q": 2.5, "r": [None, 1.0]}


def test_unsupported_data_leaves_existing_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    before = os.listdir(tmp_path), target.read_bytes(), os.lstat(target).st_ino
    with pytest.raises(SerializationError, match="Unsupported"):
        write_json(target, {"v": Unsupported()})
    assert (os.listdir(tmp_path), target.read_bytes(), os.lstat(target).st_ino) == before


# --------------------------------------------------------------------------- locking & concurrency


def test_lock_excludes_another_thread_of_the_same_process(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 0})
    errors: list[BaseException] = []

    def save() -> None:
        try:
            write_json(target, {"v": 1}, lock_timeout=0.05)
        except BaseException as exc:
            errors.append(exc)

    with file_lock(target):
        thread = threading.Thread(target=save)
        thread.start()
        thread.join(30)
    assert len(errors) == 1
    assert isinstance(errors[0], LockTimeout)
    assert read_json(target) == {"v": 0}


def test_lock_is_reentrant_for_its_holder(tmp_path: Path) -> None:
    """Read-modify-write: the lock holder itself may save (no deadlock, no window)."""
    target = tmp_path / "portfolio.json"
    write_json(target, {"trades_executed": 1})
    with file_lock(target):
        data = read_json(target)
        data["trades_executed"] += 1
        write_json(target, data, lock_timeout=0.05)
        with file_lock(target, timeout=0.05):  # nested
            write_json(target, {"trades_executed": 3}, lock_timeout=0.05)
        # Still held after the nested exits: another thread cannot get in.
        failed: list[BaseException] = []
        t = threading.Thread(
            target=lambda: failed.extend(_try(lambda: write_json(target, {}, lock_timeout=0.05)))
        )
        t.start()
        t.join(30)
        assert [type(e) for e in failed] == [LockTimeout]
    assert read_json(target) == {"trades_executed": 3}
    assert read_json(backup_path(target)) == {"trades_executed": 2}
    assert lock._held.locks == {}  # fully released
    write_json(target, {"trades_executed": 4}, lock_timeout=0.05)


def _try(fn: Any) -> list[BaseException]:
    try:
        fn()
    except BaseException as exc:
        return [exc]
    return []


def test_writer_waits_for_the_lock_holder(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 0})
    started = threading.Event()
    done = threading.Event()
    errors: list[BaseException] = []

    def save() -> None:
        started.set()
        try:
            write_json(target, {"v": 1})
        except BaseException as exc:
            errors.append(exc)
        done.set()

    with file_lock(target):
        thread = threading.Thread(target=save)
        thread.start()
        started.wait()
        # While we hold the lock the writer cannot get past it.
        assert not done.wait(0.3)
        assert read_json(target) == {"v": 0}
    thread.join(30)
    assert errors == []
    assert read_json(target) == {"v": 1}


def test_lock_excludes_another_process(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 0})
    code = (
        "import sys\n"
        "from core.storage.write import write_json\n"
        "from core.errors import LockTimeout\n"
        "try:\n"
        "    write_json(sys.argv[1], {'v': 1}, lock_timeout=0.1)\n"
        "except LockTimeout:\n"
        "    print('LockTimeout')\n"
    )
    with file_lock(target):
        out = subprocess.run(
            [sys.executable, "-c", code, str(target)],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
            timeout=60,
        )
    assert out.stdout.strip() == "LockTimeout"
    assert read_json(target) == {"v": 0}


def _version(writer: int, i: int) -> dict[str, Any]:
    return {
        "writer": writer,
        "i": i,
        "trades_executed": i,
        "last_updated": f"2024-01-01T00:00:{i % 60:02d}.000000",
        "EUR": {"amount": 100.0 + i, "initial_amount": 100.0},
        "pad": [writer * 1000 + k for k in range(2000 + 37 * writer)],
    }


def _check_final_state(target: Path, written: list[dict[str, Any]]) -> None:
    final = read_json(target)
    bak = read_json(backup_path(target))
    assert final in written
    assert bak in written
    assert final != bak
    assert temps(target.parent) == []
    assert lock_path(target).exists()
    assert sorted(os.listdir(target.parent)) == sorted(
        [target.name, backup_path(target).name, lock_path(target).name]
    )


def test_threads_writing_the_same_path(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    n_threads, n_saves = 8, 25
    barrier = threading.Barrier(n_threads)
    errors: list[BaseException] = []

    def run(writer: int) -> None:
        barrier.wait()
        try:
            for i in range(n_saves):
                write_json(target, _version(writer, i))
                # A reader never sees a torn file, mid-storm.
                assert read_json(target)["EUR"]["initial_amount"] == 100.0
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(100)
    assert errors == []
    _check_final_state(target, [_version(w, i) for w in range(n_threads) for i in range(n_saves)])


_PROC_WRITER = """
import sys
from core.storage.read import read_json
from core.storage.write import write_json
sys.path.insert(0, sys.argv[3])
from test_atomic_write import _version
target, writer = sys.argv[1], int(sys.argv[2])
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()  # start together
for i in range(50):
    write_json(target, _version(writer, i))
    data = read_json(target)
    assert data["EUR"]["initial_amount"] == 100.0, data
print("done")
"""


def test_processes_writing_the_same_path(tmp_path: Path) -> None:
    target = tmp_path / "data" / "portfolio.json"
    n_procs = 4
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PROC_WRITER,
                str(target),
                str(w),
                str(Path(__file__).resolve().parent),
            ],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(n_procs)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.communicate(timeout=100) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
        assert out.strip() == "done"
    _check_final_state(target, [_version(w, i) for w in range(n_procs) for i in range(50)])


def test_dumps_matches_what_is_written(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    data = {"a": [1, 2, {"b": None}], "c": "é"}
    write_json(target, data)
    assert target.read_bytes() == codec.dumps(data)
    assert orjson.loads(target.read_bytes()) == data


@pytest.mark.parametrize("damage", [b"", b'{"trades_executed": 3, "portf', b"\x00" * 64])
def test_corrupt_current_file_never_replaces_a_good_backup(tmp_path: Path, damage: bytes) -> None:
    """A crash outside botstore left the primary torn: the next save must keep the good .bak."""
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    write_json(target, {"v": 2})  # .bak = v1
    good_backup = (tmp_path / "portfolio.json.bak").read_bytes()
    target.write_bytes(damage)  # torn in place by someone else
    write_json(target, {"v": 3})
    assert read_json(target) == {"v": 3}
    assert (tmp_path / "portfolio.json.bak").read_bytes() == good_backup


def test_valid_file_from_another_writer_is_rotated_into_backup(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    write_json(target, {"v": 1})
    target.write_bytes(b'{"v": "from the bot"}\n')  # not written by this process
    write_json(target, {"v": 2})
    assert read_json(tmp_path / "portfolio.json.bak") == {"v": "from the bot"}
