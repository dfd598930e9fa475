"""core.storage.read reads: every failure is a typed StorageError that says what is wrong."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import pytest

from core.errors import (
    EmptyFile,
    FileMissing,
    InvalidJson,
    NotRegularFile,
    NotUtf8,
    StorageError,
    TooDeep,
    TooLarge,
    Unreadable,
)
from core.storage.codec import parse_json
from core.storage.read import read_bytes, read_json

NOBODY = 65534


def test_reads_valid_json(tmp_path: Path) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes(b'{"EUR": {"amount": 1.5}}\n')
    assert read_json(p) == {"EUR": {"amount": 1.5}}
    assert read_json(str(p)) == {"EUR": {"amount": 1.5}}


def test_missing(tmp_path: Path) -> None:
    with pytest.raises(FileMissing, match="does not exist") as info:
        read_json(tmp_path / "nope.json")
    assert info.value.code == "missing"
    assert info.value.path == str(tmp_path / "nope.json")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="directory"):
        read_json(tmp_path)


@pytest.mark.timeout(10)
def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "portfolio.json"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="FIFO"):
        read_json(fifo)


@pytest.mark.timeout(10)
def test_fifo_with_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "portfolio.json"
    os.mkfifo(fifo)
    reader_side = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    writer_side = os.open(fifo, os.O_WRONLY)
    try:
        os.write(writer_side, b'{"a": 1}')
        with pytest.raises(NotRegularFile, match="FIFO"):
            read_json(fifo)
    finally:
        os.close(writer_side)
        os.close(reader_side)


@pytest.mark.timeout(10)
def test_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
        with pytest.raises(NotRegularFile):
            read_json(path)
    finally:
        sock.close()


@pytest.mark.timeout(10)
def test_device(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="device"):
        read_json("/dev/zero")


def test_symlink_loop(tmp_path: Path) -> None:
    a = tmp_path / "a.json"
    a.symlink_to(tmp_path / "a.json")
    with pytest.raises(NotRegularFile, match="loop"):
        read_json(a)


def _read_as_nobody(path: Path) -> str:
    """Read ``path`` in a forked child running as ``nobody``; returns the outcome's name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                read_json(path)
                result = "ok"
            except StorageError as exc:
                result = f"{type(exc).__name__}|{exc.reason}"
            os.write(w, result.encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while chunk := os.read(r, 4096):
        chunks.append(chunk)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return b"".join(chunks).decode()


def test_unreadable(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if os.geteuid() != 0:
        p = tmp_path / "portfolio.json"
        p.write_bytes(b"{}")
        p.chmod(0o000)
        try:
            with pytest.raises(Unreadable, match="permission denied") as info:
                read_json(p)
            assert info.value.code == "unreadable"
        finally:
            p.chmod(0o600)
        return
    if not hasattr(os, "fork") or not hasattr(os, "setuid"):
        pytest.skip("running as root and cannot drop privileges on this platform")
    # Root ignores file modes, so read from a child that dropped to nobody. tmp_path
    # lives under a 0700 directory, so use a world-traversable one.
    d = Path(tempfile.mkdtemp(prefix="botstore-unreadable-", dir="/tmp"))
    d.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(d, ignore_errors=True))
    for parent in [d, *d.parents]:
        if parent == Path("/"):
            break
        if parent.stat().st_mode & 0o001 == 0:
            pytest.skip(f"{parent} is not traversable by nobody; cannot run the check")
    p = d / "portfolio.json"
    p.write_bytes(b'{"a": 1}')
    p.chmod(0o644)
    assert _read_as_nobody(p) == "ok"  # the child really can reach the file
    p.chmod(0o000)
    outcome = _read_as_nobody(p)
    assert outcome == "Unreadable|permission denied"


@pytest.mark.parametrize("payload", [b"", b" ", b"\n\n  \t\r\n"])
def test_empty_and_whitespace(tmp_path: Path, payload: bytes) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes(payload)
    with pytest.raises(EmptyFile, match="empty" if not payload else "whitespace") as info:
        read_json(p)
    assert info.value.code == "invalid_json"


def test_not_utf8_reports_offset(tmp_path: Path) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes(b'{\n  "name": "caf\xe9"\n}\n')
    with pytest.raises(NotUtf8, match=r"0xe9 at offset 16 \(line 2\)"):
        read_json(p)


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes('{"a": 1}'.encode("utf-16"))
    with pytest.raises(NotUtf8, match="offset 0"):
        read_json(p)


@pytest.mark.parametrize(
    ("payload", "line", "column"),
    [
        (b'{\n  "a": 1,\n  "b": x\n}\n', 3, 8),
        (b'{"a": 1,}', 1, 8),  # points at the trailing comma
        (b'{\n  "a": 1\n', 3, 1),  # truncated: error at end of input
        (b"[1, 2]\n]", 2, 1),  # trailing garbage
        (b'{"a": NaN}', 1, 7),
    ],
)
def test_invalid_json_line_and_column(
    tmp_path: Path, payload: bytes, line: int, column: int
) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes(payload)
    with pytest.raises(InvalidJson) as info:
        read_json(p)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)


@pytest.mark.parametrize("closed", [True, False])
def test_200k_nested_brackets(tmp_path: Path, closed: bool) -> None:
    p = tmp_path / "portfolio.json"
    n = 200_000
    p.write_bytes(b"[" * n + (b"]" * n if closed else b""))
    with pytest.raises(TooDeep, match="nested too deeply"):
        read_json(p)
    with pytest.raises(TooDeep):
        parse_json(b'{"a":' * n + b"1" + b"}" * n)


def test_too_large(tmp_path: Path) -> None:
    p = tmp_path / "portfolio.json"
    p.write_bytes(b'{"pad": "' + b"x" * 1000 + b'"}')
    with pytest.raises(TooLarge, match="exceeds the 100-byte cap") as info:
        read_json(p, max_bytes=100)
    assert info.value.code == "size"
    assert read_json(p, max_bytes=p.stat().st_size)["pad"] == "x" * 1000


def test_read_bytes_large_file_is_exact(tmp_path: Path) -> None:
    p = tmp_path / "big.json"
    blob = os.urandom(3 * 1024 * 1024 + 7)
    p.write_bytes(blob)
    assert read_bytes(p) == blob


def test_parse_json_from_bytes() -> None:
    assert parse_json(b"[1]") == [1]
    with pytest.raises(InvalidJson) as info:
        parse_json(b"{", "mem")
    assert info.value.path == "mem"


def test_every_error_is_a_storage_error(tmp_path: Path) -> None:
    for cls in (
        FileMissing,
        NotRegularFile,
        Unreadable,
        EmptyFile,
        NotUtf8,
        InvalidJson,
        TooDeep,
        TooLarge,
    ):
        assert issubclass(cls, StorageError), cls
    assert sys.getrecursionlimit() > 0  # parsing never touched the interpreter's limit
