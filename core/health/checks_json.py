"""JSON content checks: parse, schema, pending migration, sensitive keys.

Reads go through :func:`core.storage.read.read_bytes` (``O_NONBLOCK``, ``fstat``
type check), so a FIFO swapped in between the walk and the read never blocks.
The validators (pydantic) are imported on the first file that needs a verdict:
a scan whose every verdict comes from ``core.health.verdicts`` never loads them.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Final

from core.errors import StorageError
from core.health.state import ContentKey, ContentResult
from core.health.verdicts import identity
from core.standard import layout
from core.standard.findings import CODES, Finding, Severity
from core.standard.layout import BACKUP_SUFFIX
from core.standard.policy import has_sensitive_keys
from core.storage.codec import parse_json
from core.storage.read import read_bytes, read_regular
from core.text.sanitize import sanitize_text

#: Top-level directories whose JSON files are parsed (everything else: metadata only).
JSON_TOPS: Final = frozenset({"data", "dashboard", "reports"})
#: Files whose parsed data the aggregate checks need.
KEEP_DATA: Final = frozenset(
    {
        layout.PORTFOLIO,
        layout.PORTFOLIO + BACKUP_SUFFIX,
        layout.SNAPSHOTS,
        layout.PERFORMANCE_CONFIG,
    }
)
MAX_VIOLATIONS_SHOWN: Final = 3


def wants_json_check(rel: str, name: str) -> bool:
    """True for ``*.json`` / ``*.json.bak`` under data/, dashboard/ or reports/."""
    if not name.endswith((".json", ".json.bak")):
        return False
    return rel.partition("/")[0] in JSON_TOPS


def _violations_text(violations: list[str]) -> str:
    shown = "; ".join(violations[:MAX_VIOLATIONS_SHOWN])
    extra = len(violations) - MAX_VIOLATIONS_SHOWN
    return shown + (f" (+{extra} more)" if extra > 0 else "")


def _pending_text(kind: str | None, data: Any) -> str:
    if kind == "snapshots" and isinstance(data, dict):
        return (
            'wrapped {"version", "snapshots"} form: the bot reads it as no snapshots '
            "and its next snapshot overwrites the history; a migration to the bare list "
            "is pending"
        )
    version = data.get("version") if isinstance(data, dict) else None
    return f"version {version!r} is older than the current format; a migration is pending"


def check_json(
    abs_path: str,
    rel: str,
    display: str,
    key: ContentKey,
    *,
    severity: Severity,
    max_bytes: int,
    expect: os.stat_result | None = None,
) -> ContentResult:
    """Read and judge one JSON file; never raises.

    ``expect`` (the walk's ``lstat``): the file is read without following a symlink,
    and the verdict is durable only when the bytes came from that very file — a
    directory swapped in between the walk and the read cannot plant a clean verdict
    for the file the walk saw.
    """
    is_backup = rel.endswith(BACKUP_SUFFIX)
    primary_rel = rel[: -len(BACKUP_SUFFIX)] if is_backup else rel

    def finding(code: str, message: str, sev: Severity = severity) -> Finding:
        if is_backup:
            return Finding(
                "backup",
                Severity.WARNING,
                display,
                f"backup unusable ({code}): {sanitize_text(message)}",
            )
        return Finding(
            code if code in CODES else "unreadable", sev, display, sanitize_text(message)
        )

    try:
        if expect is None:
            payload, same = read_bytes(abs_path, max_bytes=max_bytes), True
        else:
            payload, seen = read_regular(abs_path, max_bytes=max_bytes, nofollow=True)
            same = identity(seen) == identity(expect)
    except StorageError as exc:  # a read problem, not the content's: never kept
        return ContentResult(key, (finding(exc.code, exc.reason),), ok=False)
    try:
        data: Any = parse_json(payload, display)
    except StorageError as exc:
        return ContentResult(key, (finding(exc.code, exc.reason),), ok=False, durable=same)
    findings: list[Finding] = []
    ok = True
    durable = same
    try:
        from core.documents.validation import judge_data  # lazy: pydantic (see above)

        verdict = judge_data(primary_rel, data)
        kind = verdict.kind
        if verdict.pending:
            findings.append(finding("version", _pending_text(kind, data), Severity.WARNING))
        if verdict.code == "version":
            ok = False
            findings.append(finding("version", verdict.problems[0]))
        elif verdict.code == "schema":
            ok = False
            findings.append(
                finding(
                    "schema",
                    f"does not match the {kind} schema: {_violations_text(verdict.problems)}",
                )
            )
    except Exception as exc:  # noqa: BLE001 - a validator bug must not crash the scan
        findings.append(
            finding("unreadable", f"internal error while validating: {type(exc).__name__}: {exc}")
        )
        ok = False
        durable = False
    return ContentResult(
        key,
        tuple(findings),
        ok=ok,
        sensitive_keys=has_sensitive_keys(data),
        data=data if rel in KEEP_DATA else None,
        durable=durable,
    )


def reuse_json(
    abs_path: str,
    rel: str,
    display: str,
    verdict: ContentResult,
    st: os.stat_result,
    *,
    max_bytes: int,
) -> ContentResult | None:
    """A kept ``verdict`` for ``rel`` with its data re-read when the aggregate checks need it.

    The data is read from a descriptor whose ``fstat`` must still show ``st``'s
    identity (device, inode, size, mtime, ctime); None when it does not (the file
    changed since the walk: judge it afresh), and for any read problem.
    """
    if rel not in KEEP_DATA:
        return verdict
    try:  # capped at the walked size: a file that grew while read has changed after all
        payload, now = read_regular(abs_path, max_bytes=min(st.st_size, max_bytes), nofollow=True)
    except StorageError:
        return None
    if identity(now) != identity(st):
        return None
    try:
        data: Any = parse_json(payload, display)
    except StorageError:
        return None  # the same identity, yet it does not parse now: judge it afresh
    return dataclasses.replace(verdict, data=data)
