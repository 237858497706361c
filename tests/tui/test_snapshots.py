"""Snapshots of the main screens on the demo (fixed contents, times and clock)."""

from __future__ import annotations

import fsspeckit
from textual.worker import WorkerFailed

from tui.launch import create_app
from tui.demo import DEMO_NOW, build_demo
from tui.widgets.diff_table import DiffTable

SIZE = (120, 36)


def demo_app(tmp_path):
    src, dst = build_demo(tmp_path)
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination")


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass
        await pilot.pause()
        if not any(w.is_running for w in app.workers) and app.busy is None:
            break
    app.clear_notifications()
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()


def test_main_screen(snap_compare, tmp_path):
    assert snap_compare(demo_app(tmp_path), terminal_size=SIZE, run_before=settle)


def test_decisions_changed_by_hand(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        app = pilot.app
        app.query_one(DiffTable).go_to("customers/customers.csv")
        await pilot.press("b")  # keep both
        await settle(pilot)
        app.query_one(DiffTable).go_to("exports/daily/2025-01-07.json")
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("d")  # deletions on
        await settle(pilot)
        await pilot.press("f")  # only rows that change something
        await settle(pilot)

    assert snap_compare(demo_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_trees_expanded(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        tree = pilot.app.query_one("#src-tree")
        tree.focus()
        await pilot.press("a")  # link the trees
        target = "sales/year=2024/month=09/region=eu/part-0.parquet"
        tree.go_to(target)
        dst_tree = pilot.app.query_one("#dst-tree")
        for _ in range(200):  # the cursor moves after the next refresh; the linked tree follows
            await pilot.pause()
            both = [t.selected() for t in (tree, dst_tree)]
            if all(d is not None and d.path == target for d in both):
                break
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()

    assert snap_compare(demo_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(tmp_path), terminal_size=SIZE, run_before=run_before)


SMALL = (80, 24)


def test_main_screen_80x24(snap_compare, tmp_path):
    """A small terminal: both totals lines, whole partition paths, the options line in sight."""
    assert snap_compare(demo_app(tmp_path), terminal_size=SMALL, run_before=settle)


def test_run_confirmation_80x24(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(demo_app(tmp_path), terminal_size=SMALL, run_before=run_before)


def test_run_confirmation(snap_compare, tmp_path):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(demo_app(tmp_path), terminal_size=SIZE, run_before=run_before)
