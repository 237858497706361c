"""Throughput of a run over time: bytes per second sampled while it runs, drawn as a sparkline.

``ThroughputHistory`` is plain data: it takes (seconds into the run, bytes done)
samples and keeps a bounded number of equal time buckets, doubling their width
when the run outlasts them, so a long run costs the same memory as a short one.
``ThroughputChart`` draws it: a line of figures and a Textual ``Sparkline``.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

__all__ = ["ThroughputChart", "ThroughputHistory"]


class ThroughputHistory:
    """Bytes moved per time bucket; ``rates`` are bytes per second, oldest first."""

    def __init__(self, width: float = 1.0, max_bars: int = 120) -> None:
        if width <= 0 or max_bars < 2:
            raise ValueError("a bucket needs a positive width and the history at least two bars")
        self.width = width
        self.max_bars = max_bars
        self._moved: list[float] = []
        self._t = 0.0
        self._bytes = 0

    @property
    def seconds(self) -> float:
        """How far into the run the last sample was."""
        return self._t

    def add(self, t: float, bytes_done: int) -> None:
        """A sample: ``bytes_done`` in all at ``t`` seconds; bytes since the last one are spread over the gap."""
        if t < self._t:
            return  # an older sample arriving late adds nothing
        moved = max(0, bytes_done - self._bytes)
        self._bytes = max(self._bytes, bytes_done)
        start, self._t = self._t, t
        self._grow_to(t)
        if not moved:
            return
        if t == start:
            self._moved[self._index(t)] += moved
            return
        per_second = moved / (t - start)
        edge = start
        while edge < t:
            i = self._index(edge)
            end = min(t, (i + 1) * self.width)
            self._moved[i] += per_second * (end - edge)
            edge = end if end > edge else t  # float edges never loop forever

    def _index(self, t: float) -> int:
        return min(int(t // self.width), len(self._moved) - 1)

    def _grow_to(self, t: float) -> None:
        need = int(t // self.width) + 1
        while need > self.max_bars:
            pairs = self._moved + [0.0] * (len(self._moved) % 2)
            self._moved = [pairs[i] + pairs[i + 1] for i in range(0, len(pairs), 2)]
            self.width *= 2
            need = int(t // self.width) + 1
        self._moved.extend([0.0] * (need - len(self._moved)))

    @property
    def rates(self) -> list[float]:
        """Bytes per second per bucket; the last, partly filled one over the time it covers."""
        if not self._moved:
            return []
        rates = [m / self.width for m in self._moved[:-1]]
        covered = self._t - (len(self._moved) - 1) * self.width
        if covered >= 0.25 * self.width:
            rates.append(self._moved[-1] / covered)
        return rates

    @property
    def peak(self) -> float:
        return max(self.rates, default=0.0)

    @property
    def average(self) -> float:
        return self._bytes / self._t if self._t > 0 else 0.0


class ThroughputChart(Vertical):
    """A line of figures over a sparkline of bytes per second."""

    DEFAULT_CSS = """
    ThroughputChart { height: auto; margin-bottom: 1; }
    ThroughputChart > #throughput-label { color: $text-muted; height: 1; }
    ThroughputChart > Sparkline { height: 3; }
    """

    def __init__(self, history: ThroughputHistory | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = history or ThroughputHistory()

    def compose(self) -> ComposeResult:
        yield Static("Throughput: waiting for the first bytes", id="throughput-label", markup=False)
        yield Sparkline([], id="throughput-chart")

    def sample(self, t: float, bytes_done: int, describe) -> None:
        """Add a sample and redraw; ``describe(bytes_per_second)`` formats a rate."""
        h = self.history
        h.add(t, bytes_done)
        rates = h.rates
        # Textual scales a sparkline from its smallest value: the run's start (0 B/s) keeps the floor at zero.
        self.query_one(Sparkline).data = [0.0, *rates]
        if not rates:
            return
        span = f"{h.width:g} s" if h.width < 60 else f"{h.width / 60:g} min"
        self.query_one("#throughput-label", Static).update(
            f"Throughput: now {describe(rates[-1])}, peak {describe(h.peak)}, average {describe(h.average)}"
            f"  ·  one bar per {span}")
