"""Permission checks: a file's mode against the policy (``core.standard.policy.file_mode``)."""

from __future__ import annotations

import os
import stat

from core.standard.findings import Finding, Severity
from core.standard.policy import format_mode


def check_mode(
    display: str,
    actual_mode: int,
    expected: int,
    *,
    sensitive: bool,
    is_dir: bool,
    stricter_is_info: bool,
) -> Finding | None:
    """Compare permission bits with the policy; ``None`` when they match."""
    actual = actual_mode & 0o777
    if actual == expected:
        return None
    what = "directory" if is_dir else ("sensitive file" if sensitive else "file")
    text = f"{what} mode {format_mode(actual)}, policy {format_mode(expected)}"
    if sensitive and actual & 0o006:
        return Finding(
            "permissions",
            Severity.CRITICAL,
            display,
            f"{text}: sensitive data is world-{'writable' if actual & 0o002 else 'readable'}",
        )
    if actual & 0o002:
        return Finding("permissions", Severity.CRITICAL, display, f"{text}: world-writable")
    if actual & ~expected:
        return Finding("permissions", Severity.WARNING, display, f"{text}: too permissive")
    return Finding(
        "permissions",
        Severity.INFO if stricter_is_info else Severity.WARNING,
        display,
        f"{text}: stricter than the policy",
    )


class Access:
    """Whether the current process can read an entry, judged from its mode bits (no open)."""

    def __init__(self) -> None:
        self.euid = os.geteuid()
        self.groups = frozenset({os.getegid(), *os.getgroups()})

    def readable(self, st: os.stat_result, *, is_dir: bool = False) -> bool:
        if self.euid == 0:
            return True
        mode = st.st_mode
        if st.st_uid == self.euid:
            need = stat.S_IRUSR | (stat.S_IXUSR if is_dir else 0)
        elif st.st_gid in self.groups:
            need = stat.S_IRGRP | (stat.S_IXGRP if is_dir else 0)
        else:
            need = stat.S_IROTH | (stat.S_IXOTH if is_dir else 0)
        return mode & need == need


__all__ = ["Access", "check_mode"]
