"""Snapshots of the layout screen on the sample Parquet layout (fixed contents and times)."""

from __future__ import annotations

import pytest

from tui.testing import ScreenHost

pytest.importorskip("pyarrow")

from tui.screens.layout import LayoutScreen  # noqa: E402
from tui.screenshots import layout_sides  # noqa: E402

SIZE = (120, 36)


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        sides = app.screen.sides.values()
        if not any(w.is_running for w in app.workers) and all(s.state in ("read", "files only") for s in sides):
            break
    for _ in range(3):  # the table sizes its columns on the next refresh
        await pilot.pause(0.05)
    await pilot.wait_for_scheduled_animations()


def layout_app(tmp_path):
    src, dst = layout_sides(str(tmp_path))
    return ScreenHost(LayoutScreen(src.listing, src.title, fs=src.fs, other=dst))


def test_layout_one_side_with_findings(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("down")  # the month key: its timeline in the chart
        await settle(pilot)

    assert snap_compare(layout_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_layout_both_sides_compared(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("equals_sign", "down", "enter")
        await settle(pilot)

    assert snap_compare(layout_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_layout_small_terminal(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(layout_app(tmp_path), terminal_size=(80, 24), run_before=run_before)
