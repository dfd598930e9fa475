# str paths on purpose: the scan is hot, and Path objects cost.
# ruff: noqa: PTH115, PTH116, PTH118, PTH120
"""Per-entry checks of the health scan: regular files, directories, symlinks, special files.

:class:`EntryChecks` judges one ``lstat`` result: naming, temp leftovers, mode and
owner, size limits, staleness, and — for JSON and history Parquet files — the
content verdict (``scan_content``). ``_settle``
decides how compactly the entry is kept afterwards. Any exception becomes an
``unreadable`` finding for that entry: one bad file never stops the scan.
"""

from __future__ import annotations

import os
import stat

from core.health.checks_json import JSON_TOPS, KEEP_DATA
from core.health.checks_parquet import (
    HISTORICAL_PREFIX,
    stale_candle,
)
from core.health.checks_perms import check_mode
from core.health.report import FileStat
from core.health.scan_base import LISTED_TOPS, MB, ROLES
from core.health.scan_content import ContentChecks
from core.health.state import (
    CleanFile,
    ContentResult,
    Entry,
    FileKey,
    is_clean,
)
from core.health.walk import display_path, is_utf8_name, os_error_finding
from core.standard.findings import Finding, Severity
from core.standard.policy import DIR_MODE, file_mode, is_log_path, is_sensitive_name
from core.standard.units import format_span as _age_text

_S_ISREG = stat.S_ISREG
_S_ISDIR = stat.S_ISDIR
_S_ISLNK = stat.S_ISLNK
_new_tuple = tuple.__new__


def _file_kind(name: str) -> str:
    if name.endswith(".json"):
        return "json"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".bak"):
        return "backup"
    if is_log_path(name):
        return "log"
    return "other"


class EntryChecks(ContentChecks):
    """The findings for one entry, and what to keep of it (see the module docstring)."""

    def _evaluate(
        self,
        rel: str,
        st: os.stat_result,
        now: float,
        cache: dict[str, ContentResult],
        prev: Entry | None,
    ) -> list[Finding] | None:
        """The findings for one entry; ``prev`` is what the previous scan kept for it."""
        try:
            mode = st.st_mode
            if _S_ISREG(mode):
                return self._check_file(rel, st, now, cache, prev)
            if _S_ISDIR(mode):
                return self._check_dir(rel, st)
            if _S_ISLNK(mode):
                return self._check_symlink(rel)
            return self._check_special(rel, mode)
        except Exception as exc:  # noqa: BLE001 - one bad entry must never stop the scan
            return [
                Finding(
                    "unreadable",
                    Severity.WARNING,
                    display_path(rel),
                    f"internal error while checking: {type(exc).__name__}: {exc}",
                )
            ]

    def _owner(self, rel: str, st: os.stat_result, out: list[Finding]) -> None:
        if st.st_uid != self._root_uid or st.st_gid != self._root_gid:
            out.append(
                Finding(
                    "permissions",
                    Severity.WARNING,
                    display_path(rel),
                    f"owner {st.st_uid}:{st.st_gid} differs from the root's "
                    f"{self._root_uid}:{self._root_gid}",
                )
            )

    def _mode_and_owner(
        self,
        rel: str,
        st: os.stat_result,
        expected: int | None,
        *,
        sensitive: bool,
        out: list[Finding] | None,
    ) -> list[Finding] | None:
        """``out`` plus the mode finding (against ``expected``; ``None``: not checked) and the
        owner finding of one entry, as the config asks; the one place both checks run."""
        config = self.config
        if expected is not None and st.st_mode & 0o777 != expected:
            found = check_mode(
                display_path(rel),
                st.st_mode,
                expected,
                sensitive=sensitive,
                is_dir=_S_ISDIR(st.st_mode),
                stricter_is_info=config.stricter_is_info,
            )
            if found is not None:
                out = [*(out or ()), found]
        if config.check_owner and (st.st_uid != self._root_uid or st.st_gid != self._root_gid):
            out = out or []
            self._owner(rel, st, out)
        return out

    def _check_dir(self, rel: str, st: os.stat_result) -> list[Finding] | None:
        out: list[Finding] | None = None
        config = self.config
        if rel in ROLES:  # e.g. a directory left where data/portfolio.json should be
            out = [
                Finding(
                    "special_file",
                    Severity.CRITICAL if ROLES[rel] == "critical" else Severity.WARNING,
                    display_path(rel),
                    "is a directory, not a regular file",
                )
            ]
        out = self._mode_and_owner(
            rel, st, DIR_MODE if config.check_modes else None, sensitive=False, out=out
        )
        if not is_utf8_name(rel.rpartition("/")[2]):
            out = out or []
            out.append(
                Finding(
                    "naming",
                    Severity.WARNING,
                    display_path(rel),
                    "directory name is not valid UTF-8",
                )
            )
        return out

    def _check_symlink(self, rel: str) -> list[Finding]:
        display = display_path(rel)
        severity = Severity.CRITICAL if ROLES.get(rel) == "critical" else Severity.WARNING
        abs_path = f"{self.root}/{rel}"
        try:
            target = os.readlink(abs_path)
        except OSError as exc:
            return [os_error_finding(rel, "cannot read symlink", exc)]
        shown = display_path(target)
        resolved = os.path.normpath(os.path.join(os.path.dirname(abs_path), target))
        if resolved != self.root and not resolved.startswith(self.root + "/"):
            return [
                Finding(
                    "symlink",
                    Severity.CRITICAL,
                    display,
                    f"symlink escapes the root -> {shown} (not followed)",
                )
            ]
        try:
            os.stat(abs_path)  # resolves the link (inside the root) without opening anything
        except OSError as exc:
            return [
                Finding(
                    "symlink",
                    Severity.WARNING,
                    display,
                    f"dangling symlink -> {shown} ({exc.strerror or exc})",
                )
            ]
        if rel in ROLES:
            return [
                Finding(
                    "symlink",
                    severity,
                    display,
                    f"is a symlink -> {shown}; atomic writes refuse symlinked targets",
                )
            ]
        return [Finding("symlink", Severity.INFO, display, f"symlink -> {shown} (not followed)")]

    def _check_special(self, rel: str, mode: int) -> list[Finding]:
        if stat.S_ISFIFO(mode):
            what = "a FIFO"
        elif stat.S_ISSOCK(mode):
            what = "a socket"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            what = "a device node"
        else:
            what = "a special file"
        severity = Severity.CRITICAL if ROLES.get(rel) == "critical" else Severity.WARNING
        return [
            Finding(
                "special_file",
                severity,
                display_path(rel),
                f"is {what}, not a regular file (never opened)",
            )
        ]

    def _check_file(
        self,
        rel: str,
        st: os.stat_result,
        now: float,
        cache: dict[str, ContentResult],
        prev: Entry | None,
    ) -> list[Finding] | None:
        slash = rel.rfind("/")
        name = rel[slash + 1 :]
        config = self.config
        if not rel.isascii() and not is_utf8_name(name):
            return [
                Finding(
                    "naming",
                    Severity.WARNING,
                    display_path(rel),
                    "file name is not valid UTF-8 (contents not checked)",
                )
            ]
        if name.endswith(".tmp"):
            self._timed.add(rel)
            age = now - st.st_mtime
            level = config.threshold("temp_leftover_seconds", rel).level_above(age)
            if level is None:
                return None
            return [
                Finding(
                    "temp_leftover",
                    Severity(level),
                    display_path(rel),
                    f"temporary file left by an interrupted write, {_age_text(age)} old",
                )
            ]
        if name[0] == "." and name.endswith(".lock"):
            return None
        out: list[Finding] | None = None
        role = ROLES.get(rel)
        top = rel[:slash].partition("/")[0] if slash > 0 else ""
        content: ContentResult | None = None
        readable = self._access.readable(st)
        if not readable:
            out = [
                Finding(
                    "unreadable",
                    Severity.CRITICAL if role == "critical" else Severity.WARNING,
                    display_path(rel),
                    "permission denied: cannot be read by this user",
                )
            ]
        elif top in JSON_TOPS:
            if name.endswith((".json", ".json.bak")):
                content = self._content_for(rel, st, cache, prev, json=True, role=role)
            elif name.endswith(".parquet") and rel.startswith(HISTORICAL_PREFIX):
                content = self._content_for(rel, st, cache, prev, json=False, role=role)
        if content is not None and content.findings:
            out = list(content.findings)
        sensitive = is_sensitive_name(name) or (content is not None and content.sensitive_keys)
        expected = file_mode(rel, sensitive=sensitive) if config.check_modes else None
        out = self._mode_and_owner(rel, st, expected, sensitive=sensitive, out=out)
        out = self._limits(rel, name, st, now, top=top, role=role, content=content, out=out)
        if top in LISTED_TOPS or out:
            self._filestats[rel] = FileStat(
                path=display_path(rel),
                size=st.st_size,
                mtime=st.st_mtime,
                mode=st.st_mode & 0o7777,
                uid=st.st_uid,
                gid=st.st_gid,
                expected_mode=expected,
                sensitive=sensitive,
                role=role,
                size_delta=None,
                kind=_file_kind(name),
            )
        return out

    def _limits(
        self,
        rel: str,
        name: str,
        st: os.stat_result,
        now: float,
        *,
        top: str,
        role: str | None,
        content: ContentResult | None,
        out: list[Finding] | None,
    ) -> list[Finding] | None:
        """``out`` plus the limits of a regular file: size, zero bytes, staleness, last candle."""
        config = self.config
        overridden = self._override_re is not None and self._override_re.match(rel) is not None
        size_max = (
            config.threshold("size_max_mb", rel) if overridden else config.thresholds["size_max_mb"]
        )
        if (st.st_size > size_max.warning * MB and size_max.warning > 0) or (
            size_max.critical > 0 and st.st_size > size_max.critical * MB
        ):
            level = size_max.level_above(st.st_size / MB)
            if level is not None and not any(f.code == "size" for f in out or ()):
                out = out or []
                out.append(
                    Finding(
                        "size",
                        Severity(level),
                        display_path(rel),
                        f"{st.st_size / MB:.1f} MB exceeds the {level} limit",
                    )
                )
        if st.st_size == 0 and top == "data" and content is None and not name.endswith(".bak"):
            out = out or []
            out.append(
                Finding(
                    "size",
                    Severity.CRITICAL if role == "critical" else Severity.WARNING,
                    display_path(rel),
                    "zero-byte file",
                )
            )
        if self._stale_default or (overridden and config.has_override("stale_seconds", rel)):
            self._timed.add(rel)
            stale = config.threshold("stale_seconds", rel)
            age = now - st.st_mtime
            level = stale.level_above(age)
            if level is not None:
                out = out or []
                out.append(
                    Finding(
                        "stale",
                        Severity(level),
                        display_path(rel),
                        f"not modified for {_age_text(age)} (limit "
                        f"{_age_text(stale.warning if level == 'warning' else stale.critical)})",
                    )
                )
        if content is not None and content.parquet is not None:
            self._timed.add(rel)
            found = stale_candle(content.parquet, display_path(rel), now, config, rel)
            if found is not None:
                out = out or []
                out.append(found)
        return out

    def _settle(self, rel: str, st: os.stat_result) -> Entry:
        """What to keep for ``rel`` once its checks ran (``state.Entry``).

        The full ``lstat`` stays only where a later step reads it without a new
        ``lstat``: non-regular entries, role files and ``KEEP_DATA`` files (the
        report's aggregates), time-dependent files (re-evaluated by ``update``).
        Other regular files keep their content key; a clean content result is
        dropped from the cache and the entry (a ``CleanFile``) stands for it.
        """
        if not _S_ISREG(st.st_mode) or rel in ROLES or rel in KEEP_DATA or rel in self._timed:
            return st
        content = self._content.get(rel)
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        # tuple.__new__: the NamedTuple's own __new__ is a Python-level call (hot path)
        if content is not None and is_clean(content):
            del self._content[rel]
            return _new_tuple(CleanFile, key)
        return _new_tuple(FileKey, key)


__all__ = ["EntryChecks"]
