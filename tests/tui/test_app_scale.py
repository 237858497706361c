"""100,000 planned actions: the plan renders a page at a time and keys stay handled."""

from __future__ import annotations

import threading

import fsspeckit
from fsspeckit.model.entries import Entry, Listing
from tui import planning
from tui.app import SyncApp
from tui.launch import create_app
from tui.widgets.diff_table import PAGE_SIZE, DiffTable
from tui.widgets.index import TreeIndex
from tui.widgets.trees import FileTree

SIZE = (120, 36)

N = 100_000


def synthetic(root: str, n: int, changed_every: int) -> Listing:
    entries = {}
    for i in range(n):
        rel = f"data/year={2000 + i % 20}/month={i % 12 + 1:02d}/part-{i:06d}.parquet"
        size = 1000 + (i % changed_every == 0)
        entries[rel] = Entry(rel, size, 1_700_000_000.0)
    return Listing(root=root, protocol="file", entries=entries)


async def test_hundred_thousand_actions_stay_responsive(tmp_path, settle, monkeypatch):
    # The plan is held back until the key below was handled (at most 5 s): on the UI
    # thread that wait would block the key, so the key would arrive after the plan.
    key_handled = threading.Event()
    real = planning.plan_sides

    def plan_after_the_key(*args, **kwargs):
        key_handled.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr("tui.app.plan_sides", plan_after_the_key)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    src_fs, dst_fs = fsspeckit.filesystem(str(tmp_path / "a")), fsspeckit.filesystem(str(tmp_path / "b"))
    app = create_app(src_fs, "", dst_fs, "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot, rounds=60)
        src = synthetic(str(tmp_path / "a"), N, 3)
        dst = synthetic(str(tmp_path / "b"), N, 7)
        app.post_message(SyncApp.SideListed("source", src_fs, src, TreeIndex.build(src)))
        app.post_message(SyncApp.SideListed("destination", dst_fs, dst, TreeIndex.build(dst)))
        await pilot.pause()
        # While the plan is computed in its worker, the app still handles keys.
        await pilot.press("g")
        assert app.query_one("#log").display
        assert app.busy is not None and (app.view is None or len(app.view.plan) < N), "the key waited for the plan"
        key_handled.set()
        await settle(app, pilot, rounds=60)
        assert len(app.view.plan) == N
        table = app.query_one(DiffTable)
        assert table.row_count == PAGE_SIZE
        assert f"of {N:,}" in table.border_title
        table.focus()
        await pilot.press("right_square_bracket")
        assert table.page_index == 1 and table.current_path() == app.view.plan.actions[PAGE_SIZE].path
        # Trees hold only what is expanded: the root's children, not 100,000 nodes.
        tree = app.query_one("#src-tree", FileTree)
        assert len(tree.root.children) < 10
        await pilot.press("x")  # override one row of the 100,000
        await settle(app, pilot, rounds=60)
        assert app.view.overridden == 1
