"""``v`` on the main screen: a file's columns and first rows, a folder's partitions; hostile files said, not raised."""

from __future__ import annotations

import io
import os

import pytest
from textual.widgets import DataTable, Static

import fsspeckit
from tui.app import SyncApp
from tui.launch import create_app
from tui.screens.layout import LayoutScreen
from tui.screens.peek import PeekScreen
from tui.widgets.diff_table import DiffTable
from tui.widgets.trees import FileTree
from tests.tui.helpers import settle

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

SIZE = (120, 36)


def parquet_bytes(n: int = 50, **kw) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array(range(n), pa.int64()), "city": [f"c{i}" for i in range(n)]}), buf, **kw)
    return buf.getvalue()


async def cursor_on(pilot, tree: FileTree, rel: str) -> None:
    """Move the tree's cursor to ``rel`` and wait until it is there (it moves on the next refresh)."""
    assert tree.go_to(rel)
    for _ in range(200):
        data = tree.selected()
        if data is not None and data.path == rel:
            return
        await pilot.pause(0.01)
    raise AssertionError(f"the cursor did not reach {rel}")


def table(screen, selector: str) -> list[list[str]]:
    t = screen.query_one(selector, DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


def status(screen) -> Static:
    return screen.query_one("#status", Static)


@pytest.fixture
def lake(local_tree):
    return local_tree({
        "sales/year=2024/month=01/part-0.parquet": parquet_bytes(),
        "sales/year=2024/month=02/part-0.parquet": parquet_bytes(7),
        "raw/orders.csv": "order,amount\n1,9.5\n2,[red]x[/]\n",
        "raw/events.jsonl": '{"e": "click", "n": 1}\n{"e": "view", "n": 2}\n',
        "raw/image.csv": os.urandom(2000) + b"\x00",
        "raw/broken.parquet": parquet_bytes()[:-30],
        "raw/long.json": b'{"a": "' + b"x" * (5 << 20) + b'"}',
    }, "lake")


async def open_app(src, tmp_path, pilot_size=SIZE):
    dst = tmp_path / "empty"
    dst.mkdir(exist_ok=True)
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")


async def test_v_on_a_parquet_file_in_the_tree(lake, tmp_path):
    app = await open_app(lake, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one("#src-tree", FileTree)
        tree.focus()
        await cursor_on(pilot, tree, "sales/year=2024/month=02/part-0.parquet")
        await pilot.press("v")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PeekScreen)
        assert table(screen, "#schema") == [["1", "id", "int64"], ["2", "city", "string"]]
        assert table(screen, "#rows") == [[str(i), f"c{i}"] for i in range(7)]
        assert "Parquet" in str(status(screen).render()) and "7 rows in 1 row group," in str(status(screen).render())
        assert "First 7 rows of 7" in str(screen.query_one("#rows-title", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PeekScreen)


async def test_v_on_csv_and_json_lines_from_the_table(lake, tmp_path):
    app = await open_app(lake, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        diff = app.query_one(DiffTable)
        diff.focus()
        assert diff.go_to("raw/orders.csv")
        await pilot.press("v")
        await settle(app, pilot)
        assert table(app.screen, "#rows") == [["1", "9.5"], ["2", "[red]x[/]"]]  # data, never markup
        assert table(app.screen, "#schema") == [["1", "order", "int"], ["2", "amount", "string"]]
        await pilot.press("escape")
        await pilot.pause()
        assert diff.go_to("raw/events.jsonl")
        await pilot.press("v")
        await settle(app, pilot)
        assert table(app.screen, "#rows") == [["click", "1"], ["view", "2"]]


@pytest.mark.parametrize("rel, words", [
    ("raw/image.csv", "looks binary"),
    ("raw/broken.parquet", "no PAR1 marker"),
    ("raw/long.json", "first line is longer than"),
])
async def test_hostile_files_get_one_clear_line(lake, tmp_path, rel, words):
    app = await open_app(lake, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one("#src-tree", FileTree)
        tree.focus()
        await cursor_on(pilot, tree, rel)
        await pilot.press("v")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PeekScreen) and screen.peek is not None
        line = str(status(screen).render())
        assert line.startswith("Cannot show this file") and words in line and status(screen).has_class("error")
        assert table(screen, "#rows") == []
        assert screen.peek.bytes_read <= 4 * 1024 * 1024


async def test_v_on_a_folder_opens_its_partition_summary(lake, tmp_path):
    app = await open_app(lake, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one("#src-tree", FileTree)
        tree.focus()
        await cursor_on(pilot, tree, "sales")
        await pilot.press("v")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LayoutScreen)
        side = screen.sides["source"]
        assert sorted(side.listing.entries) == ["year=2024/month=01/part-0.parquet", "year=2024/month=02/part-0.parquet"]
        assert side.state == "read" and side.summary.total.rows == 57  # from the footers: 50 + 7
        assert "sales/" in str(screen.query_one("#title", Static).render())


async def test_v_on_s3(s3, tmp_path):
    s3.fs.pipe({s3.path("lake/year=2024/part-0.parquet"): parquet_bytes(30, row_group_size=10),
                s3.path("lake/notes.csv"): b"a,b\n1,2\n"})
    src = fsspeckit.filesystem("s3://" + s3.bucket + "/lake", storage_options=s3.options)
    dst = tmp_path / "out"
    dst.mkdir()
    app = create_app(src, "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        diff = app.query_one(DiffTable)
        diff.focus()
        assert diff.go_to("year=2024/part-0.parquet")
        await pilot.press("v")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PeekScreen) and screen.peek.error is None
        assert len(table(screen, "#rows")) == 20 and table(screen, "#rows")[0] == ["0", "c0"]
        assert "30 rows in 3 row groups" in str(status(screen).render())


def test_v_is_not_taken_on_the_main_screen():
    keys = [k.strip() for b in SyncApp.BINDINGS for k in b.key.split(",")]
    assert keys.count("v") == 1 and "peek" in SyncApp._MAIN_SCREEN_ACTIONS
