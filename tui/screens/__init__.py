"""Screens of fsspeckit-tui: partition picker, run with live progress, run report, layout view."""

from __future__ import annotations

from datetime import datetime, timezone

from fsspeckit.model.units import human_bytes, human_duration, human_rate  # one unit system (IEC) everywhere

__all__ = ["human_bytes", "human_duration", "human_rate", "human_date"]


def human_date(epoch: float | None) -> str:
    """An epoch time as a UTC date and minute, ``"2024-03-01 12:30"``."""
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
