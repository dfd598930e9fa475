"""Shared by the metrics tests: a real ``botstore metrics --listen`` process, stopping a
process, free ports, the Prometheus tools (skipped where not installed)."""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BOTSTORE = str(Path(sys.executable).with_name("botstore"))
UNITS = Path(__file__).resolve().parent.parent / "deploy" / "systemd"


@contextlib.contextmanager
def listening(root: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    """``botstore metrics --root ROOT --listen 0 EXTRA...``; yields the process and its port
    (read from its start-up line) and stops it (SIGTERM, then SIGKILL) afterwards."""
    argv = [BOTSTORE, "metrics", "--root", str(root), "--listen", "0", *extra]
    with subprocess.Popen(argv, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stderr is not None
            line = proc.stderr.readline()
            assert "serving metrics on http://" in line, line
            yield proc, int(line.rsplit(":", 1)[1].split("/")[0])
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM a still-running process, SIGKILL it after 30 s, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def prometheus_tool(name: str, debian_packages: str) -> str:
    """The path of an installed Prometheus tool, else the test is skipped saying what to
    install (``.ci/run`` installs them all)."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(
            f"{name} is not installed (Debian: apt-get install {debian_packages}); "
            ".ci/run installs it"
        )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def keys(text: str) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file (comments and section headers skipped)."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def exec_argv(unit: str, env: dict[str, str] | None = None) -> list[str]:
    """The ``ExecStart=`` argv of a shipped unit, ``${VAR}`` from its ``Environment=`` (or
    ``env``, as a drop-in would set it)."""
    text = (UNITS / unit).read_text()
    values = keys(text)
    env = dict(
        item.split("=", 1) for e in values.get("Environment", []) for item in shlex.split(e)
    ) | (env or {})
    (line,) = values["ExecStart"]
    line = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], line)
    return shlex.split(line)
