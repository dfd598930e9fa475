"""The standard's directory layout: where each file lives and how much it matters.

Also the names of files beside them: the ``.bak`` backup suffix and ``botstore.toml``.
"""

from __future__ import annotations

from typing import Final

#: botstore's configuration file, at the root of the bot's tree.
CONFIG_NAME: Final = "botstore.toml"
#: The previous version of a file is kept next to it under this suffix (``portfolio.json.bak``).
BACKUP_SUFFIX: Final = ".bak"
DATA_DIR: Final = "data"
PORTFOLIO: Final = "data/portfolio.json"
PERFORMANCE_DIR: Final = "data/performance"
PERFORMANCE_CONFIG: Final = "data/performance/performance_config.json"
SNAPSHOTS: Final = "data/performance/portfolio_snapshots.json"
PERFORMANCE_METRICS: Final = "data/performance/performance_metrics.json"
PERFORMANCE_PERIODS: Final = "data/performance/performance_periods.json"
CACHE_DIR: Final = "data/cache"
BOT_STARTUP: Final = "data/cache/bot_startup.json"
LATEST_DECISIONS: Final = "data/cache/latest_decisions.json"
HISTORICAL_DIR: Final = "data/historical"
BACKTEST_DIR: Final = "data/backtest_results"
BACKTEST_REPORT: Final = "data/backtest_results/performance_report.md"
QUARANTINE_DIR: Final = "data/.quarantine"
#: Files the real bot writes beyond the standard's list.
TRADES_DIR: Final = "data/trades"
TRADE_HISTORY: Final = "data/trades/trade_history.json"
DECISION_RECORDS: Final = "data/performance/decision_records.json"
LOGS_DIR: Final = "logs"
SUPERVISOR_LOG: Final = "logs/supervisor.log"
DAILY_REPORT_LOG: Final = "logs/daily_report.log"
ACTIONS_LOG: Final = "logs/botstore_actions.log"
REPORTS_DIR: Final = "reports"
REPORT_SUBDIRS: Final = (
    "reports/interval_optimization",
    "reports/daily_health",
    "reports/weekly_validation",
)
DASHBOARD_DIR: Final = "dashboard/data/backtest_results"
LATEST_BACKTEST: Final = "dashboard/data/backtest_results/latest_backtest.json"
DATA_SUMMARY: Final = "dashboard/data/backtest_results/data_summary.json"

#: Losing or corrupting these stops the bot: missing/invalid is CRITICAL.
CRITICAL_FILES: Final = (PORTFOLIO,)
#: A healthy running bot has these; missing/invalid is a WARNING.
EXPECTED_FILES: Final = (
    PERFORMANCE_CONFIG,
    SNAPSHOTS,
    PERFORMANCE_METRICS,
    PERFORMANCE_PERIODS,
    BOT_STARTUP,
    LATEST_DECISIONS,
    SUPERVISOR_LOG,
    DAILY_REPORT_LOG,
)
#: Every directory of the standard (created 750 by ``botstore demo``).
DIRECTORIES: Final = (
    DATA_DIR,
    PERFORMANCE_DIR,
    CACHE_DIR,
    HISTORICAL_DIR,
    BACKTEST_DIR,
    LOGS_DIR,
    REPORTS_DIR,
    *REPORT_SUBDIRS,
    "dashboard",
    "dashboard/data",
    DASHBOARD_DIR,
)
