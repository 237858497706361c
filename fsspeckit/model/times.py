"""Modification times, normalised: every backend's own key to an aware UTC datetime.

Local files carry ``mtime`` (float), S3 ``LastModified`` (datetime), GCS
``updated`` (ISO string) or ``mtime`` (datetime), memory ``created`` (float),
Azure ``last_modified``. ``entry_mtime`` reads whichever is present.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["entry_mtime", "to_utc", "EPOCH", "Timestamp"]

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


class Timestamp(datetime):
    """A listing entry's ``modified``: an aware datetime that also equals its own text.

    A state file written with ``json.dump(..., default=str)`` holds
    ``str(entry["modified"])``; comparing that saved text with the next
    listing's ``modified`` must say "unchanged" when the file is unchanged, so
    a string equals a ``Timestamp`` when it parses (ISO 8601, ``T`` or space,
    ``Z`` allowed) to the same instant. Everything else is ``datetime``'s.
    """

    __slots__ = ()

    @classmethod
    def of(cls, when: datetime) -> "Timestamp":
        if isinstance(when, cls):
            return when
        return cls(when.year, when.month, when.day, when.hour, when.minute, when.second,
                   when.microsecond, tzinfo=when.tzinfo, fold=when.fold)

    def __eq__(self, other):
        if isinstance(other, str):
            parsed = _parse_text(other)
            if parsed is None:
                return False
            if (parsed.tzinfo is None) != (self.tzinfo is None):
                return False
            return datetime.__eq__(self, parsed)
        return datetime.__eq__(self, other)

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    __hash__ = datetime.__hash__

    def __reduce__(self):
        return (Timestamp.of, (datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                                        self.microsecond, tzinfo=self.tzinfo, fold=self.fold),))


def _parse_text(text: str) -> datetime | None:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
