"""A file's own modification time kept in object metadata, in rclone's formats.

S3 (user metadata ``mtime``): Unix seconds with nine decimals,
``1600000000.123456001``. GCS (custom metadata): ``mtime`` in RFC 3339 with
nanoseconds, ``2020-09-13T12:26:40.123456001Z``, plus gsutil's
``goog-reserved-file-mtime`` in whole Unix seconds; rclone reads ``mtime``
first, then gsutil's key. Readers here accept either text form under either key.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

__all__ = ["rclone_s3_mtime", "rfc3339_nano", "parse_stored", "parse_stored_ns", "stored_mtime", "stored_mtime_ns",
           "gcs_metadata", "GCS_KEYS"]

logger = logging.getLogger(__name__)

#: The metadata keys that hold a file time, in the order rclone trusts them.
GCS_KEYS = ("mtime", "goog-reserved-file-mtime")

_RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|z|[+-]\d\d:\d\d)$")
_UNIX = re.compile(r"-?\d{1,12}(?:\.\d{1,9})?$")
#: Stored times outside these years are taken for damaged metadata, not a file time.
_YEARS = (1970, 2200)


def rclone_s3_mtime(ns: int) -> str:
    """A time in nanoseconds as rclone writes S3's ``mtime``: seconds, a dot, nine digits."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def rfc3339_nano(ns: int) -> str:
    """A time in nanoseconds as Go's RFC3339Nano in UTC (trailing zeros of the fraction dropped)."""
    secs, frac = divmod(ns, 1_000_000_000)
    text = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


def parse_stored(text) -> float | None:
    """Seconds since the epoch from a stored time in either form, or None when it is not one."""
    ns = parse_stored_ns(text)
    return None if ns is None else ns / 1e9


def parse_stored_ns(text) -> int | None:
    """Nanoseconds since the epoch from a stored time in either form (exact), or None."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    text = text.strip()
    m = _UNIX.match(text)
    if m:
        whole, _, frac = text.partition(".")
        sign = -1 if whole.startswith("-") else 1
        value = int(whole) * 1_000_000_000 + sign * int(frac.ljust(9, "0") or 0)
    else:
        value = _parse_rfc3339(text)
        if value is None:
            return None
    low, high = (int(datetime(y, 1, 1, tzinfo=timezone.utc).timestamp()) * 1_000_000_000 for y in _YEARS)
    return value if low <= value < high else None


def _parse_rfc3339(text: str) -> int | None:
    m = _RFC3339.match(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7) or "", m.group(8)
    try:
        when = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:
        return None
    secs = int(when.timestamp())
    if zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        secs -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 1_000_000_000 + (int(frac.ljust(9, "0")) if frac else 0)


def stored_mtime(info: dict) -> float | None:
    """The file time an object's metadata holds, from a listing, HEAD or GET answer; None if none.

    GCS listings carry custom metadata as ``metadata``; an S3 HEAD or GET
    carries user metadata as ``Metadata`` (S3 listings carry none).
    """
    ns = stored_mtime_ns(info)
    return None if ns is None else ns / 1e9


def stored_mtime_ns(info: dict) -> int | None:
    """``stored_mtime`` in exact nanoseconds."""
    for field in ("metadata", "Metadata"):
        meta = info.get(field)
        if not isinstance(meta, dict):
            continue
        for key in GCS_KEYS:
            value = parse_stored_ns(meta.get(key))
            if value is not None:
                return value
    return None


def gcs_metadata(ns: int) -> dict[str, str]:
    """Custom metadata for a GCS upload of a file modified at ``ns``, as rclone writes it."""
    return {"mtime": rfc3339_nano(ns), "goog-reserved-file-mtime": str(ns // 1_000_000_000)}
