"""A ccxt client built from ``[exchange]``, and every ccxt failure as one clear line.

ccxt is an optional extra (``pip install 'botstore[exchange]'``), imported only
here and only when a client is made. Retries are ccxt's own
(``options['maxRetriesOnFailure']``: network errors, timeouts, HTTP 429 and
unavailable 5xx, re-signed each time) and so is the rate limiter
(``enableRateLimit``). Two guards ccxt lacks are added:

* a 2xx body that is not valid JSON (a truncated response) raises
  ``ccxt.BadResponse`` instead of silently reading as "no data";
* ccxt's debug logging prints request headers (API key, signature): the
  client gets its own logger that drops everything below WARNING.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from typing import Any, Final

from core.errors import ActionError
from core.exchange.settings import Credentials, ExchangeSettings
from core.text.sanitize import sanitize_text

_LOG: Final = logging.getLogger("core.exchange.ccxt")
_LOG.setLevel(logging.WARNING)
_LOG.propagate = False
_LOG.addHandler(logging.NullHandler())

MAX_MESSAGE: Final = 240
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_QUERY = re.compile(r"(https?://[^\s?]+)\?\S*")


class ExchangeUnavailable(RuntimeError):
    """ccxt is not installed."""


class ExchangeFailed(ActionError, RuntimeError):
    """A call to the exchange failed; the message is one sanitized, operator-facing line.
    An :class:`ActionError`, so every face that runs action planners reports it as such."""


class ExchangeTimeout(ExchangeFailed, TimeoutError):
    """The exchange did not answer within the caller's deadline."""


def import_ccxt() -> Any:
    """The ccxt module, or ExchangeUnavailable saying how to install it."""
    try:
        import ccxt
    except ImportError:
        raise ExchangeUnavailable(
            "the exchange extra is not installed: pip install 'botstore[exchange]'"
        ) from None
    return ccxt


def _redirect(urls: Any, url: str) -> Any:
    if isinstance(urls, dict):
        return {key: _redirect(value, url) for key, value in urls.items()}
    return url.rstrip("/")


def make_client(settings: ExchangeSettings, credentials: Credentials | None) -> Any:
    """A configured ``ccxt.<id>`` instance (sync client)."""
    ccxt = import_ccxt()
    cls = getattr(ccxt, settings.id, None)
    if not isinstance(cls, type) or not issubclass(cls, ccxt.Exchange):
        raise ExchangeFailed(f"{settings.id!r} is not a ccxt exchange id (see ccxt.exchanges)")
    config: dict[str, Any] = {
        "enableRateLimit": True,
        "timeout": int(settings.timeout * 1000),
        "verbose": False,
    }
    if credentials is not None:
        config.update(credentials.ccxt_config())
    client = cls(config)
    client.logger = _LOG
    client.options["maxRetriesOnFailure"] = settings.retries
    client.options["maxRetriesOnFailureDelay"] = int(settings.retry_delay * 1000)
    if settings.url:
        client.urls["api"] = _redirect(client.urls["api"], settings.url)
    strict_json(client, ccxt)
    return client


@contextlib.contextmanager
def open_client(settings: ExchangeSettings, credentials: Credentials | None) -> Iterator[Any]:
    """:func:`make_client` whose HTTP session is closed afterwards (no socket left to the
    garbage collector)."""
    client = make_client(settings, credentials)
    try:
        yield client
    finally:
        session = getattr(client, "session", None)
        if session is not None:
            session.close()


def strict_json(client: Any, ccxt: Any) -> None:
    """Make a 2xx response whose body is not JSON an error (``ccxt.BadResponse``)."""
    original = client.on_rest_response

    def on_rest_response(*args: Any) -> Any:
        # ccxt calls it as (code, reason, url, method, headers, body, ...).
        code, _, url, method = args[:4]
        text = original(*args)
        if 200 <= int(code) < 300 and isinstance(text, str):
            try:
                json.loads(text)
            except ValueError:
                raise ccxt.BadResponse(
                    f"{client.id} {method} {url.partition('?')[0]}: malformed response "
                    f"(not complete JSON, {len(text)} bytes)"
                ) from None
        return text

    client.on_rest_response = on_rest_response


def clean_message(text: str, secrets: list[str] | None = None) -> str:
    """One line, control characters and known secret values removed, bounded length."""
    for value in secrets or []:
        if value:
            text = text.replace(value, "[REDACTED]")
    line = _QUERY.sub(r"\1", _CONTROL.sub(" ", text)).strip()  # queries are long, not useful
    line = sanitize_text(" ".join(line.split()))
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"


def _retry_after(client: Any) -> str:
    headers = getattr(client, "last_response_headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    return f", server asks to retry after {clean_message(str(value))} s" if value else ""


def describe(exc: BaseException, client: Any, secrets: list[str] | None = None) -> str:
    """The one-line meaning of a ccxt exception (most specific class first)."""
    ccxt = import_ccxt()
    name = getattr(client, "id", "exchange")
    attempts = int(getattr(client, "options", {}).get("maxRetriesOnFailure", 0)) + 1
    detail = clean_message(str(exc), secrets)
    tries = f"; gave up after {attempts} attempt(s)"
    kinds: list[tuple[type[BaseException], str]] = [
        (ccxt.AuthenticationError, "authentication failed (check the credentials file)"),
        (ccxt.PermissionDenied, "permission denied (the API key lacks a permission)"),
        (ccxt.BadSymbol, "unknown symbol"),
        (ccxt.BadResponse, "malformed response"),
        (ccxt.RateLimitExceeded, f"rate limited (HTTP 429{_retry_after(client)}){tries}"),
        (ccxt.RequestTimeout, f"no answer within the timeout{tries}"),
        (ccxt.ExchangeNotAvailable, f"exchange unavailable (HTTP 5xx or refused){tries}"),
        (ccxt.NetworkError, f"network error (unreachable or connection dropped){tries}"),
        (ccxt.NotSupported, "not supported by this exchange"),
        (ccxt.BadRequest, "request rejected"),
        (ccxt.ExchangeError, "exchange error"),
    ]
    for cls, meaning in kinds:
        if isinstance(exc, cls):
            return clean_message(f"{name}: {meaning}: {detail}")
    return clean_message(f"{name}: {type(exc).__name__}: {detail}")


def call(
    client: Any, what: str, fn: Any, *args: Any, secrets: list[str] | None = None, **kwargs: Any
) -> Any:
    """``fn(*args, **kwargs)``; any ccxt error becomes :class:`ExchangeFailed` (one line)."""
    ccxt = import_ccxt()
    try:
        return fn(*args, **kwargs)
    except ccxt.BaseError as exc:
        raise ExchangeFailed(f"{what}: {describe(exc, client, secrets)}") from None
    except (OSError, ValueError, TypeError, KeyError) as exc:  # a response ccxt choked on
        raise ExchangeFailed(
            clean_message(
                f"{what}: {getattr(client, 'id', 'exchange')}: unexpected error "
                f"({type(exc).__name__}: {exc})",
                secrets,
            )
        ) from None


__all__ = [
    "ExchangeFailed",
    "ExchangeTimeout",
    "ExchangeUnavailable",
    "call",
    "clean_message",
    "describe",
    "import_ccxt",
    "make_client",
    "open_client",
    "strict_json",
]
