"""Redaction of secrets before anything is logged or shown on screen.

Two questions, two rules:

* **Is this key a secret?** (:func:`is_sensitive_key`, for JSON keys, ``key=value``
  pairs, HTTP headers, query parameters). The key is split into words
  at separators (``X-MBX-APIKEY`` -> ``x mbx apikey``; ``apiKey`` -> ``apikey``) and
  matched case- and separator-insensitively against the
  spellings of the standard and of the libraries the bot uses (ccxt ``apiKey``,
  ``secret``, ``password``, ``uid``, ``privateKey``, ``walletAddress``, ``token``;
  Coinbase ``api_key``/``api_secret``; HTTP ``Authorization``, ``X-*-APIKEY``,
  ``X-*-SIGNATURE``). Whole words only, so counters stay visible:
  ``tokens_used``, ``max_tokens``, ``author`` are not secrets.
* **Does this file name mark a sensitive file?** (:func:`is_sensitive_filename`, the
  standard's key list as a substring of the name: the permission policy).

:func:`sanitize_text` redacts free text (log lines, reports, error messages) in
one linear pass: ``key=value``, ``key: value``, ``"key": "value"`` (escaped
quotes included), ``"key": {...}`` (the whole object), URL query parameters
and ``user:password@`` userinfo, bearer tokens, and whole PEM private-key
blocks. It never mutates its input; :func:`sanitize_for_logging` does the same
for parsed data, recursing through dicts, lists and tuples.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final

#: The standard's key list (file names; a substring match, see :func:`is_sensitive_filename`).
SENSITIVE_KEYS: Final[frozenset[str]] = frozenset(
    {"api_key", "api_secret", "private_key", "password", "token", "credential", "auth"}
)
REDACTED: Final = "[REDACTED]"
#: Any of the standard's words, searched in a lowered name (one pass; the scan calls it per file).
_SENSITIVE_WORD: Final = re.compile("|".join(sorted(SENSITIVE_KEYS)))
#: Longest line :func:`sanitize_text` shows when asked to clip (``max_line``).
MAX_SHOWN_LINE: Final = 2000
ELISION: Final = "… [{n} more characters not shown]"

#: A key part (split at ``_ - .`` and spaces, lowercased) ending with one of these is a secret
#: (``refreshToken``, ``oauth``, ``Coinbase_Api_Secret``; not ``max_tokens``, ``author``).
_SECRET_SUFFIXES: Final = (
    "password",
    "passwd",
    "passwords",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "auth",
    "authorization",
    "signature",
    "bearer",
)
#: ... a part equal to one of these (too short to match as a suffix: ``fluid``, ``design``).
_SECRET_PARTS: Final = frozenset({"uid", "sign", "jwt", "pem", "cookie", "pwd"})
#: ... or the whole key, separators removed, containing one of these (``X-MBX-APIKEY``,
#: ``apiKey``, ``private_key``, ``CB-ACCESS-KEY``, ``walletAddress``).
_SECRET_JOINED: Final = (
    "apikey",
    "apisecret",
    "privatekey",
    "secretkey",
    "accesskey",
    "walletaddress",
    "signingkey",
)
_SPLIT: Final = re.compile(r"[_\-.\s]+")
_CACHED_KEY_LEN: Final = 128

# The single pass: each alternative is anchored so that no input makes it backtrack
# more than a constant per character (possessive quantifiers, a lookbehind at key starts).
_PEM: Final = (
    r"(?P<pem>-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----"
    r"(?:.*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----|.*))"
)
_SCAN: Final = re.compile(
    _PEM
    + r"|(?P<userinfo>(?<=://)[^/\s:@]{1,256}+:)[^/\s@]++@"
    + r"|(?P<bearer>\b[Bb][Ee][Aa][Rr][Ee][Rr]\s++)[A-Za-z0-9._~+/=-]++"
    # a key may be quoted, also with escaped quotes (JSON inside a JSON string: \"apiKey\")
    # a key starts a word (or follows an escaped newline/tab: "...\\n\\"apiKey\\": ...")
    + r"""|(?:(?<![\w.-])|(?<=\\[nrt]))(?P<q>\\?+["']|)(?P<key>[\w.-]++)(?P=q)"""
    + r"""(?P<sep>[ \t]*+[:=][ \t]*+)""",
    re.DOTALL,
)
_SCHEME: Final = re.compile(
    r"(?i)(?:bearer|basic|digest|token|jwt|negotiate|hmac[\w-]*+|aws4-hmac-sha256)[ \t]++"
)
_QUOTED: Final = {
    '"': re.compile(r'"(?:[^"\\\n]++|\\.)*+(?:"|$)', re.MULTILINE),
    "'": re.compile(r"'(?:[^'\\\n]++|\\.)*+(?:'|$)", re.MULTILINE),
}
_ESCAPED_QUOTED: Final = re.compile(r'\\"(?:[^\\\n]++|\\[^"\n])*+(?:\\"|$)', re.MULTILINE)
_BARE: Final = re.compile(r"""[^\s,;&"'{}\[\]\\]++""")  # no backslash: \n ends it
_BRACKET_TOKENS: Final = re.compile(r'[\[\]{}"\n]|\\.')
_OPEN_CLOSE: Final = {"{": "}", "[": "]"}


def _judge_key(key: str) -> bool:
    parts = [part for part in _SPLIT.split(key.lower()) if part]
    if any(part in _SECRET_PARTS or part.endswith(_SECRET_SUFFIXES) for part in parts):
        return True
    joined = "".join(parts)
    return any(word in joined for word in _SECRET_JOINED)


_judge_cached = functools.lru_cache(maxsize=8192)(_judge_key)


def _secret_key(key: str) -> bool:
    # only short keys are cached: a hostile 1 MB "key" must not be kept 8192 times
    return _judge_cached(key) if len(key) <= _CACHED_KEY_LEN else _judge_key(key)


def is_sensitive_key(key: object) -> bool:
    """True when ``key`` names a secret (see the module docstring); whole words only."""
    return isinstance(key, str) and bool(key) and _secret_key(key)


def is_sensitive_filename(name: object) -> bool:
    """True when a file name contains one of the standard's words (the permission rule)."""
    if not isinstance(name, str):
        return False
    return _SENSITIVE_WORD.search(name.lower().replace("-", "_")) is not None


def sanitize_for_logging(data: Any) -> Any:
    """Return a copy of ``data`` with every sensitive key's value replaced by ``[REDACTED]``.

    Walks dicts, lists and tuples; string values go through :func:`sanitize_text`
    (a PEM block or ``token=...`` under an innocent key); other values are
    returned as they are (they are immutable or not containers).
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
    if isinstance(data, str) and _may_hold_secret(data):
        return sanitize_text(data)
    return data


def _may_hold_secret(text: str) -> bool:
    return "=" in text or ":" in text or "-----" in text or "earer" in text or "EARER" in text


def _balanced_end(text: str, start: int) -> int:
    """End of the bracketed value opening at ``start`` (strings skipped; the line's end
    or the text's end when it never closes). Linear in the value's length."""
    stack = [_OPEN_CLOSE[text[start]]]
    in_string = False
    for match in _BRACKET_TOKENS.finditer(text, start + 1):
        char = match.group()
        if char == "\n":
            return match.start()
        if in_string:
            if char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in _OPEN_CLOSE:
            stack.append(_OPEN_CLOSE[char])
        elif len(char) == 1 and char in "]}":
            if char == stack[-1]:
                stack.pop()
            if not stack:
                return match.end()
    return len(text)


def _value_end(text: str, pos: int) -> tuple[int, str, str]:
    """``(end, scheme, quote)`` of the value starting at ``pos`` (``end == pos``: none)."""
    scheme = ""
    found = _SCHEME.match(text, pos)
    if found is not None:
        scheme = found.group()
        pos = found.end()
    if pos >= len(text):
        return pos, scheme, ""
    first = text[pos]
    if text.startswith('\\"', pos):
        escaped = _ESCAPED_QUOTED.match(text, pos)
        if escaped is not None:
            return escaped.end(), scheme, '\\"'
    if first in _QUOTED:
        quoted = _QUOTED[first].match(text, pos)
        if quoted is not None:
            return quoted.end(), scheme, first
    if first in _OPEN_CLOSE:
        return _balanced_end(text, pos), scheme, ""
    bare = _BARE.match(text, pos)
    return (bare.end() if bare is not None else pos), scheme, ""


def _redact(text: str) -> str:
    out: list[str] = []
    pos = 0
    length = len(text)
    search = _SCAN.search
    while pos < length:
        match = search(text, pos)
        if match is None:
            break
        kind = match.lastgroup
        if kind == "sep":
            key = match.group("key")
            if not _secret_key(key):
                # not a secret: keep the key, rescan from its value (which may be a key)
                out.append(text[pos : match.end()])
                pos = match.end()
                continue
            end, scheme, quote = _value_end(text, match.end())
            out.append(text[pos : match.end()])
            if end > match.end() + len(scheme):
                out.append(f"{scheme}{quote}{REDACTED}{quote}")
            else:
                out.append(text[match.end() : end])
            pos = end
            continue
        if kind == "pem":
            out.append(text[pos : match.start()])
            out.append(f"-----BEGIN PRIVATE KEY----- {REDACTED} -----END PRIVATE KEY-----")
        else:  # userinfo / bearer: keep the label, hide what follows it
            label = match.group(kind or "")
            out.append(text[pos : match.start()])
            out.append(f"{label}{REDACTED}" + ("@" if kind == "userinfo" else ""))
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


def clip_lines(text: str, max_line: int = MAX_SHOWN_LINE) -> str:
    """Every line of ``text`` cut to ``max_line`` characters, the rest replaced by a marker."""
    if len(text) <= max_line:
        return text
    return "\n".join(
        line if len(line) <= max_line else line[:max_line] + ELISION.format(n=len(line) - max_line)
        for line in text.split("\n")
    )


def sanitize_text(text: str, *, max_line: int | None = None) -> str:
    """Redact secrets in free text (see the module docstring) in time linear in its length.

    Multi-line text is redacted as a whole (a PEM block spans lines); pass
    ``max_line`` to also cut each line to that many characters with a marker.
    """
    if text and _may_hold_secret(text):
        text = _redact(text)
    return clip_lines(text, max_line) if max_line is not None else text


__all__ = [
    "ELISION",
    "MAX_SHOWN_LINE",
    "REDACTED",
    "SENSITIVE_KEYS",
    "clip_lines",
    "is_sensitive_filename",
    "is_sensitive_key",
    "sanitize_for_logging",
    "sanitize_text",
]
