"""Durations and sizes as botstore prints them: one formatter per form, used by every face.

* :func:`format_span` — prose, in finding messages and CLI text: ``2.5 d``, ``3.0 h``,
  ``12 min``, ``40 s``;
* :func:`format_age` — compact, in table cells (TUI panels, ``botstore history``):
  ``12s``, ``5m``, ``3.0h``, ``36h``, ``2d``;
* :func:`format_duration` — two units, for time-to-full and retention horizons:
  ``3d 4h``, ``2h 3m``, ``5m``;
* :func:`format_size` — binary units: ``512 B``, ``4.0 KiB``, ``12.3 MiB``.
"""

from __future__ import annotations

from typing import Final

_SIZE_UNITS: Final = ("B", "KiB", "MiB", "GiB", "TiB")


def format_span(seconds: float) -> str:
    """``2.5 d`` / ``3.0 h`` / ``12 min`` / ``40 s``: the form of finding messages."""
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def format_age(seconds: float) -> str:
    """A compact age: ``12s``, ``5m``, ``3.0h`` (under 10 h), ``36h``, ``2d``; ``future`` if < 0."""
    if seconds < 0:
        return "future"
    if seconds < 60:
        return f"{int(seconds)}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        hours = seconds / 3600
        return f"{hours:.0f}h" if hours >= 10 else f"{hours:.1f}h"
    return f"{seconds / 86400:.0f}d"


def format_duration(seconds: float) -> str:
    """``3d 4h``, ``2h 3m`` or ``5m`` (negative durations count as 0)."""
    days, rest = divmod(int(max(0.0, seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def format_size(size: float) -> str:
    """``512 B``, ``4.0 KiB``, ``12.3 MiB``... (binary units, up to TiB)."""
    value = float(size)
    for unit in _SIZE_UNITS:
        if abs(value) < 1024 or unit == _SIZE_UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover - the last unit always returns


__all__ = ["format_age", "format_duration", "format_size", "format_span"]
