"""Cached per-file results, keyed by what identifies a file's content on disk."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from core.findings import Finding
from core.report import ParquetSummary

#: ``(st_mtime_ns, st_size, st_ino)``: a changed file changes at least one of these.
ContentKey = tuple[int, int, int]


def content_key(st: os.stat_result) -> ContentKey:
    return (st.st_mtime_ns, st.st_size, st.st_ino)


@dataclass(slots=True)
class ContentResult:
    """What reading a file (JSON or Parquet footer) found; reused while its key is unchanged."""

    key: ContentKey
    findings: tuple[Finding, ...] = ()
    ok: bool = True  # parsed (and, for JSON, schema-valid)
    sensitive_keys: bool = False
    data: Any = None  # kept only for the files aggregate checks need
    parquet: ParquetSummary | None = None


@dataclass(slots=True)
class DiskSample:
    at: float  # time.time()
    tree_bytes: int


@dataclass(slots=True)
class GrowthHistory:
    """Tree sizes seen at successive scans, for the growth rate and time-to-full."""

    samples: list[DiskSample] = field(default_factory=list)

    def add(self, at: float, tree_bytes: int, keep_s: float) -> None:
        self.samples.append(DiskSample(at, tree_bytes))
        horizon = at - max(keep_s * 6, 3600.0)
        while len(self.samples) > 2 and self.samples[0].at < horizon:
            self.samples.pop(0)
        if len(self.samples) > 4096:
            del self.samples[: len(self.samples) - 4096]

    def rate(self, min_window_s: float) -> float | None:
        """Bytes per second over the whole history, once it spans ``min_window_s``."""
        if len(self.samples) < 2:
            return None
        first, last = self.samples[0], self.samples[-1]
        window = last.at - first.at
        if window <= 0 or window < min_window_s:
            return None
        return (last.tree_bytes - first.tree_bytes) / window
