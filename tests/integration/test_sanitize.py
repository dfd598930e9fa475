"""core.text.sanitize: secrets never reach logs or the screen."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.text.sanitize import (
    REDACTED,
    SENSITIVE_KEYS,
    is_sensitive_key,
    sanitize_for_logging,
    sanitize_text,
)

SECRET = "s3cr3t-value"  # noqa: S105 - a marker, not a credential


def test_standard_key_list() -> None:
    assert {
        "api_key",
        "api_secret",
        "private_key",
        "password",
        "token",
        "credential",
        "auth",
    } == set(SENSITIVE_KEYS)


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API_KEY",
        "Coinbase_Api_Secret",
        "PASSWORD",
        "refresh_token",
        "Credentials",
        "Authorization",
        "oauth",
    ],
)
def test_sensitive_keys_case_insensitive_substring(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize("key", ["amount", "BTC", "portfolio_value_eur", "session_id", 5, None])
def test_ordinary_keys(key: Any) -> None:
    assert not is_sensitive_key(key)


def test_nested_dicts_and_lists_and_input_untouched() -> None:
    data = {
        "exchange": {
            "name": "coinbase",
            "API_KEY": SECRET,
            "accounts": [{"id": 1, "Password": SECRET}, [{"token": SECRET}]],
        },
        "pairs": ("BTC-EUR", {"private_key": SECRET}),
        "auth": {"nested": "whole subtree hidden"},
        "amount": 1.5,
    }
    before = copy.deepcopy(data)
    out = sanitize_for_logging(data)
    assert data == before
    assert out == {
        "exchange": {
            "name": "coinbase",
            "API_KEY": REDACTED,
            "accounts": [{"id": 1, "Password": REDACTED}, [{"token": REDACTED}]],
        },
        "pairs": ("BTC-EUR", {"private_key": REDACTED}),
        "auth": REDACTED,
        "amount": 1.5,
    }
    assert out["exchange"] is not data["exchange"]


def test_scalars_and_top_level_lists() -> None:
    assert sanitize_for_logging(3) == 3
    assert sanitize_for_logging([{"token": 1}, "x"]) == [{"token": REDACTED}, "x"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("api_key=abc", f"api_key={REDACTED}"),
        ('"token": "x"', f'"token": "{REDACTED}"'),
        (
            "retrying API_SECRET: abc123 after timeout",
            f"retrying API_SECRET: {REDACTED} after timeout",
        ),
        ("{'password': 'hunter 2', 'user': 'bob'}", f"{{'password': '{REDACTED}', 'user': 'bob'}}"),
        ("nothing to hide here amount=3", "nothing to hide here amount=3"),
    ],
)
def test_sanitize_text_log_lines(line: str, expected: str) -> None:
    assert sanitize_text(line) == expected


def test_sanitize_text_bearer_token() -> None:
    assert sanitize_text("GET /accounts Bearer abc.def-123") == f"GET /accounts Bearer {REDACTED}"


def test_sanitize_text_authorization_header() -> None:
    out = sanitize_text("Authorization: Bearer xyz")
    assert "xyz" not in out
    assert out.startswith("Authorization: ")
    assert out.count("[REDACTED]") == 1


def test_sanitize_text_hyphenated_key() -> None:
    out = sanitize_text("headers x-api-key: k3y, X-Auth-Token=abc")
    assert "k3y" not in out
    assert "abc" not in out


# --------------------------------------------------------------------------- properties

_SPELLINGS = sorted(
    SENSITIVE_KEYS
    | {
        "apiKey",
        "secret",
        "passphrase",
        "uid",
        "privateKey",
        "walletAddress",
        "X-MBX-APIKEY",
        "signature",
    }
)
# Whole words only (``tokens_used`` is a counter, not a secret): affixes are separate words.
_sensitive = st.tuples(
    st.sampled_from(["", "x_", "Coinbase-", "exchange.", "refresh_"]),
    st.sampled_from(_SPELLINGS),
    st.sampled_from(["", "_value", "-hdr"]),
    st.booleans(),
).map(lambda t: (t[0] + t[1] + t[2]).upper() if t[3] else t[0] + t[1] + t[2])
_plain = st.text("bcdfghjmqvwxz_EUR", min_size=1, max_size=8).filter(
    lambda k: not is_sensitive_key(k)
)


def _tree() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.none(), st.booleans()
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(_plain, _sensitive), children, max_size=4),
        ),
        max_leaves=30,
    )


def _plant(tree: Any) -> Any:
    """Put SECRET under every sensitive key (replacing whatever subtree was there)."""
    if isinstance(tree, dict):
        return {k: (SECRET if is_sensitive_key(k) else _plant(v)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_plant(v) for v in tree]
    return tree


@given(_tree().map(_plant))
def test_never_leaks_a_sensitive_value_at_any_depth(tree: Any) -> None:
    before = copy.deepcopy(tree)
    out = sanitize_for_logging(tree)
    assert SECRET not in json.dumps(out)
    assert tree == before  # input not mutated
    # Everything that is not a secret survives unchanged.
    assert json.dumps(out).replace(json.dumps(REDACTED), json.dumps(SECRET)) == json.dumps(tree)


@given(
    key=_sensitive,
    value=st.from_regex(r"[A-Za-z0-9_.~+/-]{1,24}", fullmatch=True),
    sep=st.sampled_from(["=", ": ", " = ", ":"]),
)
def test_sanitize_text_hides_any_value(key: str, value: str, sep: str) -> None:
    assert sanitize_text(f"ts INFO {key}{sep}{value} done") == f"ts INFO {key}{sep}{REDACTED} done"


@pytest.mark.parametrize(
    "line",
    [
        "token=abc123 rest",
        "Authorization: Bearer xyz",
        '{"api_key": "k", "password": \'p\'}',
        "x-api-key: k3y, X-Auth-Token=abc",
        "sent Bearer abc.def",
    ],
)
def test_sanitize_text_is_idempotent(line: str) -> None:
    once = sanitize_text(line)
    assert sanitize_text(once) == once
    assert "]]" not in once
