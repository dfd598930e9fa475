"""Fixtures shared across test modules.

GCS: ``gcs`` is the one fake-gcs-server of the session (started on first use,
stopped at the end; see ``tests/gcs_emulator.py``), ``client`` a storage client
pointed at it, ``bucket`` a fresh, uniquely named bucket per test.

Exchange: ``fake`` is a running fake Coinbase per test (``tests/fake_exchange.py``);
``no_secret_leaks`` greps every output of a test for its credentials — a module opts in
with ``pytestmark = pytest.mark.usefixtures("no_secret_leaks")``.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fake_exchange import FakeCoinbase, guard_secrets
from gcs_emulator import Emulator, acquire_shared, release_shared

from core import cloud

# The journal key's state dir (core.actions.hostkey): private to this test session,
# inherited by the CLI subprocesses, never the host's /var/lib/botstore.
os.environ.setdefault("BOTSTORE_STATE_DIR", tempfile.mkdtemp(prefix="botstore-state-"))


@pytest.fixture(scope="session")
def gcs() -> Iterator[Emulator]:
    server = acquire_shared()
    yield server
    release_shared()


@pytest.fixture
def client(gcs: Emulator) -> Iterator[Any]:
    c = cloud.make_client(endpoint=gcs.url)
    yield c
    c.close()


@pytest.fixture
def bucket(client: Any) -> str:
    name = f"bkt-{uuid.uuid4().hex[:12]}"
    client.create_bucket(name)
    return name


@pytest.fixture
def fake() -> Iterator[FakeCoinbase]:
    server = FakeCoinbase().start()
    yield server
    server.stop()


@pytest.fixture
def no_secret_leaks(
    request: pytest.FixtureRequest,
    tmp_path: Any,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[None]:
    yield from guard_secrets(request, tmp_path, caplog, capsys)
