# ruff: noqa: PTH100, PTH103, PTH120
"""Content verdicts that outlive the process: a one-shot ``botstore check`` reuses them.

A check every minute would otherwise re-read every document, import pydantic to
validate the JSON and pyarrow to read the Parquet footers, although nothing
changed. :class:`VerdictStore` keeps, per scanned root, the content results
(:class:`~core.health.state.ContentResult` without its data) of the JSON and
Parquet files between processes:

* **Keyed by identity** ``(st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns)``:
  ``utime`` can put an old mtime back, never an old ctime, so content changed
  behind a preserved mtime is a miss. A verdict whose file changed less than
  :data:`RECENT_NS` before the scan began is not kept (a change in the same
  timestamp tick as the one recorded would look unchanged).
* **Only content-determined verdicts** (``ContentResult.durable``): no read
  error, no validator bug, no failed Parquet file (those are checked afresh).
* **In botstore's own state directory**, never in the scanned tree (the tree is
  untrusted): the directory must be ours and private, the file ours, regular,
  mode 600 and at most :data:`MAX_BYTES`; it is replaced atomically
  (``O_EXCL`` temp file + ``rename`` relative to the directory's descriptor). A
  cache that is missing, garbage, a symlink, foreign-owned, too large or written
  by other code (:func:`code_fingerprint`) is ignored — never trusted, never a crash.
  It is disposable: no lock, no ``.bak``, no fsync; a torn file is garbage.

Data the aggregate checks need (``KEEP_DATA``) is never taken from the cache: the
scanner re-reads those files and reuses the verdict only when the descriptor it
read shows the same identity (``checks_json.reuse_json``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import time
from typing import Any, Final

import orjson

from core.health.state import ContentResult, content_key
from core.standard.findings import CODES, Finding, Severity
from core.standard.version import __version__
from core.storage.fsops import write_all
from core.tracking.history import ParquetSummary

FORMAT: Final = 1
#: The cache file is refused above this size (it holds a few hundred bytes per file).
MAX_BYTES: Final = 64 * 1024 * 1024
#: Verdicts of files changed this close to the scan's start are not kept (FAT's 2 s mtime).
RECENT_NS: Final = 2_000_000_000
_PARQUET_FIELDS: Final = tuple(ParquetSummary.__dataclass_fields__)
_SEVERITIES: Final = {s.value: s for s in Severity}
_CODES: Final = frozenset(CODES)
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY

Identity = tuple[int, int, int, int, int]


def identity(st: os.stat_result) -> Identity:
    """``(dev, ino, size, mtime_ns, ctime_ns)``: what a cached verdict is keyed by."""
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def code_fingerprint() -> str:
    """botstore's version and the ``(path, size, mtime)`` of every module of ``core``.

    Verdicts come from code (schemas, checks, messages): an upgrade or an edited
    checkout must not reuse what older code decided.
    """
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts: list[str] = [__version__]
    stack = [package]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                elif entry.name.endswith(".py"):
                    st = entry.stat(follow_symlinks=False)
                    parts.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}")
            except OSError:
                continue
    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def cache_name(root: str) -> str:
    """The cache file's name for ``root`` (an absolute path) inside the state directory."""
    return f"verdicts-{hashlib.sha256(os.fsencode(root)).hexdigest()[:32]}.json"


def _open_private_dir(path: str) -> int | None:
    """A descriptor of ``path`` if it is a directory of ours that no one else can enter."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    st = os.fstat(fd)
    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o077:
        return fd
    os.close(fd)
    return None


def _encode(result: ContentResult) -> list[Any]:
    summary = result.parquet
    return [
        result.ok,
        result.sensitive_keys,
        [[f.code, f.severity.value, f.path, f.message] for f in result.findings],
        None if summary is None else [getattr(summary, name) for name in _PARQUET_FIELDS],
    ]


def _decode_finding(item: Any) -> Finding | None:
    if not (isinstance(item, list) and len(item) == 4 and all(isinstance(x, str) for x in item)):
        return None
    code, severity, path, message = item
    level = _SEVERITIES.get(severity)
    if code not in _CODES or level is None:
        return None
    return Finding(code, level, path, message)


def _decode_summary(item: Any) -> ParquetSummary | None:
    if not (isinstance(item, list) and len(item) == len(_PARQUET_FIELDS)):
        return None
    for name, value in zip(_PARQUET_FIELDS, item, strict=True):
        if value is None:
            continue
        if name in ("rows", "gaps", "duplicates"):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif name == "last_candle_age_s":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            return None
    if not isinstance(item[0], str):  # the path is never None
        return None
    return ParquetSummary(*item)


def _decode(key: tuple[int, int, int], value: list[Any]) -> ContentResult | None:
    ok, sensitive, raw_findings, raw_summary = value[5:]
    if not (
        isinstance(ok, bool) and isinstance(sensitive, bool) and isinstance(raw_findings, list)
    ):
        return None
    findings: list[Finding] = []
    for item in raw_findings:
        found = _decode_finding(item)
        if found is None:
            return None
        findings.append(found)
    summary: ParquetSummary | None = None
    if raw_summary is not None:
        summary = _decode_summary(raw_summary)
        if summary is None:
            return None
    return ContentResult(
        key, tuple(findings), ok=ok, sensitive_keys=sensitive, parquet=summary, durable=True
    )


class VerdictStore:
    """The persisted content verdicts of one root (see the module docstring).

    ``begin`` at the start of a full scan, ``get``/``put``/``keep`` per content
    check, ``save`` at its end: the file then holds exactly the verdicts that scan
    used, and is rewritten only when that set changed.
    """

    def __init__(self, directory: str | os.PathLike[str], root: str) -> None:
        self.directory = os.path.abspath(os.fspath(directory))
        self.root = root
        self.name = cache_name(root)
        self._code: str | None = None
        self._loaded: dict[str, list[Any]] | None = None
        self._used: dict[str, list[Any]] = {}
        self._recent_ns = time.time_ns() - RECENT_NS

    # ------------------------------------------------------------------ reading

    def _fingerprint(self) -> str:
        if self._code is None:
            self._code = code_fingerprint()
        return self._code

    def _read(self) -> bytes | None:
        try:
            dfd = _open_private_dir(self.directory)
        except OSError:
            return None
        if dfd is None:
            return None
        try:
            fd = os.open(self.name, _OPEN_FLAGS, dir_fd=dfd)
        except OSError:
            return None
        finally:
            os.close(dfd)
        try:
            st = os.fstat(fd)
            if (
                not stat.S_ISREG(st.st_mode)
                or st.st_uid != os.geteuid()
                or stat.S_IMODE(st.st_mode) & 0o077
                or st.st_size > MAX_BYTES
            ):
                return None
            chunks: list[bytes] = []
            remaining = MAX_BYTES + 1
            while remaining > 0:
                chunk = os.read(fd, min(remaining, st.st_size + 1))
                if not chunk:
                    break
                chunks.append(chunk)
                remaining -= len(chunk)
            return None if remaining <= 0 else b"".join(chunks)
        except OSError:
            return None
        finally:
            os.close(fd)

    def _entries(self) -> dict[str, list[Any]]:
        """The loaded file's entries; empty when there is none or it is not trusted."""
        if self._loaded is None:
            self._loaded = {}
            payload = self._read()
            if payload is not None:
                with contextlib.suppress(Exception):  # garbage of any shape: ignored
                    doc = orjson.loads(payload)
                    if (
                        isinstance(doc, dict)
                        and doc.get("format") == FORMAT
                        and doc.get("root") == self.root
                        and doc.get("code") == self._fingerprint()
                        and isinstance(doc.get("files"), dict)
                    ):
                        self._loaded = doc["files"]
        return self._loaded

    # ------------------------------------------------------------------ per file

    def begin(self, now: float) -> None:
        """A full scan starts at ``now``: forget which verdicts the last one used."""
        self._used = {}
        self._recent_ns = int(now * 1e9) - RECENT_NS

    def _current(self, rel: str, st: os.stat_result) -> list[Any] | None:
        """The stored entry of ``rel`` if it was made for the file ``st`` describes."""
        value = self._entries().get(rel)
        if isinstance(value, list) and len(value) == 9 and list(identity(st)) == value[:5]:
            return value
        return None

    def get(self, rel: str, st: os.stat_result) -> ContentResult | None:
        """The kept verdict for ``rel`` if its identity is ``st``'s (no data), else None."""
        value = self._current(rel, st)
        if value is None:
            return None
        result = _decode(content_key(st), value)
        if result is not None:
            self._used[rel] = value
        return result

    def put(self, rel: str, st: os.stat_result, result: ContentResult) -> None:
        """Keep ``result`` for ``rel`` if it is durable and the file did not change just now."""
        if result.durable and st.st_ctime_ns < self._recent_ns:
            self._used[rel] = [*identity(st), *_encode(result)]
        else:
            self._used.pop(rel, None)

    def keep(self, rel: str, st: os.stat_result) -> None:
        """``rel`` was judged from the in-process cache: keep its stored verdict if current."""
        value = self._current(rel, st)
        if value is not None:
            self._used[rel] = value

    # ------------------------------------------------------------------ writing

    def save(self) -> None:
        """Write the verdicts this scan used when they differ from the file's; never raises."""
        if self._used == self._entries():
            return
        doc = {
            "format": FORMAT,
            "root": self.root,
            "code": self._fingerprint(),
            "files": self._used,
        }
        with contextlib.suppress(OSError, TypeError, ValueError):
            payload = orjson.dumps(doc)
            if len(payload) <= MAX_BYTES:  # a larger file would be refused when read
                self._write(payload)
        self._loaded = dict(self._used)

    def _write(self, payload: bytes) -> None:
        with contextlib.suppress(FileExistsError):
            os.makedirs(self.directory, 0o700)
        dfd = _open_private_dir(self.directory)
        if dfd is None:
            return
        try:
            tmp = f".{self.name}.{os.urandom(8).hex()}.tmp"
            fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=dfd,
            )
            try:
                try:
                    write_all(fd, payload)
                finally:
                    os.close(fd)
                os.rename(tmp, self.name, src_dir_fd=dfd, dst_dir_fd=dfd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp, dir_fd=dfd)
                raise
        finally:
            os.close(dfd)


__all__ = ["MAX_BYTES", "RECENT_NS", "VerdictStore", "cache_name", "code_fingerprint", "identity"]
