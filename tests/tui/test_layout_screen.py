"""LayoutScreen: partition keys and folders of one side with counts, bytes and time ranges."""

from __future__ import annotations

import os

from textual.widgets import DataTable, Static, Tree

import fsspeckit
from fsspeckit.listing import list_tree
from tui.screens.layout import LayoutScreen
from tui.testing import ScreenHost


async def test_layout_tree_and_key_table(local_tree):
    root = local_tree({
        "t/year=2023/month=01/a.parquet": b"a" * 100,
        "t/year=2023/month=02/b.parquet": b"b" * 50,
        "t/year=2024/month=01/c.parquet": b"c" * 25,
        "README.md": b"hi",
    })
    os.utime(root / "t/year=2023/month=01/a.parquet", (1672531200, 1672531200))  # 2023-01-01
    listing = list_tree(fsspeckit.filesystem(str(root)))
    screen = LayoutScreen(listing, "source")
    app = ScreenHost(screen)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        keys = screen.query_one("#keys", DataTable)
        assert keys.get_row("year")[:4] == ["year", "2", "3", "175 Bytes"]
        assert keys.get_row("month")[1] == "2"
        assert keys.get_row("year")[4] == "2023-01-01 00:00"
        assert "1 file outside partition folders" in str(screen.query_one("#totals", Static).render())
        tree = screen.query_one("#tree", Tree)
        t = tree.root.children[0]
        assert str(t.label).startswith("t ") and "3 files" in str(t.label)
        years = [str(n.label) for n in t.children]
        assert years[0].startswith("year=2023") and "150 Bytes" in years[0]
        assert "2023-01-01 00:00 →" in years[0]
        assert "(outside partition folders)" in str(tree.root.children[-1].label)
        await pilot.press("e")
        await pilot.pause()
        assert all(n.is_expanded for n in t.children)
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed == [None]
