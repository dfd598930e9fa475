"""Redaction of secrets before anything is logged or shown on screen.

Follows the standard's key list, matched case-insensitively as a substring of
the key, and — unlike the standard's snippet — recurses through lists too and
never mutates its input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

SENSITIVE_KEYS: Final[frozenset[str]] = frozenset(
    {"api_key", "api_secret", "private_key", "password", "token", "credential", "auth"}
)
REDACTED: Final = "[REDACTED]"

_SENSITIVE_RE: Final = "|".join(w.replace("_", "[_-]") for w in sorted(SENSITIVE_KEYS))
# key=value, key: value, "key": "value" in free text (log lines, reports).
_TEXT_PATTERN: Final = re.compile(
    r"""(?ix)
    (?P<key>["']?[\w.-]*(?:""" + _SENSITIVE_RE + r""")[\w.-]*["']?)
    (?P<sep>\s*[:=]\s*)
    (?P<value>(?:bearer\s+)?\[REDACTED\]|"[^"]*"|'[^']*'|(?:bearer\s+)?[^\s,;}\]]+)
    """
)
_BEARER: Final = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")


def is_sensitive_key(key: object) -> bool:
    """True when ``key`` contains one of the standard's sensitive words."""
    if not isinstance(key, str):
        return False
    lowered = key.lower().replace("-", "_")
    return any(word in lowered for word in SENSITIVE_KEYS)


def sanitize_for_logging(data: Any) -> Any:
    """Return a copy of ``data`` with every sensitive key's value replaced by ``[REDACTED]``.

    Walks dicts, lists and tuples iteratively-safe for realistic depths; other
    values are returned as they are (they are immutable or not containers).
    """
    if isinstance(data, Mapping):
        return {
            key: REDACTED if is_sensitive_key(key) else sanitize_for_logging(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [sanitize_for_logging(item) for item in data]
    if isinstance(data, tuple):
        return tuple(sanitize_for_logging(item) for item in data)
    return data


def sanitize_text(text: str) -> str:
    """Redact ``key=value`` / ``"key": "value"`` pairs and bearer tokens in free text."""

    def _redact(match: re.Match[str]) -> str:
        value = match.group("value")
        quote = value[0] if value[:1] in {'"', "'"} else ""
        return f"{match.group('key')}{match.group('sep')}{quote}{REDACTED}{quote}"

    # The pair pattern takes "Bearer xyz" as one value, so "Authorization: Bearer xyz"
    # loses the token, not just the word "Bearer"; lone bearer tokens are caught after.
    return _BEARER.sub(rf"\g<1>{REDACTED}", _TEXT_PATTERN.sub(_redact, text))
