"""``fallback=`` for :func:`core.documents.recovery.load_with_recovery`: the exchange's portfolio.

::

    from core.exchange.fallback import exchange_fallback
    from core.exchange.settings import load_settings
    from core.documents.recovery import load_with_recovery

    result = load_with_recovery("data/portfolio.json", validate="portfolio",
                                fallback=exchange_fallback(load_settings("."), timeout=15),
                                repair=True)

The exchange is asked in a worker thread; the bot waits at most ``timeout``
seconds, then gets :class:`ExchangeTimeout` (``load_with_recovery`` records it
as the fallback's problem), so a hanging exchange never holds the bot's
start-up — or the portfolio lock ``repair=True`` takes — longer than that.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from core.exchange.client import ExchangeFailed, ExchangeTimeout, open_client
from core.exchange.portfolio import Holdings, best_carry, build_portfolio, fetch_holdings
from core.exchange.settings import ExchangeSettings, load_credentials
from core.exchange.versions import Version, versions
from core.standard.layout import PORTFOLIO

DEFAULT_TIMEOUT: Final = 15.0


def rebuild_from_exchange(
    cfg: ExchangeSettings, *, now: _dt.datetime | None = None, cloud: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """Fetch holdings and build the portfolio, carrying fields over from the newest
    usable earlier version; returns ``(document, notes)``."""
    notes: list[str] = []
    doc, _, _ = build_from_exchange(cfg, cfg.root, notes, now=now, cloud=cloud)
    return doc, notes


def build_from_exchange(
    cfg: ExchangeSettings,
    root: Path,
    notes: list[str],
    *,
    now: _dt.datetime | None = None,
    cloud: bool = False,
) -> tuple[dict[str, Any], list[Version], Holdings]:
    """The portfolio from the exchange's holdings, carrying fields over from the newest usable
    earlier version under ``root``; appends to ``notes``, returns
    ``(document, versions, holdings)``.

    The one procedure behind :func:`rebuild_from_exchange` and the rebuild-portfolio action.
    """
    credentials = load_credentials(cfg)
    if credentials is None:
        raise ExchangeFailed(
            f"{cfg.source}: exchange.credentials is not set; balances need an API key"
        )
    found = versions(root, PORTFOLIO, cloud=cloud, notes=notes)
    carry = best_carry(found, cfg.base)
    with open_client(cfg, credentials) as client:
        holdings = fetch_holdings(
            client,
            cfg.base,
            also=list(carry.initial_amounts) if carry else [],
            secrets=credentials.secrets(),
        )
    doc, more = build_portfolio(holdings, carry, now or _dt.datetime.now(_dt.UTC))
    notes += more
    return doc, found, holdings


def exchange_fallback(
    cfg: ExchangeSettings, *, timeout: float = DEFAULT_TIMEOUT
) -> Callable[[], dict[str, Any]]:
    """A zero-argument factory returning the rebuilt portfolio within ``timeout`` seconds."""

    def fallback() -> dict[str, Any]:
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["doc"] = rebuild_from_exchange(cfg)[0]
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="botstore-exchange-fallback", daemon=True)
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            raise ExchangeTimeout(
                f"{cfg.id}: no portfolio from the exchange within "
                f"{timeout:g} s (gave up; the bot starts without it)"
            )
        if "error" in outcome:
            raise outcome["error"]
        doc: dict[str, Any] = outcome["doc"]
        return doc

    return fallback


__all__ = ["DEFAULT_TIMEOUT", "build_from_exchange", "exchange_fallback", "rebuild_from_exchange"]
