"""Screens of fsspeckit-tui: partition picker, run with live progress, run report, layout view."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import humanize

__all__ = ["human_bytes", "human_duration", "human_rate", "human_date"]


def human_bytes(n: float | int | None) -> str:
    """``123456789`` -> ``"123.5 MB"``."""
    return humanize.naturalsize(max(0, n or 0))


def human_rate(bytes_per_second: float) -> str:
    return f"{human_bytes(bytes_per_second)}/s"


def human_duration(seconds: float | None) -> str:
    """``75.3`` -> ``"1 minute and 15 seconds"``; short times keep a decimal."""
    if seconds is None:
        return "unknown"
    if seconds < 10:
        return f"{seconds:.1f} s"
    return humanize.precisedelta(timedelta(seconds=round(seconds)), minimum_unit="seconds")


def human_date(epoch: float | None) -> str:
    """An epoch time as a UTC date and minute, ``"2024-03-01 12:30"``."""
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
