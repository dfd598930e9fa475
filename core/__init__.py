"""botstore core: durable, validated storage for a file-based trading bot.

This package is what the bot itself imports. It must never import a UI
library (``textual``); ``tests/test_contract.py`` enforces that.
"""

__version__ = "0.1.0"
