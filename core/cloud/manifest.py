"""What gets synced, how objects are named, and the per-run manifest.

Layout in the bucket (no reliance on bucket versioning)::

    <prefix>/<host>/<run>/<relpath>        file bytes uploaded by that run
    <prefix>/<host>/<run>/.claim           the run's claim, written first (conditional)
    <prefix>/<host>/<run>/manifest.json    written last: the run is complete

``<run>`` is the UTC start time ``yyyymmddTHHMMSSZ``. A manifest lists *every*
synced file with its sha256, size and the object holding those bytes, which
for unchanged files is an object of an earlier run: each manifest is a complete
snapshot, and pruning keeps every object a kept manifest references.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Final

from core.errors import StorageError
from core.standard import layout
from core.standard.layout import BACKUP_SUFFIX
from core.standard.policy import is_sensitive_name
from core.standard.times import compact_stamp, parse_compact, parse_ts
from core.standard.version import __version__
from core.storage.codec import dumps, parse_json
from core.storage.names import is_lock_name, is_temp_name

MANIFEST_NAME: Final = "manifest.json"
CLAIM_NAME: Final = ".claim"
MANIFEST_FORMAT: Final = "botstore-cloud-manifest"
MANIFEST_VERSION: Final = 1
_RUN_RE: Final = re.compile(r"^\d{8}T\d{6}Z$")
_HOST_RE: Final = re.compile(r"[^A-Za-z0-9._-]+")

#: What ``botstore sync`` backs up by default (the standard's "Files" list plus
#: the critical portfolio). Directories are walked recursively.
DEFAULT_INCLUDE: Final = (
    layout.PORTFOLIO,
    layout.PERFORMANCE_DIR,
    layout.BACKTEST_DIR,
    layout.HISTORICAL_DIR,
    layout.TRADES_DIR,  # the real bot's trade history: needed to resume (and for taxes)
    "dashboard/data",
)
#: Never synced: temp/lock files of our writers, local ``.bak`` copies (the
#: bucket keeps its own history), hidden files (``.quarantine`` ...), files whose
#: name says they hold secrets.
CHUNK: Final = 1 << 20


def hostname() -> str:
    """This machine's name, made safe for an object-name segment."""
    return safe_host(socket.gethostname())


def safe_host(name: str) -> str:
    cleaned = _HOST_RE.sub("-", name.strip()).strip(".-")
    return cleaned or "unknown-host"


def run_id(when: dt.datetime) -> str:
    """UTC ``yyyymmddTHHMMSSZ`` for a timezone-aware (or naive UTC) datetime."""
    return compact_stamp(when)


def iso_utc(ts: float | dt.datetime) -> str:
    """ISO 8601 UTC with ``Z`` (microseconds kept): a manifest's ``created`` and ``mtime``,
    the times of a sync run and of its status file."""
    when = ts if isinstance(ts, dt.datetime) else dt.datetime.fromtimestamp(ts, dt.UTC)
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def parse_run_id(text: str) -> dt.datetime:
    return parse_compact(text)


def is_run_id(text: str) -> bool:
    return bool(_RUN_RE.match(text))


def parse_time(text: str) -> dt.datetime:
    """``--at``: a run id (``20260101T000000Z``) or ISO 8601 (naive means UTC)."""
    text = text.strip()
    if is_run_id(text):
        return parse_run_id(text)
    when = parse_ts(text)
    if when is None:
        raise ValueError(
            f"cannot parse time {text!r}: use ISO 8601 (2026-01-31T12:00:00Z) "
            "or a run id (20260131T120000Z)"
        )
    return when


def clean_prefix(prefix: str) -> str:
    return "/".join(part for part in prefix.strip().split("/") if part)


def join(*parts: str) -> str:
    """Join object-name segments, skipping empty ones (an empty prefix is allowed)."""
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


def host_prefix(prefix: str, host: str) -> str:
    return join(clean_prefix(prefix), host) + "/"


def run_prefix(prefix: str, host: str, run: str) -> str:
    return join(clean_prefix(prefix), host, run) + "/"


# --------------------------------------------------------------------------- local files


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A candidate for upload: a regular file under the root."""

    rel: str  # POSIX relpath under the root
    path: Path
    size: int
    mtime: float


def is_skipped_name(name: str) -> bool:
    return (
        name.startswith(".")
        or is_temp_name(name)
        or is_lock_name(name)
        or name.endswith(BACKUP_SUFFIX)
        or is_sensitive_name(name)
    )


def collect(
    root: Path, include: Sequence[str] = DEFAULT_INCLUDE
) -> tuple[list[LocalFile], list[str]]:
    """The files to sync under ``root`` and the relpaths skipped (with why, for the report).

    Symlinks are never followed (a link could point anywhere, including a
    secret); special files are skipped.
    """
    files: dict[str, LocalFile] = {}
    skipped: list[str] = []
    for entry in include:
        start = root / entry
        for path in _walk(start, skipped, root):
            rel = path.relative_to(root).as_posix()
            if rel in files:
                continue
            try:
                st = os.lstat(path)
            except OSError:
                skipped.append(f"{rel} (vanished while listing)")
                continue
            if not stat.S_ISREG(st.st_mode):
                skipped.append(f"{rel} (not a regular file)")
                continue
            files[rel] = LocalFile(rel, path, st.st_size, st.st_mtime)
    return sorted(files.values(), key=lambda f: f.rel), skipped


def _walk(start: Path, skipped: list[str], root: Path) -> Iterator[Path]:
    try:
        st = os.lstat(start)
    except FileNotFoundError:
        return
    rel = start.relative_to(root).as_posix()
    if stat.S_ISLNK(st.st_mode):
        skipped.append(f"{rel} (symlink, not followed)")
        return
    if stat.S_ISREG(st.st_mode):
        if is_skipped_name(start.name):
            return
        yield start
        return
    if not stat.S_ISDIR(st.st_mode):
        skipped.append(f"{rel} (not a regular file)")
        return
    for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():
                skipped.append(f"{(base / d).relative_to(root).as_posix()} (symlink, not followed)")
                dirnames.remove(d)
        for name in sorted(filenames):
            if is_skipped_name(name):
                if is_sensitive_name(name) and not name.startswith("."):
                    skipped.append(
                        f"{(base / name).relative_to(root).as_posix()} "
                        "(sensitive file name, never uploaded)"
                    )
                continue
            path = base / name
            if path.is_symlink():
                skipped.append(f"{path.relative_to(root).as_posix()} (symlink, not followed)")
                continue
            yield path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_stream(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def sha256_file(path: Path) -> tuple[str, int]:
    with path.open("rb") as handle:
        return sha256_stream(iter(lambda: handle.read(CHUNK), b""))


def schema_version(rel: str, payload: bytes) -> str | None:
    """The ``version`` key of a JSON object, as a string (None otherwise)."""
    if not rel.endswith(".json"):
        return None
    try:
        data = parse_json(payload, rel)
    except StorageError:
        return None
    if isinstance(data, dict) and isinstance(data.get("version"), str | int | float):
        return str(data["version"])
    return None


# --------------------------------------------------------------------------- manifest


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    sha256: str
    size: int
    object: str
    mtime: str
    schema_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "sha256": self.sha256,
            "size": self.size,
            "object": self.object,
            "mtime": self.mtime,
        }
        if self.schema_version is not None:
            data["schema_version"] = self.schema_version
        return data


@dataclass(slots=True)
class Manifest:
    """One run's complete snapshot: relpath -> entry."""

    host: str
    run: str
    prefix: str
    files: dict[str, ManifestEntry] = field(default_factory=dict)
    created: str = ""
    uploaded: int = 0
    botstore_version: str = __version__

    @property
    def name(self) -> str:
        return run_prefix(self.prefix, self.host, self.run) + MANIFEST_NAME

    @property
    def time(self) -> dt.datetime:
        return parse_run_id(self.run)

    def to_bytes(self) -> bytes:
        return dumps(
            {
                "format": MANIFEST_FORMAT,
                "manifest_version": MANIFEST_VERSION,
                "host": self.host,
                "run": self.run,
                "prefix": self.prefix,
                "created": self.created,
                "botstore_version": self.botstore_version,
                "uploaded": self.uploaded,
                "files": {rel: entry.to_dict() for rel, entry in sorted(self.files.items())},
            }
        )

    @classmethod
    def from_bytes(cls, payload: bytes, name: str) -> Manifest:
        """Parse and check a manifest; raises ValueError saying what is wrong."""
        try:
            data = parse_json(payload, name)
        except StorageError as exc:
            raise ValueError(f"manifest {name} is not valid JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"{name} is not a botstore manifest")
        if data.get("manifest_version") != MANIFEST_VERSION:
            raise ValueError(
                f"manifest {name} has unsupported version {data.get('manifest_version')!r}"
            )
        files: dict[str, ManifestEntry] = {}
        raw_files = data.get("files")
        if not isinstance(raw_files, dict):
            raise ValueError(f"manifest {name} has no file table")  # noqa: TRY004
        for rel, raw in raw_files.items():
            if not isinstance(raw, dict) or not safe_relpath(rel):
                raise ValueError(f"manifest {name}: bad entry {rel!r}")
            try:
                files[rel] = ManifestEntry(
                    sha256=str(raw["sha256"]),
                    size=int(raw["size"]),
                    object=str(raw["object"]),
                    mtime=str(raw.get("mtime", "")),
                    schema_version=(
                        None if raw.get("schema_version") is None else str(raw["schema_version"])
                    ),
                )
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"manifest {name}: bad entry {rel!r}") from None
        return cls(
            host=str(data.get("host", "")),
            run=str(data.get("run", "")),
            prefix=str(data.get("prefix", "")),
            files=files,
            created=str(data.get("created", "")),
            uploaded=int(data.get("uploaded", 0)),
            botstore_version=str(data.get("botstore_version", "")),
        )


def safe_relpath(rel: str) -> bool:
    """A manifest path may never escape the restore directory."""
    if not isinstance(rel, str) or not rel or "\\" in rel or "\x00" in rel:
        return False
    pure = PurePosixPath(rel)
    return not pure.is_absolute() and ".." not in pure.parts and pure.as_posix() == rel
