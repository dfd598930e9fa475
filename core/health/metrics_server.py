"""The ``/metrics`` HTTP endpoint of ``botstore metrics --listen``: small, bounded, never blocking.

Scans run in their own thread (``ScanLoop``) on a fixed interval; each completed scan is
rendered once and a scrape only copies those bytes out, so a scrape never waits for a scan
(a slow or hung file system shows up as ``botstore_last_scan_timestamp_seconds`` going
stale, not as a hung scrape). Connections are served by one asyncio event-loop thread:
an idle or trickling client costs a coroutine, not a thread, so the thread count is fixed
(this one plus the scan thread) whatever the load. Limits: a real listen ``backlog``; at
most ``max_connections`` accepted at once (the rest wait in the kernel's backlog rather
than being refused); a ``read_timeout`` for the whole request head and a ``write_timeout``
for the answer; request heads over 8 KiB are cut off. Every answer closes the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import Callable
from typing import Final

from core.health.metrics import ScanOutcome, render

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
MAX_HEAD: Final = 8192
DEFAULT_ADDR: Final = "127.0.0.1"


class MetricsServer:
    """Serves the latest payload on ``/metrics``; ``start()`` binds, ``stop()`` closes."""

    def __init__(
        self,
        addr: str = DEFAULT_ADDR,
        port: int = 0,
        *,
        backlog: int = 1024,
        max_connections: int = 256,
        read_timeout: float = 5.0,
        write_timeout: float = 10.0,
    ) -> None:
        self.addr = addr
        self.requested_port = port
        self.backlog = backlog
        self.max_connections = max_connections
        self.read_timeout = read_timeout
        self.write_timeout = write_timeout
        self._payload = b""
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self.active_connections = 0
        #: the most connections ever served at once (never above ``max_connections``)
        self.peak_connections = 0

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        if self._sock is None:
            raise RuntimeError("server not started")
        return int(self._sock.getsockname()[1])

    def set_payload(self, payload: bytes) -> None:
        """The bytes every following scrape gets (one reference swap; no lock needed)."""
        self._payload = payload

    def start(self) -> None:
        """Bind and listen (errors such as EADDRINUSE raise here), then serve in a thread."""
        family = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        sock = socket.create_server(
            (self.addr, self.requested_port), family=family, backlog=self.backlog
        )
        sock.setblocking(False)
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="botstore-metrics-http", daemon=True)
        self._thread.start()
        self._ready.wait()

    def stop(self) -> None:
        """Stop accepting, drop open connections, close the socket, join the thread."""
        loop, main = self._loop, self._main
        if loop is not None and main is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(main.cancel)
        if self._thread is not None:
            self._thread.join(30)
        if self._sock is not None:
            self._sock.close()

    # ------------------------------------------------------------------ event loop

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._main = loop.create_task(self._accept_loop())
            loop.call_soon(self._ready.set)
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._main)
        finally:
            self._ready.set()
            loop.close()

    async def _accept_loop(self) -> None:
        assert self._sock is not None  # noqa: S101 - start() sets it first
        loop = asyncio.get_running_loop()
        slots = asyncio.Semaphore(self.max_connections)
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    conn, _ = await loop.sock_accept(self._sock)
                except OSError as exc:  # EMFILE, ECONNABORTED: back off, keep serving
                    slots.release()
                    sys.stderr.write(f"botstore: metrics accept failed: {exc}\n")
                    await asyncio.sleep(0.1)
                    continue
                task = loop.create_task(self._handle(conn, slots))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        finally:
            for task in list(tasks):
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _handle(self, conn: socket.socket, slots: asyncio.Semaphore) -> None:
        loop = asyncio.get_running_loop()
        self.active_connections += 1
        self.peak_connections = max(self.peak_connections, self.active_connections)
        try:
            conn.setblocking(False)
            head = await asyncio.wait_for(self._read_head(conn), self.read_timeout)
            if head is not None:
                answer = self._answer(head)
                await asyncio.wait_for(loop.sock_sendall(conn, answer), self.write_timeout)
        except (TimeoutError, OSError):
            pass
        finally:
            conn.close()
            self.active_connections -= 1
            slots.release()

    @staticmethod
    async def _read_head(conn: socket.socket) -> bytes | None:
        loop = asyncio.get_running_loop()
        buf = b""
        while b"\r\n\r\n" not in buf and b"\n\n" not in buf:
            if len(buf) > MAX_HEAD:
                return buf[:MAX_HEAD]
            chunk = await loop.sock_recv(conn, 4096)
            if not chunk:
                return None  # closed before a full request: nothing to answer
            buf += chunk
        return buf

    def _answer(self, head: bytes) -> bytes:
        line = head.split(b"\n", 1)[0].strip()
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith(b"HTTP/"):
            return _response(400, b"bad request\n")
        method, target = parts[0], parts[1].split(b"?", 1)[0]
        if method not in {b"GET", b"HEAD"}:
            return _response(405, b"method not allowed\n", extra=b"Allow: GET, HEAD\r\n")
        if target == b"/metrics":
            body, ctype = self._payload, CONTENT_TYPE
        elif target == b"/":
            body, ctype = b"botstore metrics: see /metrics\n", "text/plain; charset=utf-8"
        else:
            return _response(404, b"not found\n")
        return _response(200, body, content_type=ctype, head_only=method == b"HEAD")


_REASONS: Final = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}


def _response(
    code: int,
    body: bytes,
    *,
    content_type: str = "text/plain; charset=utf-8",
    extra: bytes = b"",
    head_only: bool = False,
) -> bytes:
    head = (
        (
            f"HTTP/1.1 {code} {_REASONS[code]}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        ).encode()
        + extra
        + b"\r\n"
    )
    return head if head_only else head + body


class ScanLoop:
    """Runs ``attempt`` every ``interval`` seconds in a thread and hands each rendered
    outcome to ``server``; ``run_once()`` does one attempt in the caller's thread."""

    def __init__(
        self, attempt: Callable[[], ScanOutcome], server: MetricsServer, interval: float
    ) -> None:
        self._attempt = attempt
        self._server = server
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> ScanOutcome:
        outcome = self._attempt()
        self._server.set_payload(render(outcome))
        return outcome

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="botstore-metrics-scan", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.run_once()


__all__ = ["CONTENT_TYPE", "DEFAULT_ADDR", "MetricsServer", "ScanLoop"]
