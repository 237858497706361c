"""Screens of fsspeckit-tui: partition picker, run with live progress, run report, layout view."""

from __future__ import annotations

from ..service import human_bytes, human_date, human_duration, human_rate  # one unit system (IEC) everywhere

__all__ = ["human_bytes", "human_duration", "human_rate", "human_date"]
