"""Snapshot frequencies: the one table of ``snapshot_frequency`` values and their periods.

The standard's list, which is also exactly what the real bot writes and reads
(``utils/performance/performance_tracker.py``): ``hourly``, ``daily``,
``on_restart`` and ``manual``. The tracking writer validates against it, the
schema's ``SnapshotFrequency`` literal must equal it (a test checks), the scan
measures gaps and lateness with it and the TUI compares the median interval to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

#: ``snapshot_frequency`` -> UTC bucket length in seconds; ``None``: never due on a schedule.
FREQUENCIES: Final[Mapping[str, int | None]] = MappingProxyType(
    {
        "hourly": 3_600,
        "daily": 86_400,
        "on_restart": None,
        "manual": None,
    }
)


def frequency_seconds(name: object) -> int | None:
    """A scheduled frequency's period in seconds; ``None`` for an unscheduled or unknown one."""
    return FREQUENCIES.get(name) if isinstance(name, str) else None


__all__ = ["FREQUENCIES", "frequency_seconds"]
