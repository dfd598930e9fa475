"""Fixtures shared across test modules.

GCS: ``gcs`` is the one fake-gcs-server of the session (started on first use,
stopped at the end; see ``tests/gcs_emulator.py``), ``client`` a storage client
pointed at it, ``bucket`` a fresh, uniquely named bucket per test.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
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
