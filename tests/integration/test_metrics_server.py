"""``botstore metrics --listen``: loopback by default, a fixed number of threads, a connection
cap with the rest waiting in the backlog, idle connections closed, scrapes never waiting for
a scan. Real sockets on 127.0.0.1; outcomes asserted, never durations."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from metrics_testkit import BOTSTORE, listening
from prometheus_client.parser import text_string_to_metric_families

from core.cli.main import build_parser
from core.cli.metrics_cmd import Attempts
from core.demo import build_demo_tree
from core.health.metrics import ScanOutcome, render
from core.health.metrics_server import MetricsServer, ScanLoop

PAYLOAD = b"# HELP x y\n# TYPE x gauge\nx 1.0\n" * 200


@pytest.fixture
def server() -> Iterator[MetricsServer]:
    srv = MetricsServer("127.0.0.1", 0, max_connections=16, read_timeout=0.5)
    srv.set_payload(PAYLOAD)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def get(port: int, path: str = "/metrics") -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def status_of(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        if family.name == "botstore_status":
            return float(family.samples[0].value)
    raise AssertionError("no botstore_status")


def test_default_address_is_loopback(tmp_path: Path) -> None:
    args = build_parser().parse_args(["metrics", "--listen", "9877"])
    assert args.listen == (None, 9877) and args.addr is None
    build_demo_tree(tmp_path / "root")
    with listening(tmp_path / "root") as (proc, port):
        listen = [
            (c.laddr.ip, c.laddr.port)
            for c in psutil.Process(proc.pid).net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        ]
        assert listen == [("127.0.0.1", port)]
        code, body = get(port)
        assert code == 200 and status_of(body) == 0.0
        proc.terminate()
        assert proc.wait(60) == 0  # SIGTERM is a clean stop


def test_explicit_addresses() -> None:
    parser = build_parser()
    assert parser.parse_args(["metrics", "--listen", "0.0.0.0:9877"]).listen == ("0.0.0.0", 9877)
    assert parser.parse_args(["metrics", "--listen", "[::1]:9877"]).listen == ("::1", 9877)
    assert parser.parse_args(["metrics", "--listen", "1", "--addr", "::"]).addr == "::"
    with pytest.raises(SystemExit):
        parser.parse_args(["metrics", "--listen", "host:notaport"])


def _raise_fd_limit(need: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, need), hard))


def test_thousand_concurrent_scrapes_all_answered_with_fixed_threads(tmp_path: Path) -> None:
    """1,000 clients connect at once (the cap is 256: the rest wait in the backlog), then all
    send their request; every one gets the full answer, and the exporter process runs the
    same threads under that load as when idle."""
    _raise_fd_limit(4096)
    build_demo_tree(tmp_path / "root")
    with listening(tmp_path / "root", "--read-timeout", "60", "--interval", "3600") as (proc, port):
        exporter = psutil.Process(proc.pid)
        idle_threads = exporter.num_threads()
        code, expected = get(port)
        assert code == 200

        async def scrape_all() -> tuple[int, list[bytes | BaseException]]:
            conns = await asyncio.gather(
                *(asyncio.open_connection("127.0.0.1", port) for _ in range(1000))
            )
            loaded_threads = exporter.num_threads()
            try:
                for _, writer in conns:
                    writer.write(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                answers = await asyncio.gather(
                    *(reader.read() for reader, _ in conns), return_exceptions=True
                )
            finally:
                for _, writer in conns:
                    writer.close()
            return loaded_threads, answers

        loaded_threads, answers = asyncio.run(scrape_all())
    assert [a for a in answers if isinstance(a, BaseException)] == []
    ok = [a for a in answers if isinstance(a, bytes) and a.startswith(b"HTTP/1.1 200 OK\r\n")]
    assert len(ok) == 1000
    assert all(a.endswith(b"\r\n\r\n" + expected) for a in ok)
    assert loaded_threads == idle_threads  # no thread per connection


def test_idle_and_trickling_connections_are_closed(server: MetricsServer) -> None:
    threads = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=60) for _ in range(40)]
    trickle = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    trickle.sendall(b"GET /metrics HTTP/1.1\r\n")  # never finishes its head
    try:
        # 41 connections against a cap of 16: the surplus waits in the backlog, none refused,
        # and each is closed by the server without an answer once it has been accepted and
        # its read timeout has passed (recv returns b"").
        for sock in [*idle, trickle]:
            assert sock.recv(100) == b""
        assert threading.active_count() == threads
        assert server.peak_connections == 16  # the cap was reached and never passed
        code, body = get(server.port)  # still serving afterwards
        assert code == 200 and body == PAYLOAD
    finally:
        for sock in [*idle, trickle]:
            sock.close()


def test_http_edges(server: MetricsServer) -> None:
    assert get(server.port, "/nope")[0] == 404
    assert get(server.port, "/")[0] == 200
    assert get(server.port, "/metrics?x=1") == (200, PAYLOAD)
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"POST /metrics HTTP/1.1\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 405 ")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"HEAD /metrics HTTP/1.1\r\n\r\n")
        head = b""
        while chunk := sock.recv(4096):
            head += chunk
        assert head.startswith(b"HTTP/1.1 200 ") and head.endswith(b"\r\n\r\n")
        assert f"Content-Length: {len(PAYLOAD)}".encode() in head
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"garbage\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400 ")
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(b"A" * 20000)  # an endless head is cut off and refused
        assert sock.recv(100).startswith(b"HTTP/1.1 400 ")


def test_scrape_answers_last_completed_scan_while_a_scan_hangs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    build_demo_tree(root)
    args = build_parser().parse_args(["metrics", "--root", str(root), "--listen", "0"])
    real = Attempts(args, 3600.0)
    hang, entered = threading.Event(), threading.Event()
    calls = 0

    def attempt() -> ScanOutcome:
        nonlocal calls
        calls += 1
        if calls == 2:  # the second scan hangs like a stale NFS mount
            entered.set()
            hang.wait(60)
            (root / "data" / "portfolio.json").write_text("{broken")
        return real()

    srv = MetricsServer("127.0.0.1", 0, read_timeout=5)
    loop = ScanLoop(attempt, srv, interval=0.01)
    loop.run_once()
    srv.start()
    loop.start()
    try:
        assert entered.wait(60)
        for _ in range(5):
            code, body = get(srv.port)
            assert code == 200 and status_of(body) == 0.0  # the completed first scan
        hang.set()
        for _ in range(600):  # the next completed scan replaces it
            if status_of(get(srv.port)[1]) == 2.0:
                break
            threading.Event().wait(0.05)
        assert status_of(get(srv.port)[1]) == 2.0
    finally:
        hang.set()
        loop.stop()
        srv.stop()


def test_listen_mode_recovers_when_the_config_is_fixed(tmp_path: Path) -> None:
    root = tmp_path / "root"
    build_demo_tree(root)
    (root / "botstore.toml").write_text("[thresholds]\nstale_seconds = 5\n")
    args = build_parser().parse_args(["metrics", "--root", str(root), "--listen", "0"])
    attempts = Attempts(args, 30.0)
    first = attempts()
    assert first.report is None and first.error == "config" and first.errors_total == 1
    assert status_of(render(first)) == 3.0
    (root / "botstore.toml").unlink()
    second = attempts()
    assert second.report is not None and second.errors_total == 1
    assert status_of(render(second)) == 0.0


def test_port_in_use_is_unknown(server: MetricsServer, tmp_path: Path) -> None:
    build_demo_tree(tmp_path / "root")
    result = subprocess.run(
        [
            BOTSTORE,
            "metrics",
            "--root",
            str(tmp_path / "root"),
            "--listen",
            f"127.0.0.1:{server.port}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 3
    assert "metrics failed" in result.stderr
