"""The Google Cloud Storage client, loaded lazily, plus errors and bounded retries.

``google-cloud-storage`` is the optional extra ``gcs``: nothing in core imports
it at module level, so botstore works without it and the cloud commands say how
to install it. Every call into the library goes through :func:`call_with_retry`
with the library's own retry disabled, so the total time spent on a dead
endpoint is bounded and predictable (the library default retries for 120 s).
"""

from __future__ import annotations

import importlib
import os
import random
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from core.errors import BotstoreError
from core.text.sanitize import sanitize_text

T = TypeVar("T")

INSTALL_HINT: Final = "pip install 'botstore[gcs]'"
EMULATOR_ENV: Final = "STORAGE_EMULATOR_HOST"


class CloudError(BotstoreError):
    """Base class of every cloud failure; ``str()`` is safe to log (sanitized)."""

    code = "cloud"

    def __init__(self, message: str) -> None:
        self.message = sanitize_text(message)
        super().__init__(self.message)


class GcsMissing(CloudError):
    """The optional dependency ``google-cloud-storage`` is not installed."""

    code = "gcs_missing"


class CredentialsError(CloudError):
    """The key file is unusable (missing, not a regular file, too open)."""

    code = "credentials"


class CloudUnavailable(CloudError):
    """The storage endpoint could not be reached after every retry."""

    code = "unavailable"


class CloudDenied(CloudError):
    """The service account lacks a permission (403) or the bucket does not exist (404)."""

    code = "denied"


class SyncConflict(CloudError):
    """A conditional write found an object already there: another writer got there first."""

    code = "conflict"


class IntegrityError(CloudError):
    """A downloaded object does not match its manifest (hash, size, schema)."""

    code = "integrity"


# --------------------------------------------------------------------------- lazy import


def load_gcs() -> Any:
    """Import ``google.cloud.storage`` or raise :class:`GcsMissing` with the install hint."""
    try:
        return importlib.import_module("google.cloud.storage")
    except ImportError as exc:
        raise GcsMissing(
            f"Google Cloud Storage support is not installed; run: {INSTALL_HINT}"
        ) from exc


def gcs_available() -> bool:
    """True when the ``gcs`` extra is installed (does not import it twice)."""
    try:
        load_gcs()
    except GcsMissing:
        return False
    return True


# --------------------------------------------------------------------------- credentials


def check_key_file(path: str | os.PathLike[str]) -> Path:
    """Refuse a service-account key that is not a regular file of mode 600 (or stricter).

    The message names the path and the mode, never the file's content.
    """
    key = Path(path).expanduser()
    try:
        st = key.stat()
    except FileNotFoundError:
        raise CredentialsError(f"credentials key file {key} does not exist") from None
    except OSError as exc:
        raise CredentialsError(
            f"credentials key file {key} is unreadable: {exc.strerror}"
        ) from None
    if not stat.S_ISREG(st.st_mode):
        raise CredentialsError(f"credentials key file {key} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise CredentialsError(
            f"credentials key file {key} has mode {mode:03o}; it must be 600 "
            f"(readable by its owner only). Fix with: chmod 600 {key}"
        )
    return key


def make_client(
    credentials: str | os.PathLike[str] | None = None,
    endpoint: str | None = None,
    project: str | None = None,
) -> Any:
    """A ``google.cloud.storage.Client``.

    ``endpoint`` (or ``$STORAGE_EMULATOR_HOST``) targets an emulator with
    anonymous credentials; ``credentials`` is a service-account key file (must
    be mode 600); otherwise Application Default Credentials are used.
    """
    return without_metadata_thread(_new_client(credentials, endpoint, project))


def without_metadata_thread(client: Any) -> Any:
    """Turn off the client's bucket-metadata cache (google-cloud-storage >= 3.x).

    On a cache miss it starts a daemon thread per bucket that sends an extra
    ``get_bucket`` — only to label OpenTelemetry spans, which botstore does not
    emit. That request needs ``storage.buckets.get`` (not in the minimal role),
    retries with backoff after the call that started it has returned, and
    outlives a failed sync. ``DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA``
    does the same process-wide; this stays on our own clients.
    """
    if getattr(client, "_bucket_metadata_cache", None) is not None:
        client._bucket_metadata_cache = None
    return client


def _new_client(
    credentials: str | os.PathLike[str] | None, endpoint: str | None, project: str | None
) -> Any:
    storage = load_gcs()
    endpoint = endpoint or os.environ.get(EMULATOR_ENV) or None
    if endpoint:
        anonymous = importlib.import_module("google.auth.credentials").AnonymousCredentials()
        return storage.Client(
            project=project or "botstore-emulator",
            credentials=anonymous,
            client_options={"api_endpoint": endpoint},
        )
    if credentials is not None:
        key = check_key_file(credentials)
        try:
            return storage.Client.from_service_account_json(os.fspath(key), project=project)
        except (ValueError, KeyError, OSError) as exc:
            raise CredentialsError(
                f"credentials key file {key} is not a valid service-account key "
                f"({type(exc).__name__})"
            ) from None
    try:
        return storage.Client(project=project)
    except Exception as exc:
        if type(exc).__name__ == "DefaultCredentialsError":
            raise CredentialsError(
                "no Google credentials found: set GOOGLE_APPLICATION_CREDENTIALS, run "
                "'gcloud auth application-default login', or pass --credentials KEYFILE"
            ) from None
        raise


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff: ``attempts`` tries, delays base*2^n capped, with jitter."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 60.0  # per HTTP request

    def delays(self) -> list[float]:
        return [
            min(self.max_delay, self.base_delay * (2**n)) * (0.5 + random.random() / 2)
            for n in range(max(0, self.attempts - 1))
        ]


DEFAULT_RETRY: Final = RetryPolicy()

_TRANSIENT_API: Final = frozenset(
    {
        "TooManyRequests",
        "InternalServerError",
        "BadGateway",
        "ServiceUnavailable",
        "GatewayTimeout",
        "RequestTimeout",
    }
)


def _api_name(exc: BaseException) -> str | None:
    """The google.api_core exception class name, or None for other exceptions."""
    if type(exc).__module__.startswith("google.api_core"):
        return type(exc).__name__
    return None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: network errors, 408/429/5xx, checksum mismatches in transit."""
    name = _api_name(exc)
    if name is not None:
        return name in _TRANSIENT_API
    module = type(exc).__module__
    if module.startswith(("requests", "urllib3", "google.auth")):
        return True
    if type(exc).__name__ == "DataCorruption":
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def is_precondition_failed(exc: BaseException) -> bool:
    return _api_name(exc) == "PreconditionFailed"


def is_not_found(exc: BaseException) -> bool:
    return _api_name(exc) == "NotFound"


def describe_error(exc: BaseException) -> str:
    """One sanitized line for an exception (no URLs with tokens, no payloads)."""
    if isinstance(exc, CloudError):
        return exc.message
    name = _api_name(exc)
    if name is not None:
        code = getattr(exc, "code", None)
        text = getattr(exc, "message", "") or str(exc)
        text = str(text).splitlines()[0] if text else ""
        return sanitize_text(f"{name} ({code}): {text}"[:300])
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "Connection refused" in str(exc) or "NewConnectionError" in str(exc):
        text = "connection refused"
    return sanitize_text(f"{type(exc).__name__}: {text}"[:300])


def call_with_retry(
    action: str,
    fn: Callable[[], T],
    *,
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[str, int, BaseException], None] | None = None,
) -> T:
    """Run ``fn``; retry transient failures with bounded exponential backoff.

    Raises :class:`CloudUnavailable` when the retries run out, :class:`CloudDenied`
    for 401/403/404; any other library error propagates unchanged (callers decide,
    e.g. 412 -> :class:`SyncConflict`).
    """
    delays = policy.delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            name = _api_name(exc)
            if name in {"Forbidden", "Unauthorized"}:
                raise CloudDenied(
                    f"{action}: permission denied ({describe_error(exc)}); "
                    "check the service account's IAM role on the bucket"
                ) from None
            if not is_transient(exc):
                raise
            if attempt > len(delays):
                raise CloudUnavailable(
                    f"{action}: storage unreachable after {attempt} attempts "
                    f"({describe_error(exc)})"
                ) from exc
            if on_retry is not None:
                on_retry(action, attempt, exc)
            sleep(delays[attempt - 1])
