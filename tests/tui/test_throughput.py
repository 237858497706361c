"""The run screen's throughput history: bytes per second per time bucket (the chart is tested in test_run_screen)."""

from __future__ import annotations

import pytest

from tui.widgets.throughput import ThroughputHistory


def test_bytes_are_spread_over_the_seconds_they_took():
    h = ThroughputHistory(width=1.0)
    h.add(0.0, 0)
    h.add(2.0, 2000)  # two seconds at 1000 B/s
    h.add(3.0, 2500)  # then one at 500 B/s
    assert h.rates == pytest.approx([1000.0, 1000.0, 500.0])
    assert h.peak == pytest.approx(1000.0)
    assert h.average == pytest.approx(2500 / 3)


def test_a_stall_shows_as_empty_bars_not_as_nothing():
    h = ThroughputHistory(width=1.0)
    h.add(1.0, 4000)
    h.add(4.0, 4000)  # nothing moved for three seconds
    h.add(5.0, 5000)
    assert h.rates == pytest.approx([4000.0, 0.0, 0.0, 0.0, 1000.0])


def test_a_long_run_keeps_a_bounded_number_of_bars():
    h = ThroughputHistory(width=1.0, max_bars=10)
    for second in range(1, 101):
        h.add(float(second), second * 100)  # 100 B/s for 100 s
    assert len(h.rates) <= 10 and h.width == 16.0
    assert h.rates[:-1] == pytest.approx([100.0] * (len(h.rates) - 1))
    assert sum(r * h.width for r in h.rates[:-1]) + h.rates[-1] * (100 - (len(h.rates) - 1) * h.width) \
        == pytest.approx(10_000)


def test_samples_out_of_order_or_going_backwards_add_nothing():
    h = ThroughputHistory(width=1.0)
    h.add(2.0, 2000)
    h.add(1.0, 9999)  # late
    h.add(3.0, 1000)  # a smaller count than before is not negative throughput
    assert h.rates == pytest.approx([1000.0, 1000.0, 0.0])
    with pytest.raises(ValueError):
        ThroughputHistory(width=0)

