"""The format version of the standard's JSON files: the one ``CURRENT_VERSION``.

Every versioned kind (performance config, metrics, periods, the wrapped snapshots
object) is at 1.0: the schemas' ``Version`` literal must equal it (a test checks),
the migrations step up to it and the tracking writers stamp it.
"""

from __future__ import annotations

from typing import Final

#: The ``version`` botstore writes and the schemas accept for a current file.
CURRENT_VERSION: Final = "1.0"

__all__ = ["CURRENT_VERSION"]
