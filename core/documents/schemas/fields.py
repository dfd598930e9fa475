"""Field types every schema is built from: strict numbers, ISO 8601 timestamps, versions.

The building blocks of :mod:`core.documents.schemas.models`, kept apart so a
model module reads as the standard's field lists and nothing else.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, WithJsonSchema
from pydantic_core import PydanticCustomError

from core.standard.times import parse_ts

# --------------------------------------------------------------------------- field types


def _check_timestamp(value: str) -> str:
    if parse_ts(value) is None:
        raise PydanticCustomError("iso_datetime", "invalid datetime")
    return value


#: A JSON number (int or float); bools and numeric strings are rejected.
Number = Annotated[float, Strict()]
#: A non-negative JSON integer.
Count = Annotated[int, Strict(), Field(ge=0)]
#: An ISO 8601 timestamp string (``2024-01-01T00:00:00.000000``, optionally with an offset).
Timestamp = Annotated[
    str,
    Strict(),
    AfterValidator(_check_timestamp),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 timestamp, naive or with a UTC offset",
        }
    ),
]
#: The only version a current file may carry (keep equal to CURRENT_VERSION).
Version = Literal["1.0"]
SnapshotType = Literal["scheduled", "initial_setup", "performance_reset", "manual"]
SnapshotFrequency = Literal["daily", "hourly", "on_restart", "manual"]


def _optional() -> Any:
    """An optional key: may be absent, but when present it must match its type (no null)."""
    return Field(default=None)


class _Open(BaseModel):
    """Base of every schema: unknown keys are allowed (the standard lists a minimum)."""

    model_config = ConfigDict(extra="allow")


__all__ = [
    "Count",
    "Number",
    "SnapshotFrequency",
    "SnapshotType",
    "Timestamp",
    "Version",
]
