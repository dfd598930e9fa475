"""JSON Schemas (draft 2020-12) of botstore's machine-readable outputs.

``botstore schema --output NAME`` prints one; ``docs/schemas/<NAME>.schema.json``
holds the same text (regenerate with ``python -m core.cli.output_schemas
docs/schemas``; ``tests/integration/test_cli_contract.py`` fails when a file drifts from
this code, and validates real outputs against these schemas). Objects allow
extra keys: adding a key is not a breaking change, removing one bumps
``schema_version``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

import orjson

from core.cli.envelope import SCHEMA_VERSION, STAMP_PATTERN
from core.standard.findings import HEALTH_KEYS

_DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
_BASE_ID: Final = "https://github.com/botstore/botstore/schemas/"
SEVERITIES: Final = ("info", "warning", "critical")
STATUSES: Final = ("ok", "warning", "critical", "unknown")

_STAMP: Final = {"type": "string", "pattern": STAMP_PATTERN}
_OPT_STAMP: Final = {"type": ["string", "null"], "pattern": STAMP_PATTERN}
_NUM_OR_NULL: Final = {"type": ["number", "null"]}
#: Mirrors ``core.cloud.manifest``'s run ids (``20260131T120000Z``; a test checks they agree).
RUN_PATTERN: Final = r"^\d{8}T\d{6}Z$"
_STRINGS: Final = {"type": "array", "items": {"type": "string"}}

ENVELOPE: Final[dict[str, Any]] = {
    "schema_version": {"const": SCHEMA_VERSION},
    "botstore_version": {"type": "string", "minLength": 1},
    "host": {"type": "string", "minLength": 1},
    "root": {"type": "string", "pattern": "^/"},
    "scan_seconds": {"type": ["number", "null"], "minimum": 0},
}

FINDING: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["code", "severity", "path", "message"],
    "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "severity": {"enum": list(SEVERITIES)},
        "path": {"type": "string"},
        "message": {"type": "string"},
    },
}


def _document(
    name: str, title: str, properties: dict[str, Any], required: list[str]
) -> dict[str, Any]:
    return {
        "$schema": _DRAFT,
        "$id": f"{_BASE_ID}{name}.schema.json",
        "title": title,
        "type": "object",
        "required": [*ENVELOPE, *required],
        "properties": {**ENVELOPE, **properties},
    }


def _check() -> dict[str, Any]:
    health = {
        "type": "object",
        "required": list(HEALTH_KEYS),
        "properties": {
            "portfolio_file_exists": {"type": ["boolean", "null"]},
            "portfolio_file_size": {"type": ["integer", "null"], "minimum": 0},
            "portfolio_last_modified": _OPT_STAMP,
            "performance_snapshots_count": {"type": ["integer", "null"], "minimum": 0},
            "disk_usage_mb": _NUM_OR_NULL,
            "oldest_snapshot_age_days": _NUM_OR_NULL,
            "backup_status": {"type": ["string", "null"]},
        },
    }
    return _document(
        "check",
        "botstore check --json",
        {
            "status": {"enum": list(STATUSES)},
            "checked_at": _STAMP,
            "health": health,
            "findings": {"type": "array", "items": FINDING},
        },
        ["status", "checked_at", "health", "findings"],
    )


def _watch() -> dict[str, Any]:
    return _document(
        "watch",
        "one line of botstore watch --jsonl",
        {
            "event": {"enum": ["appeared", "changed", "cleared", "rescan"]},
            "finding": {"oneOf": [FINDING, {"type": "null"}]},
            "at": _STAMP,
            "reason": {"type": "string"},
            "mode": {"type": ["string", "null"]},
            "status": {"enum": list(STATUSES)},
        },
        ["event", "finding", "at"],
    )


def _history() -> dict[str, Any]:
    file_entry = {
        "type": "object",
        "required": ["path", "rows", "start", "end", "gaps", "duplicates", "error"],
        "properties": {
            "path": {"type": "string"},
            "asset": {"type": ["string", "null"]},
            "base": {"type": ["string", "null"]},
            "granularity": {"type": ["string", "null"]},
            "period": {"type": ["string", "null"]},
            "rows": {"type": ["integer", "null"], "minimum": 0},
            "start": _OPT_STAMP,
            "end": _OPT_STAMP,
            "last_candle_age_s": _NUM_OR_NULL,
            "gaps": {"type": ["integer", "null"], "minimum": 0},
            "duplicates": {"type": ["integer", "null"], "minimum": 0},
            "compression": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"]},
        },
    }
    return _document(
        "history",
        "botstore history --json",
        {
            "checked_at": _STAMP,
            "files": {"type": "array", "items": file_entry},
        },
        ["checked_at", "files"],
    )


def _action() -> dict[str, Any]:
    plan = {
        "type": "object",
        "required": ["action", "root", "summary", "created", "ok", "steps", "errors", "notes"],
        "properties": {
            "action": {"type": "string"},
            "root": {"type": "string"},
            "summary": {"type": "string"},
            "created": _STAMP,
            "ok": {"type": "boolean"},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["op", "path"],
                    "properties": {"op": {"type": "string"}, "path": {"type": "string"}},
                },
            },
            "skipped": {"type": "array"},
            "diff": {"type": "array"},
            "errors": {"type": "array", "items": {"type": "string"}},
            "notes": {"type": "array", "items": {"type": "string"}},
            "params": {"type": "object"},
            "bytes_affected": {"type": ["integer", "null"]},
        },
    }
    result = {
        "type": "object",
        "required": ["action", "ok", "message"],
        "properties": {
            "action": {"type": "string"},
            "ok": {"type": "boolean"},
            "message": {"type": "string"},
        },
    }
    doc = _document(
        "action",
        "botstore ACTION --json (restore, cleanup, fix-permissions, ...)",
        {
            "plan": plan,
            "applied": {"type": "boolean"},
            "result": result,
            "recovered": {"type": "array", "items": {"type": "string"}},
        },
        [],
    )
    doc["anyOf"] = [{"required": ["plan"]}, {"required": ["recovered"]}]
    return doc


def _cloud_failed() -> dict[str, Any]:
    """The document of a cloud run that failed as a whole (unreachable, denied, conflict)."""
    return {
        "required": ["ok", "error"],
        "properties": {"ok": {"const": False}, "error": {"type": "string"}},
    }


def _sync() -> dict[str, Any]:
    result = [
        "ok",
        "degraded",
        "bucket",
        "prefix",
        "source_host",
        "run",
        "started",
        "finished",
        "uploaded",
        "unchanged",
        "removed",
        "skipped",
        "failures",
        "invalid",
        "bytes_uploaded",
        "pruned_runs",
        "pruned_objects",
        "manifest",
        "error",
    ]
    doc = _document(
        "sync",
        "botstore sync --json (with --every: one document per run)",
        {
            "ok": {"type": "boolean"},
            "degraded": {"type": "boolean"},
            "error": {"type": ["string", "null"]},
            "code": {"type": "string"},
            "bucket": {"type": "string", "minLength": 1},
            "prefix": {"type": "string"},
            "source_host": {"type": "string", "minLength": 1},
            "run": {"type": ["string", "null"], "pattern": RUN_PATTERN},
            "started": _STAMP,
            "finished": _STAMP,
            "uploaded": _STRINGS,
            "unchanged": _STRINGS,
            "removed": _STRINGS,
            "skipped": _STRINGS,
            "failures": _STRINGS,
            "invalid": _STRINGS,
            "bytes_uploaded": {"type": "integer", "minimum": 0},
            "pruned_runs": {"type": "array", "items": {"type": "string", "pattern": RUN_PATTERN}},
            "pruned_objects": {"type": "integer", "minimum": 0},
            "manifest": {"type": ["string", "null"]},
        },
        ["ok"],
    )
    doc["anyOf"] = [{"required": result}, _cloud_failed()]
    return doc


def _restore_cloud() -> dict[str, Any]:
    file_entry = {
        "type": "object",
        "required": ["path", "size", "sha256", "object", "mtime"],
        "properties": {
            "path": {"type": "string"},
            "size": {"type": "integer", "minimum": 0},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "object": {"type": "string"},
            "mtime": _STAMP,
        },
    }
    result = [
        "ok",
        "bucket",
        "prefix",
        "source_host",
        "run",
        "into",
        "dry_run",
        "files",
        "problems",
        "moved_aside",
        "swapped",
    ]
    doc = _document(
        "restore-cloud",
        "botstore restore-cloud --json (root: the directory restored into)",
        {
            "ok": {"type": "boolean"},
            "error": {"type": "string"},
            "code": {"type": "string"},
            "bucket": {"type": "string", "minLength": 1},
            "prefix": {"type": "string"},
            "source_host": {"type": "string", "minLength": 1},
            "run": {"type": "string", "pattern": RUN_PATTERN},
            "into": {"type": "string", "pattern": "^/"},
            "dry_run": {"type": "boolean"},
            "files": {"type": "array", "items": file_entry},
            "problems": _STRINGS,
            "moved_aside": {"type": ["string", "null"]},
            "swapped": _STRINGS,
        },
        ["ok"],
    )
    doc["anyOf"] = [{"required": result}, _cloud_failed()]
    return doc


OUTPUTS: Final = {
    "check": _check,
    "watch": _watch,
    "history": _history,
    "action": _action,
    "sync": _sync,
    "restore-cloud": _restore_cloud,
}


def output_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of output ``name`` (one of :data:`OUTPUTS`); KeyError otherwise."""
    return OUTPUTS[name]()


def schema_text(name: str) -> str:
    """The exact text of ``docs/schemas/<name>.schema.json``."""
    return orjson.dumps(output_schema(name), option=orjson.OPT_INDENT_2).decode() + "\n"


def write_all(directory: Path) -> list[Path]:
    """(Re)write every schema file into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in OUTPUTS:
        target = directory / f"{name}.schema.json"
        target.write_text(schema_text(name), encoding="utf-8")
        written.append(target)
    return written


if __name__ == "__main__":  # pragma: no cover - python -m core.cli.output_schemas DIR
    for path in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")):
        sys.stdout.write(f"{path}\n")
