"""Modification times, normalised: every backend's own key to an aware UTC datetime.

Local files carry ``mtime`` (float), S3 ``LastModified`` (datetime), GCS
``updated`` (ISO string) or ``mtime`` (datetime), memory ``created`` (float),
Azure ``last_modified``. ``entry_mtime`` reads whichever is present.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["entry_mtime", "to_utc", "EPOCH"]

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Keys in the order they are trusted: the first present wins.
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created", "timeCreated", "time_created")


def to_utc(value: Any) -> datetime | None:
    """Turn a float timestamp, datetime or ISO-8601 string into an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            return to_utc(datetime.fromisoformat(text))
        except ValueError:
            return None
    return None


def entry_mtime(entry: dict) -> datetime | None:
    """The modification time of a listing entry, or None when the backend has none."""
    for key in _MTIME_KEYS:
        if key in entry:
            when = to_utc(entry[key])
            if when is not None:
                return when
    return None
