"""Deadlines for requests to object stores: how long to wait for a connection, and for a byte.

The defaults are rclone's: ``--contimeout 1m`` to connect, ``--timeout 5m``
without a byte (an idle read, a download that stalls mid-body). Set them for
the process with ``configure(timeout=..., contimeout=...)`` before the
filesystems are made (the command line's ``--timeout``/``--contimeout`` do),
or per filesystem with the backend's own options (S3:
``config_kwargs={"read_timeout": ..., "connect_timeout": ...}``), which win.

A timeout alone ends nothing: botocore, s3fs and the run retry it, each in
its own loop, so a dead endpoint used to cost a hundred timeouts and half an
hour before a run gave up. Here an S3 request that has timed out
``TIMEOUT_ATTEMPTS`` times in a row is not tried again: it fails with
``EndpointTimeoutError``, which no layer retries, so a stalled listing ends
after about twice the timeout with a sentence that says so.
"""

from __future__ import annotations

import re
import threading

from ..exceptions import EndpointTimeoutError, OptionError

__all__ = ["TIMEOUT", "CONTIMEOUT", "TIMEOUT_ATTEMPTS", "EndpointTimeoutError", "StallError", "configure", "parse_duration",
           "is_timeout", "s3_options", "watch_s3"]

#: seconds without a byte from the endpoint before a request counts as timed out
TIMEOUT = 300.0
#: seconds to open a connection
CONTIMEOUT = 60.0
#: a request that timed out this many times in a row is given up
TIMEOUT_ATTEMPTS = 2


def configure(timeout: float | str | None = None, contimeout: float | str | None = None) -> None:
    """Set the process-wide deadlines (seconds, or durations such as ``"5m"``) for filesystems made afterwards."""
    global TIMEOUT, CONTIMEOUT
    if timeout is not None:
        TIMEOUT = _positive(timeout, "timeout")
    if contimeout is not None:
        CONTIMEOUT = _positive(contimeout, "contimeout")


def _positive(value, name: str) -> float:
    seconds = parse_duration(value) if isinstance(value, str) else float(value)
    if not seconds > 0:
        raise OptionError(f"{name} must be a positive duration such as 30s or 5m, not {value!r}.")
    return seconds


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(text: str) -> float:
    """Seconds in a duration written as rclone writes them: ``90``, ``30s``, ``5m``, ``1h30m``, ``250ms``."""
    s = str(text).strip().lower()
    try:
        return float(s)
    except ValueError:
        pass
    pos, total = 0, 0.0
    for m in _PART.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise OptionError(f"{text!r} is not a duration: write seconds (90) or a number with a unit "
                         "(250ms, 30s, 5m, 1h30m).")
    return total


class StallError(OSError):
    """No byte of a body arrived for the timeout (transient: the attempt may be made again).

    An ``OSError`` rather than a ``TimeoutError``: fsspec turns any
    ``TimeoutError`` leaving a coroutine into its own message-less one.
    """


def is_timeout(exc: BaseException) -> bool:
    """True for an endpoint that did not answer in time: a stalled body, or a request given up."""
    return isinstance(exc, (EndpointTimeoutError, StallError))


def s3_options(options: dict) -> dict:
    """S3 storage options with the deadlines added where the caller set none."""
    out = dict(options)
    config = dict(out.get("config_kwargs") or {})
    config.setdefault("connect_timeout", CONTIMEOUT)
    config.setdefault("read_timeout", TIMEOUT)
    out["config_kwargs"] = config
    return out


_TIMEOUT_ERRORS: tuple = ()
_installed = threading.Lock()
_done = False


def watch_s3() -> None:
    """Make every s3fs client give up a request after ``TIMEOUT_ATTEMPTS`` timeouts in a row (once per process)."""
    global _done, _TIMEOUT_ERRORS
    with _installed:
        if _done:
            return
        import botocore.exceptions as bex
        import s3fs

        _TIMEOUT_ERRORS = (bex.ReadTimeoutError, bex.ConnectTimeoutError)
        original = s3fs.S3FileSystem.set_session

        async def set_session(self, *args, **kwargs):
            client = await original(self, *args, **kwargs)
            for events in (client.meta.events, getattr(getattr(self, "session", None), "_events", None)):
                if events is not None and not getattr(events, "_fsspeckit_watched", False):
                    events.register_first("needs-retry.s3", _give_up_after_timeouts,
                                          unique_id="fsspeckit-timeouts")
                    events._fsspeckit_watched = True
            return client

        set_session.__wrapped__ = original
        s3fs.S3FileSystem.set_session = set_session
        _done = True


def _give_up_after_timeouts(attempts=None, caught_exception=None, request_dict=None, **_kwargs):
    """botocore's retry hook: a request that timed out ``TIMEOUT_ATTEMPTS`` times raises instead of retrying."""
    if isinstance(caught_exception, _TIMEOUT_ERRORS) and (attempts or 0) >= TIMEOUT_ATTEMPTS:
        url = (request_dict or {}).get("url", "the endpoint")
        what = "connect to" if "Connect" in type(caught_exception).__name__ else "get an answer from"
        raise EndpointTimeoutError(f"could not {what} {url} within the timeout, {attempts} times in a row "
                                   "(set --timeout/--contimeout to wait longer).")
    return None
