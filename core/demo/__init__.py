"""A realistic, standard-conformant bot tree — and a simulated bot that keeps writing to it.

``build_demo_tree`` gives the TUI, the tests and the screenshots something real
to look at without a trading bot: every file of the standard, 35 days of hourly
snapshots, Parquet OHLCV history named per the convention, logs, reports and
dashboard data, all with the policy's modes. ``LiveBot`` then saves the
portfolio every few seconds through :mod:`core.storage.write`, appends log lines,
refreshes decisions, takes due snapshots and adds minute candles — what a
running bot does to its files.

Modules: ``tree`` (``build_demo_tree``, ``is_demo_tree``, ``DemoSummary``),
``livebot`` (``LiveBot``) and ``portfolio`` (the documents both write). Loaded
on first use: importing this package imports neither pyarrow nor the writers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.standard.lazy import lazy_exports

__all__ = ["DemoSummary", "LiveBot", "build_demo_tree", "is_demo_tree"]

if TYPE_CHECKING:
    from core.demo.livebot import LiveBot
    from core.demo.tree import DemoSummary, build_demo_tree, is_demo_tree

#: Public name -> the module that defines it.
_HOME = {
    "DemoSummary": "core.demo.tree",
    "build_demo_tree": "core.demo.tree",
    "is_demo_tree": "core.demo.tree",
    "LiveBot": "core.demo.livebot",
}

__getattr__ = lazy_exports(__name__, _HOME)
