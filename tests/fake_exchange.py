"""A local fake of Coinbase Advanced Trade for the real ccxt client (127.0.0.1, random port).

It speaks Coinbase's wire format for exactly the endpoints ``ccxt.coinbase``
calls for markets (``/v2/currencies``, ``/v2/currencies/crypto``,
``/v2/exchange-rates``, ``/api/v3/brokerage/market/products`` incl. the
``product_type=FUTURE`` call, ``/api/v3/brokerage/transaction_summary``),
balances (``/v2/accounts``), tickers (products with ``product_ids``) and candles
(``/api/v3/brokerage/market/products/{id}/candles``, at most 350 per request).
Private calls must carry valid auth: the legacy ``CB-ACCESS-*`` HMAC headers
(signature checked) or an ES256 JWT bearer (signature checked with the
public key), else 401.

Candles are a deterministic function of (product, granularity, start) so a
test can compute exactly what the server holds; ``holes`` removes ranges.
Faults (:meth:`FakeCoinbase.fault`): ``429`` (+ ``Retry-After``), ``500``
(JSON error body), ``503`` (text body), ``hostile`` (503 with terminal escapes and a
newline), ``slow``, ``truncated`` (cut JSON with
a matching Content-Length), ``drop`` (Content-Length promised, half sent,
connection closed), ``unknown_product`` (404), each for requests whose path
contains a string, a number of times or forever.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

GRANULARITY = {
    "ONE_MINUTE": 60,
    "FIVE_MINUTE": 300,
    "FIFTEEN_MINUTE": 900,
    "THIRTY_MINUTE": 1800,
    "ONE_HOUR": 3600,
    "TWO_HOUR": 7200,
    "SIX_HOUR": 21600,
    "ONE_DAY": 86400,
}
MAX_CANDLES = 350


def candle(product: str, granularity: str, start: int) -> dict[str, str]:
    """The server's candle at ``start`` (seconds), as Coinbase sends it (strings)."""
    seed = int(hashlib.sha256(f"{product}{granularity}{start}".encode()).hexdigest()[:8], 16)
    base = 100.0 + (seed % 10_000) / 100.0
    return {
        "start": str(start),
        "low": f"{base - 1:.2f}",
        "high": f"{base + 2:.2f}",
        "open": f"{base:.2f}",
        "close": f"{base + 0.5:.2f}",
        "volume": f"{(seed % 997) / 10:.1f}",
    }


@dataclass
class Fault:
    mode: str
    path: str = ""
    times: int | None = None  # None: forever
    delay: float = 0.0
    after: int = 0  # let this many matching requests through first


@dataclass
class FakeCoinbase:
    """The fake exchange's state; :meth:`start` serves it."""

    api_key: str = "hmac-key-id-4f2a9c"
    secret: str = "hmac-secret-value-for-tests-0123456789abcdef"  # noqa: S105 - test key
    public_pem: bytes | None = None  # set for ES256 JWT keys
    balances: dict[str, str] = field(
        default_factory=lambda: {"EUR": "1234.56", "BTC": "0.5", "ETH": "2.25"}
    )
    prices: dict[str, str] = field(
        default_factory=lambda: {
            "BTC-EUR": "50000.00",
            "ETH-EUR": "3000.00",
            "SOL-EUR": "150.00",
            "BTC-USD": "54000.00",
        }
    )
    holes: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # product -> [s, e)
    granularities: set[str] = field(default_factory=lambda: set(GRANULARITY))
    faults: list[Fault] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    auth_failures: list[str] = field(default_factory=list)
    open_requests: int = 0
    answered: list[str] = field(default_factory=list)  # paths whose response was sent
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    release: threading.Event = field(default_factory=threading.Event)

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeCoinbase:
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = _QuietServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def fault(
        self,
        mode: str,
        path: str = "",
        times: int | None = None,
        delay: float = 0.0,
        after: int = 0,
    ) -> None:
        self.faults.append(Fault(mode, path, times, delay, after))

    def paths(self, contains: str = "") -> list[str]:
        return [p for _, p, _ in self.requests if contains in p]

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and (fault.times is None or fault.times > 0):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def has_candle(self, product: str, start: int) -> bool:
        return not any(a <= start < b for a, b in self.holes.get(product, []))

    def candles(self, product: str, granularity: str, start: int, end: int) -> list[dict[str, str]]:
        """Candles with ``start <= t < end`` (seconds), newest first as Coinbase sends them."""
        step = GRANULARITY[granularity]
        first = -(-start // step) * step
        out = [
            candle(product, granularity, t)
            for t in range(first, end, step)
            if self.has_candle(product, t)
        ]
        return list(reversed(out))

    # ------------------------------------------------------------------ responses

    def products(self, ids: list[str] | None) -> list[dict[str, Any]]:
        out = []
        for pid, price in self.prices.items():
            if ids and pid not in ids:
                continue
            base, quote = pid.split("-")
            out.append(
                {
                    "product_id": pid,
                    "price": price,
                    "price_percentage_change_24h": "1.5",
                    "volume_24h": "1000",
                    "volume_percentage_change_24h": "2.0",
                    "base_increment": "0.00000001",
                    "quote_increment": "0.01",
                    "quote_min_size": "1",
                    "quote_max_size": "1000000",
                    "base_min_size": "0.0001",
                    "base_max_size": "1000",
                    "base_name": base,
                    "quote_name": quote,
                    "watched": False,
                    "is_disabled": False,
                    "new": False,
                    "status": "online",
                    "cancel_only": False,
                    "limit_only": False,
                    "post_only": False,
                    "trading_disabled": False,
                    "auction_mode": False,
                    "product_type": "SPOT",
                    "quote_currency_id": quote,
                    "base_currency_id": base,
                    "fcm_trading_session_details": None,
                    "mid_market_price": "",
                    "alias": "",
                    "alias_to": [],
                    "base_display_symbol": base,
                    "quote_display_symbol": quote,
                    "view_only": False,
                    "price_increment": "0.01",
                    "display_name": pid,
                    "product_venue": "CBE",
                }
            )
        return out

    def accounts(self) -> dict[str, Any]:
        data = [
            {
                "id": f"acct-{code.lower()}",
                "name": f"{code} Wallet",
                "primary": True,
                "type": "fiat" if code in {"EUR", "USD"} else "wallet",
                "currency": {"code": code, "name": code},
                "balance": {"amount": amount, "currency": code},
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                "resource": "account",
                "resource_path": f"/v2/accounts/acct-{code.lower()}",
            }
            for code, amount in self.balances.items()
        ]
        return {
            "pagination": {
                "ending_before": None,
                "starting_after": None,
                "limit": 250,
                "order": "desc",
                "previous_uri": None,
                "next_uri": None,
            },
            "data": data,
        }

    def check_auth(self, method: str, path: str, query: str, headers: Any) -> bool:
        bearer = headers.get("Authorization", "")
        if bearer.startswith("Bearer "):
            return self._check_jwt(bearer[7:], method, path)
        key, sign, stamp = (
            headers.get(h) for h in ("CB-ACCESS-KEY", "CB-ACCESS-SIGN", "CB-ACCESS-TIMESTAMP")
        )
        if not (key and sign and stamp) or key != self.api_key:
            return False
        payload = f"?{query}" if query and path.startswith("/v2/") else ""
        expected = hmac.new(
            self.secret.encode(), f"{stamp}{method}{path}{payload}".encode(), hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, sign)

    def _check_jwt(self, token: str, method: str, path: str) -> bool:
        if self.public_pem is None:
            return False
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

        try:
            head, body, sig = token.split(".")
            header = json.loads(_unb64(head))
            claims = json.loads(_unb64(body))
            raw = _unb64(sig)
            signature = encode_dss_signature(
                int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
            )
            key = serialization.load_pem_public_key(self.public_pem)
            assert isinstance(key, ec.EllipticCurvePublicKey)
            key.verify(signature, f"{head}.{body}".encode(), ec.ECDSA(hashes.SHA256()))
        except Exception:
            return False
        return (
            header.get("alg") == "ES256"
            and header.get("kid") == self.api_key
            and claims.get("sub") == self.api_key
            and str(claims.get("uri", "")).startswith(f"{method} ")
            and str(claims.get("uri", "")).endswith(path)
        )


class _QuietServer(ThreadingHTTPServer):
    """Clients that gave up (timeouts, dropped connections) are expected: no tracebacks on
    stderr, which would end up in the output a test checks."""

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        return


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeCoinbase
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002 - quiet
        return

    def _send(
        self,
        status: int,
        payload: Any,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        params = parse_qs(query)
        with fake.lock:
            fake.requests.append(("GET", self.path, dict(self.headers.items())))
            fake.open_requests += 1
        try:
            self._route(fake, path, query, params)
        finally:
            with fake.lock:
                fake.open_requests -= 1
                fake.answered.append(self.path)

    def _route(
        self, fake: FakeCoinbase, path: str, query: str, params: dict[str, list[str]]
    ) -> None:
        private = path in {"/v2/accounts", "/api/v3/brokerage/transaction_summary"}
        if private and not fake.check_auth("GET", path, query, self.headers):
            fake.auth_failures.append(path)
            self._send(
                401, {"errors": [{"id": "authentication_error", "message": "invalid signature"}]}
            )
            return
        fault = fake.take_fault(self.path)
        payload = self._payload(fake, path, params)
        if fault is not None and self._faulted(fault, payload):
            return
        if payload is None:
            self._send(404, {"errors": [{"id": "not_found", "message": "Not found"}]})
        elif isinstance(payload, tuple):
            self._send(*payload)
        else:
            self._send(200, payload)

    def _faulted(self, fault: Fault, payload: Any) -> bool:
        """Serve ``fault``; False when the request should be answered normally after it."""
        body = json.dumps(payload).encode()
        if fault.mode == "429":
            self._send(
                429,
                {"errors": [{"id": "rate_limit_exceeded", "message": "Too many requests"}]},
                headers={"Retry-After": "1"},
            )
        elif fault.mode == "500":
            self._send(
                500,
                {
                    "error": "INTERNAL",
                    "error_details": "internal error",
                    "message": "internal error",
                },
            )
        elif fault.mode == "503":
            self._send(503, None, raw=b"Service Unavailable", content_type="text/plain")
        elif fault.mode == "hostile":  # a body meant to mess up a terminal or a log
            self._send(
                503,
                None,
                raw=b"down \x1b[2J\x1b]0;owned\x07 now\nfake: line",
                content_type="text/plain",
            )
        elif fault.mode == "slow":
            self.fake.release.wait(fault.delay)
            return False
        elif fault.mode == "truncated":
            self._send(200, None, raw=body[: max(1, len(body) // 2)])
        elif fault.mode == "drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif fault.mode == "unknown_product":
            self._send(
                404,
                {
                    "error": "NOT_FOUND",
                    "error_details": "ProductID is invalid",
                    "message": "ProductID is invalid",
                },
            )
        else:
            raise AssertionError(f"unknown fault {fault.mode}")
        return True

    def _payload(self, fake: FakeCoinbase, path: str, params: dict[str, list[str]]) -> Any:
        if path == "/v2/currencies":
            return {
                "data": [
                    {"id": "EUR", "name": "Euro", "min_size": "0.01"},
                    {"id": "USD", "name": "US Dollar", "min_size": "0.01"},
                ]
            }
        if path == "/v2/currencies/crypto":
            return {
                "data": [
                    {
                        "asset_id": f"asset-{c}",
                        "code": c,
                        "name": c,
                        "color": "#000",
                        "sort_index": "1",
                        "exponent": "8",
                        "type": "crypto",
                        "address_regex": ".*",
                    }
                    for c in ("BTC", "ETH", "SOL")
                ]
            }
        if path == "/v2/exchange-rates":
            return {
                "data": {
                    "currency": "USD",
                    "rates": {"EUR": "0.92", "BTC": "0.00002", "ETH": "0.0003", "SOL": "0.006"},
                }
            }
        if path == "/api/v3/brokerage/market/products":
            if params.get("product_type") == ["FUTURE"]:
                return {"products": [], "num_products": 0}
            found = fake.products(params.get("product_ids"))
            return {"products": found, "num_products": len(found)}
        if path == "/api/v3/brokerage/transaction_summary":
            return {
                "total_volume": 0,
                "total_fees": 0,
                "fee_tier": {
                    "pricing_tier": "",
                    "usd_from": "0",
                    "usd_to": "10000",
                    "taker_fee_rate": "0.006",
                    "maker_fee_rate": "0.004",
                },
                "margin_rate": None,
                "goods_and_services_tax": None,
                "advanced_trade_only_volume": 0,
                "advanced_trade_only_fees": 0,
                "coinbase_pro_volume": 0,
                "coinbase_pro_fees": 0,
            }
        if path == "/v2/accounts":
            return fake.accounts()
        prefix, suffix = "/api/v3/brokerage/market/products/", "/candles"
        if path.startswith(prefix) and path.endswith(suffix):
            product = path[len(prefix) : -len(suffix)]
            return self._candles(fake, product, params)
        return None

    def _candles(self, fake: FakeCoinbase, product: str, params: dict[str, list[str]]) -> Any:
        if product not in fake.prices:
            return (
                404,
                {
                    "error": "NOT_FOUND",
                    "error_details": "ProductID is invalid",
                    "message": "ProductID is invalid",
                },
            )
        granularity = (params.get("granularity") or [""])[0]
        if granularity not in fake.granularities:
            return (
                400,
                {
                    "error": "INVALID_ARGUMENT",
                    "error_details": f"Unsupported granularity {granularity}",
                    "message": f"Unsupported granularity {granularity}",
                },
            )
        try:
            start = int(params["start"][0])
            end = int(params["end"][0])
        except (KeyError, ValueError):
            return (400, {"error": "INVALID_ARGUMENT", "message": "start and end required"})
        if (end - start) // GRANULARITY[granularity] > MAX_CANDLES:
            return (
                400,
                {
                    "error": "INVALID_ARGUMENT",
                    "message": f"number of candles requested should be less than {MAX_CANDLES}",
                },
            )
        return {"candles": fake.candles(product, granularity, start, end)}


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` (a test helper for server-side state, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())


# --------------------------------------------------------------------------- test trees

SECRET_FIELDS = ("apiKey", "secret")


def write_credentials(
    directory: Any, fake: FakeCoinbase, *, mode: int = 0o600, coinbase_format: bool = False
) -> Any:
    """The credentials file for ``fake`` in ``directory`` (outside the bot tree)."""
    import os
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "exchange.json"
    data = (
        {"name": fake.api_key, "privateKey": fake.secret}
        if coinbase_format
        else {"apiKey": fake.api_key, "secret": fake.secret}
    )
    path.write_text(json.dumps(data))
    os.chmod(path, mode)
    return path


def write_config(root: Any, fake_url: str, credentials: Any, **extra: Any) -> None:
    """``botstore.toml`` with an ``[exchange]`` table pointing at the fake server."""
    from pathlib import Path

    lines = [
        "[exchange]",
        'id = "coinbase"',
        f'credentials = "{credentials}"',
        'base = "EUR"',
        f'url = "{fake_url}"',
        "retries = 1",
        "retry_delay = 0.01",
        "timeout = 5",
    ]
    for key, value in extra.items():
        lines = [line for line in lines if not line.startswith(f"{key} =")]
        lines.append(f"{key} = {json.dumps(value)}")
    (Path(root) / "botstore.toml").write_text("\n".join(lines) + "\n")


def outputs_of_tree(root: Any) -> list[str]:
    """The text of every regular file under ``root`` (audit log, journals, quarantine...),
    except a credentials file a test deliberately planted in ``root/secrets``."""
    from pathlib import Path

    root = Path(root)
    texts = []
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file() and not path.is_symlink() and path.parent != root / "secrets":
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    return texts


def leaked(fake: FakeCoinbase, texts: list[str]) -> bool:
    """Does any text contain the API key or secret (or a line of a PEM secret)?"""
    secrets = [fake.api_key, fake.secret, *fake.secret.splitlines()[1:2]]
    return any(secret in text for text in texts for secret in secrets if secret)


#: What the current test's :func:`run` calls printed (cleared by :func:`guard_secrets`).
OUTPUTS: list[str] = []


def run(capsys: Any, *args: str) -> tuple[int, str, str]:
    """``botstore ARGS`` in-process: (exit code, stdout, stderr), kept for the secret grep."""
    from core.cli.main import main

    code = main(list(args))
    out = capsys.readouterr()
    OUTPUTS.extend([out.out, out.err])
    return code, out.out, out.err


def logged(caplog: Any) -> list[str]:
    """Every log record of the test's setup and call, formatted with its arguments."""
    return [
        record.getMessage() for when in ("setup", "call") for record in caplog.get_records(when)
    ]


def guard_secrets(request: Any, tmp_path: Any, caplog: Any, capsys: Any) -> Iterator[None]:
    """The body of an autouse fixture: every output of the test — :func:`run` stdout/stderr,
    log records at DEBUG, every file in the bot tree (audit log, journals, quarantine) — is
    grepped for the fake exchange's credentials when the test ends."""
    caplog.set_level(logging.DEBUG)
    OUTPUTS.clear()
    yield
    fake = request.node.funcargs.get("fake")
    if fake is None:
        return
    captured = capsys.readouterr()
    texts = [*OUTPUTS, captured.out, captured.err, *logged(caplog)]
    texts += outputs_of_tree(tmp_path / "bot")
    assert not leaked(fake, texts), "a credential leaked into an output or a file"


def exchange_tree(tmp_path: Path, fake: FakeCoinbase, data_dir: str, **config: Any) -> Path:
    """A bot tree ``tmp_path/bot`` with ``data_dir`` created and a ``botstore.toml`` whose
    ``[exchange]`` points at ``fake`` (credentials in ``tmp_path/etc``, outside the tree)."""
    root = tmp_path / "bot"
    (root / data_dir).mkdir(parents=True)
    creds = write_credentials(tmp_path / "etc", fake)
    write_config(root, fake.url, creds, **config)
    return root


def sha(path: Path) -> str:
    """The SHA-256 of a file's bytes, for 'byte-identical' checks."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
