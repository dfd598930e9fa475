"""Cached per-file results, keyed by what identifies a file's content on disk."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from core.standard.findings import Finding
from core.tracking.history import ParquetSummary

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
    #: The verdict follows from the content alone (no read error, no validator bug, not a
    #: failed Parquet file): ``verdicts.VerdictStore`` may keep it between processes.
    durable: bool = False


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


class FileKey(NamedTuple):
    """A regular file kept as its content key alone (``ContentKey`` order), not its ``lstat``.

    The scanner keeps one per checked regular file that no later step reads the full
    ``lstat`` of (not a role file, not time-dependent): 3 ints instead of a 19-field
    ``os.stat_result`` with its int and float objects.
    """

    mtime_ns: int
    size: int
    ino: int


class CleanFile(FileKey):
    """A :class:`FileKey` whose content check (JSON) found nothing: findings empty, parsed,
    schema-valid, no sensitive keys, no kept data. Its :class:`ContentResult` is not stored;
    :func:`clean_result` rebuilds it while the key is unchanged."""

    __slots__ = ()


def clean_result(key: ContentKey) -> ContentResult:
    """The content result a :class:`CleanFile` stands for."""
    return ContentResult(key)


def is_clean(result: ContentResult) -> bool:
    """True when ``result`` carries nothing but its key (see :class:`CleanFile`)."""
    return (
        not result.findings
        and result.ok
        and not result.sensitive_keys
        and result.data is None
        and result.parquet is None
    )


#: What the scanner keeps per entry: the ``lstat`` result (directories, symlinks,
#: special files, role and time-dependent files), a :class:`FileKey` / :class:`CleanFile`
#: for other checked regular files, or just the size (``int``) for an ordinary regular
#: file that passed every check on the fast path.
Entry = os.stat_result | FileKey | int


def entry_size(entry: Entry) -> int:
    if isinstance(entry, int):
        return entry
    if isinstance(entry, FileKey):
        return entry.size
    return entry.st_size


def entry_ino(entry: Entry) -> int | None:
    """The inode number, ``None`` for a fast-path file (kept as its size only)."""
    if isinstance(entry, int):
        return None
    if isinstance(entry, FileKey):
        return entry.ino
    return entry.st_ino


def entry_is_file(entry: Entry) -> bool:
    return isinstance(entry, (int, FileKey)) or stat.S_ISREG(entry.st_mode)


def entry_is_dir(entry: Entry) -> bool:
    return isinstance(entry, os.stat_result) and stat.S_ISDIR(entry.st_mode)


class EntryMap:
    """Entries below the root, stored per directory (cheaper than one flat dict of paths)."""

    __slots__ = ("dirs",)

    def __init__(self) -> None:
        self.dirs: dict[str, dict[str, Entry]] = {}

    def get(self, rel: str) -> Entry | None:
        directory, _, name = rel.rpartition("/")
        names = self.dirs.get(directory)
        return None if names is None else names.get(name)

    def __contains__(self, rel: object) -> bool:
        return isinstance(rel, str) and self.get(rel) is not None

    def set(self, rel: str, entry: Entry) -> None:
        directory, _, name = rel.rpartition("/")
        self.dirs.setdefault(directory, {})[name] = entry

    def pop(self, rel: str) -> Entry | None:
        directory, _, name = rel.rpartition("/")
        names = self.dirs.get(directory)
        return None if names is None else names.pop(name, None)

    def __len__(self) -> int:
        return sum(len(names) for names in self.dirs.values())

    def items(self) -> Iterator[tuple[str, Entry]]:
        for directory, names in list(self.dirs.items()):
            prefix = f"{directory}/" if directory else ""
            for name, entry in list(names.items()):
                yield prefix + name, entry

    def under(self, rel: str) -> list[str]:
        """Every path strictly below directory ``rel``."""
        prefix = rel + "/"
        out: list[str] = []
        for directory, names in self.dirs.items():
            if directory == rel or directory.startswith(prefix):
                out.extend(f"{directory}/{name}" for name in names)
        return out
