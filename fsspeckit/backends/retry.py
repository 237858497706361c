"""Retries: which failures are worth another attempt, and how long to wait.

Transient: HTTP 5xx, throttling, timeouts, dropped connections, a truncated
body. Permanent: access denied, not found, no space left, read-only, a bad
argument, a cancelled run, a source that changed. A permanent failure fails
its path at once; a transient one is retried with exponential backoff and
full jitter.
"""

from __future__ import annotations

import errno
import logging
import random
import threading
import time
from typing import Callable, TypeVar

from ..exceptions import FsspeckitError, SourceChangedError, SyncCancelled, VerificationError, describe_error
from .timeouts import TIMEOUT_ATTEMPTS, is_timeout

logger = logging.getLogger(__name__)

__all__ = ["is_transient", "retry_call", "backoff_delay"]

T = TypeVar("T")

_PERMANENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                     errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EINVAL, errno.ENAMETOOLONG,
                     errno.EFBIG}
_TRANSIENT_WORDS = ("timeout", "timed out", "throttl", "slowdown", "slow down", "reduce your request rate",
                    "internalerror", "internal error", "service unavailable", "serviceunavailable",
                    "bad gateway", "gateway", "connection", "reset by peer", "broken pipe",
                    "payload", "disconnected", "incomplete", "eof", "500", "502", "503", "504", "temporar",
                    "try again", "ratelimit", "rate limit", "requesttimeout")


def is_transient(exc: BaseException) -> bool:
    """True when another attempt may succeed."""
    if isinstance(exc, VerificationError):
        return True  # a corrupted transfer: try again
    if isinstance(exc, (SyncCancelled, SourceChangedError, FsspeckitError)):
        return False
    if isinstance(exc, (PermissionError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
                        FileExistsError, ValueError, TypeError, KeyError, NotImplementedError)):
        return False
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, OSError) and exc.errno in _PERMANENT_ERRNOS:
        return False
    if isinstance(exc, MemoryError):
        return False
    text = f"{type(exc).__name__} {exc}".lower()
    if any(word in text for word in ("accessdenied", "access denied", "forbidden", "403",
                                     "invalidaccesskeyid", "signaturedoesnotmatch", "nosuchbucket",
                                     "no space left", "quota")):
        return False
    if isinstance(exc, OSError):
        return True  # I/O errors from network backends (s3fs maps 5xx to EIO)
    return any(word in text for word in _TRANSIENT_WORDS) or type(exc).__module__.split(".")[0] in (
        "aiohttp", "botocore", "aiobotocore", "urllib3", "requests", "http", "google", "ssl", "asyncio")


def backoff_delay(attempt: int, base: float, cap: float = 20.0) -> float:
    """Full-jitter exponential backoff for the given (1-based) retry."""
    return random.uniform(0, min(cap, base * (2 ** (attempt - 1))))


def retry_call(func: Callable[[], T], *, retries: int, backoff: float,
               cancel: threading.Event | None = None,
               on_retry: Callable[[int, BaseException], None] | None = None,
               transient: Callable[[BaseException], bool] = None) -> tuple[T, int]:
    """Call ``func`` with up to ``retries`` retries on transient errors.

    Returns ``(result, attempts)``; raises the last error with ``attempts``
    recorded on it as ``exc.fsspeckit_attempts``.
    """
    attempt = timed_out = 0
    while True:
        attempt += 1
        try:
            return func(), attempt
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            timed_out += is_timeout(exc)  # each one cost a whole timeout: do not wait for it many times over
            if (attempt > retries or timed_out >= TIMEOUT_ATTEMPTS or not (transient or is_transient)(exc)
                    or (cancel is not None and cancel.is_set())):
                try:
                    exc.fsspeckit_attempts = attempt
                except Exception:  # noqa: BLE001
                    pass
                raise
            delay = backoff_delay(attempt, backoff)
            logger.info("attempt %d failed (%s); retrying in %.2f s", attempt, describe_error(exc), delay)
            if on_retry is not None:
                on_retry(attempt, exc)
            if cancel is not None:
                if cancel.wait(delay):
                    raise SyncCancelled("The sync was cancelled.") from exc
            else:
                time.sleep(delay)
