"""A plain directory walk (``os.scandir`` + ``lstat`` only, never following a symlink),
and the printable form of relative paths.

:func:`walk` is used by ``core.actions``; the health scanner runs its own walk
with the per-file checks inlined (``HealthScanner._scan_tree``) for speed. Paths
are root-relative POSIX ``str`` as ``os.scandir`` returns them: bytes that are
not UTF-8 arrive surrogate-escaped, are detected with :func:`is_utf8_name` and
shown with ``\\xNN`` escapes by :func:`display_path`.

Every entry below the root lands in ``entries`` (relative POSIX path ->
``os.stat_result`` from ``lstat``); directories that cannot be listed land in
``errors`` as ``unreadable`` findings. Nothing here opens a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

from core.standard.findings import Finding, Severity


def os_error_finding(rel: str, doing: str, exc: OSError) -> Finding:
    """The ``unreadable`` warning for an OS error met while ``doing`` something to ``rel``."""
    return Finding(
        "unreadable", Severity.WARNING, display_path(rel), f"{doing}: {exc.strerror or exc}"
    )


def display_path(rel: str) -> str:
    """A printable form of a relative path (non-UTF-8 bytes as ``\\xNN``)."""
    if rel.isascii():
        return rel
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return rel


def is_utf8_name(rel: str) -> bool:
    """False when the name holds bytes that are not UTF-8 (surrogate-escaped by ``os``)."""
    if rel.isascii():
        return True
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walk(  # noqa: PLR0917 - positional signature used by core.actions
    root: str,
    start: str,
    entries: dict[str, os.stat_result],
    errors: dict[str, list[Finding]],
    skip_dir: Callable[[str], bool],
    skip_file: Callable[[str], bool] | None = None,
) -> None:
    """Add every entry below ``root/start`` (``start`` = "" for the whole tree)."""
    s_isdir = stat.S_ISDIR
    stack = [start]
    while stack:
        rel_dir = stack.pop()
        abs_dir = f"{root}/{rel_dir}" if rel_dir else root
        prefix = f"{rel_dir}/" if rel_dir else ""
        try:
            iterator = os.scandir(abs_dir)
        except FileNotFoundError:
            continue
        except NotADirectoryError:
            continue
        except OSError as exc:
            key = rel_dir or "."
            errors[key] = [os_error_finding(key, "cannot list directory", exc)]
            continue
        with iterator:
            while True:
                try:
                    entry = next(iterator)
                except StopIteration:
                    break
                except OSError as exc:  # I/O error mid-listing
                    key = rel_dir or "."
                    errors[key] = [os_error_finding(key, "error while listing directory", exc)]
                    break
                rel = prefix + entry.name
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    errors[rel] = [os_error_finding(rel, "cannot stat", exc)]
                    continue
                if s_isdir(st.st_mode):
                    if skip_dir(rel):
                        continue
                    stack.append(rel)
                elif skip_file is not None and skip_file(rel):
                    continue
                entries[rel] = st
