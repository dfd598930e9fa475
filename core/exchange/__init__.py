"""The exchange as the last line of recovery (optional extra ``exchange``, on ccxt).

* :mod:`core.exchange.settings` — ``[exchange]`` in ``botstore.toml`` and the credentials file;
* :mod:`core.exchange.client` — the ccxt client, bounded retries, one-line errors;
* :mod:`core.exchange.portfolio` — balances and prices -> a portfolio in the standard's schema;
* :mod:`core.exchange.versions` — earlier copies of a file to carry fields over from;
* :mod:`core.exchange.candles` — OHLCV pages for a history series;
* :mod:`core.exchange.fallback` — ``exchange_fallback(cfg)`` for
  :func:`core.documents.recovery.load_with_recovery`.

Nothing here imports ccxt at module level: ``import core`` works without the extra.
The actions are :mod:`core.actions.rebuild_portfolio` and :mod:`core.actions.refetch_history`.
"""
