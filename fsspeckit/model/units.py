"""How sizes, rates and durations read, in the library, the command line and the app alike.

One unit system everywhere: IEC binary units (1 KiB = 1024 bytes), as ``ls -h``,
rclone and the plan summaries print them. Nothing here imports the rest of fsspeckit.
"""

from __future__ import annotations

__all__ = ["human_bytes", "human_duration", "human_rate", "human_rates"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: float | int | None) -> str:
    """``1536`` -> ``"1.5 KiB"``; whole bytes below 1 KiB (``"512 B"``); None or below zero -> ``"0 B"``."""
    size = max(0.0, float(n or 0))
    for unit in _UNITS:
        if size < 1024 or unit == _UNITS[-1]:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def human_rate(bytes_per_second: float | None) -> str:
    """``10 * 2**20`` -> ``"10.0 MiB/s"``."""
    return f"{human_bytes(bytes_per_second)}/s"


def human_rates(nbytes: float, nfiles: int, seconds: float) -> str:
    """Both rates of a run: ``"12.5 MiB/s, 340.0 files/s"`` (a run of small files reads by the second one)."""
    if seconds <= 0:
        return f"{human_rate(0)}, 0 files/s"
    per_s = nfiles / seconds
    files = f"{per_s:,.0f}" if per_s >= 100 else f"{per_s:.1f}"
    return f"{human_rate(nbytes / seconds)}, {files} files/s"


def human_duration(seconds: float | None) -> str:
    """``4.2`` -> ``"4.2 s"``, ``75`` -> ``"1 min 15 s"``, ``7260`` -> ``"2 h 1 min"``; None -> ``"unknown"``."""
    if seconds is None:
        return "unknown"
    if seconds < 10:
        return f"{max(0.0, seconds):.1f} s"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"
