"""A bar chart drawn from zero, one bar per value, in a few terminal rows.

Textual's Sparkline scales between the smallest and the largest value, so two
partitions of 384 kB and 376 kB look like a full bar and an empty one. Here a
bar's height is its share of the largest value, and a zero is a visible gap.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["Bars", "draw_bars"]

_EIGHTHS = " ▁▂▃▄▅▆▇█"


def _fit(data: list[float], width: int) -> list[float]:
    """At most ``width`` values: neighbours share a column (the largest of them is drawn)."""
    if len(data) <= width:
        return list(data)
    out = []
    for col in range(width):
        lo, hi = col * len(data) // width, (col + 1) * len(data) // width
        out.append(max(data[lo:max(hi, lo + 1)]))
    return out


def draw_bars(data: list[float], width: int, height: int) -> list[str]:
    """The chart as ``height`` lines of ``width`` characters (top line first)."""
    if not data or width < 1 or height < 1:
        return [" " * max(width, 0)] * max(height, 0)
    values = _fit([max(0.0, float(v)) for v in data], width)
    span = max(1, width // len(values))
    gap = 1 if span >= 3 else 0
    peak = max(values) or 1.0
    levels = height * 8
    lines = []
    for row in range(height - 1, -1, -1):
        line = []
        for v in values:
            filled = round(v / peak * levels) if v > 0 else 0
            filled = max(filled, 1) if v > 0 else 0  # a small value is still seen, a zero is not
            part = min(8, max(0, filled - row * 8))
            mark = "·" if (v == 0 and row == 0) else _EIGHTHS[part]
            line.append(mark * (span - gap) + " " * gap)
        lines.append("".join(line)[:width].ljust(width))
    return lines


class Bars(Widget):
    """Bars from zero; set ``data`` to a list of numbers."""

    DEFAULT_CSS = """
    Bars { height: 2; color: $accent; }
    """

    data: reactive[list[float]] = reactive(list, always_update=True)

    def __init__(self, data: list[float] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.set_reactive(Bars.data, list(data or []))

    def render(self) -> Text:
        return Text("\n".join(draw_bars(self.data, self.size.width, self.size.height)), no_wrap=True)
