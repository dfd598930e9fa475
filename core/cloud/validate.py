"""The content check of a backed-up file, the same for ``sync`` and ``restore``.

JSON goes through the one validation path (``core.documents.validation.judge_bytes``);
Parquet gets its footer read and the scan's content probe (``core.tracking.probe``).
``sync`` runs it before uploading, ``restore`` and ``verify_cloud`` on what they
downloaded, so a file ``sync`` accepted is one ``restore`` accepts.
"""

from __future__ import annotations

import importlib
import io
import os
from pathlib import Path
from typing import IO

from core.cloud.client import describe_error
from core.documents.validation import judge_bytes
from core.tracking.probe import probe_content, probe_handle


def validate_file(rel: str, path: Path | IO[bytes]) -> list[str]:
    """Problems with a file's content: JSON through the one validation path
    (:func:`core.documents.validation.judge_bytes`), Parquet footer and content probe.

    The one check both ``restore`` (on the downloaded copy) and ``sync`` (before
    uploading) run, so a file ``sync`` accepted is one ``restore`` accepts.
    ``path`` may also be an open binary file (a large file ``sync`` keeps open).
    """
    if rel.endswith(".json"):
        try:
            payload = path.read_bytes() if isinstance(path, Path) else path.read()
        except OSError as exc:
            return [f"{rel}: {describe_error(exc)}"]
        return validate_payload(rel, payload)
    if rel.endswith(".parquet"):
        try:
            parquet = importlib.import_module("pyarrow.parquet")
            meta = parquet.ParquetFile(path).metadata  # reads and checks the footer
        except (OSError, ValueError) as exc:  # pyarrow: ArrowIOError / ArrowInvalid
            return [f"{rel}: not a readable Parquet file ({describe_error(exc)})"]
        if isinstance(path, Path):
            problem = probe_content(os.fspath(path), meta.num_rows)  # the scan's probe
        else:
            path.seek(0)
            problem = probe_handle(path, meta.num_rows)
        if problem is not None:
            return [f"{rel}: footer intact but the data is unreadable ({problem})"]
    return []


def validate_payload(rel: str, payload: bytes) -> list[str]:
    """:func:`validate_file` for bytes in memory (what ``sync`` is about to upload, what
    ``restore`` has just downloaded: one read, what is checked is what is kept)."""
    if rel.endswith(".json"):
        verdict = judge_bytes(rel, payload)
        if verdict.error is not None:
            return [f"{rel}: {describe_error(verdict.error)}"]
        if verdict.code == "version":
            return [f"{rel}: {v}" for v in verdict.problems]
        return [f"{rel}: schema {verdict.kind}: {v}" for v in verdict.problems]
    if rel.endswith(".parquet"):
        return validate_file(rel, io.BytesIO(payload))
    return []


__all__ = ["validate_file", "validate_payload"]
