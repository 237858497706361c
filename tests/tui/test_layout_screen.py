"""LayoutScreen: keys → values → files with footer figures, sorting, findings, chart, both sides compared."""

from __future__ import annotations

import os

import pytest
from fsspec.implementations.local import LocalFileSystem
from textual.widgets import DataTable, Static
from tui.widgets.bars import Bars, draw_bars

import fsspeckit
from fsspeckit.listing.tree import list_tree
from tui.screens.layout import LayoutScreen, LayoutSide
from tui.testing import ScreenHost

pytest.importorskip("pyarrow")

from tui.sample_layout import DEFECTS, sample_files  # noqa: E402

SIZE = (120, 36)


async def settle(app, pilot) -> None:
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break
    await pilot.pause()


def cells(screen) -> list[list[str]]:
    table = screen.query_one("#table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def side(root):
    fs = fsspeckit.filesystem(str(root))
    return fs, list_tree(fs)


async def test_keys_values_files_with_footer_figures(local_tree):
    root = local_tree(sample_files(DEFECTS), "lake")
    os.utime(root / "year=2023/month=01/part-0.parquet", (1672531200, 1672531200))  # 2023-01-01
    fs, listing = side(root)
    screen = LayoutScreen(listing, "Source: lake", fs=fs)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert screen.sides["source"].state == "read"
        totals = text_of(screen, "#totals")
        assert "18 partition folders, 2 keys, 551 files" in totals and "304,500 rows, 2 schemas" in totals
        # Footers were counted as they were read, to the last one.
        assert screen.sides["source"].done == screen.sides["source"].total == 549
        rows = cells(screen)
        assert [r[0] for r in rows] == ["year", "month"]
        assert rows[0][1:4] == ["2", "18", "549"] and rows[0][5] == "300,500"
        assert rows[0][6] == "2023-01-01 00:00"
        findings = text_of(screen, "#findings-text")
        for label in ("Schema drift", "Small files", "Skew", "Gap", "Keys at different depths", "Plain folder",
                      "Empty", "Null partition"):
            assert f"⚠ {label}: " in findings, label
        assert "8 findings" in findings and "added discount (double)" in findings
        # The chart: bytes of the year key's values.
        assert "bytes by year (2023 … 2024)" in text_of(screen, "#chart-label")
        assert len(screen.query_one("#chart", Bars).data) == 2
        await pilot.press("down")  # month: drawn as a timeline, the missing month a zero
        await pilot.pause()
        label = text_of(screen, "#chart-label")
        assert "bytes by month (2023-01 … 2024-06)" in label and "peak" in label and "at 2023-10" in label
        data = screen.query_one("#chart", Bars).data
        assert len(data) == 18 and data[4] == 0
        await pilot.press("h", "h")  # rows
        await pilot.pause()
        assert text_of(screen, "#chart-label").startswith("rows by month")
        # Drill into month: one row per value, rows and row groups from the footers.
        await pilot.press("enter")
        await pilot.pause()
        assert "month = …" in text_of(screen, "#crumbs")
        rows = {r[0]: r for r in cells(screen)}
        assert rows["10"][4] == "120,000" and rows["02"][2] == "503"
        assert rows["08"][8] != rows["01"][8] and "schema drift" in rows["08"][9]
        assert "gap" not in rows["05"][9]
        assert "__HIVE_DEFAULT_PARTITION__" in rows
        # Sorting: a column's number sorts by it (largest first), again reverses, numbers as numbers.
        await pilot.press("3")
        await pilot.pause()
        assert "sorted by files ↓" in text_of(screen, "#crumbs")
        assert cells(screen)[0][0] == "02"
        await pilot.press("4")
        await pilot.pause()
        assert cells(screen)[0][0] == "10"  # most bytes
        await pilot.press("4")
        await pilot.pause()
        assert "sorted by bytes ↑" in text_of(screen, "#crumbs") and cells(screen)[-1][0] == "10"
        # Into month=10: its files with rows from the footers; backspace goes back up to the value.
        table = screen.query_one("#table", DataTable)
        table.move_cursor(row=len(cells(screen)) - 1)
        await pilot.press("enter")
        await pilot.pause()
        files = cells(screen)
        assert [f[0] for f in files] == [f"year=2023/month=10/part-{k}.parquet" for k in range(3)]
        assert all(f[3] == "40,000" and f[4] == "1" for f in files)
        await pilot.press("enter")  # files are the last level
        await pilot.pause()
        assert len(cells(screen)) == 3
        await pilot.press("backspace")
        await pilot.pause()
        assert "month = …" in text_of(screen, "#crumbs") and cells(screen)[table.cursor_row][0] == "10"
        await pilot.press("escape")
        await pilot.pause()
        assert cells(screen)[0][0] == "year"
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert not screen.query_one("#findings").display
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed == [None]


async def test_both_sides_compared(local_tree):
    src_root = local_tree(sample_files(()), "src")
    files = sample_files(())
    for k in range(3):
        del files[f"year=2023/month=03/part-{k}.parquet"]
    files["year=2022/month=12/part-0.parquet"] = files["year=2023/month=01/part-0.parquet"]
    drifted = sample_files(("drift",))
    for k in range(3):
        files[f"year=2023/month=08/part-{k}.parquet"] = drifted[f"year=2023/month=08/part-{k}.parquet"]
    dst_root = local_tree(files, "dst")
    src_fs, src = side(src_root)
    dst_fs, dst = side(dst_root)
    screen = LayoutScreen(src, "Source: src", fs=src_fs, other=LayoutSide(dst, "Destination: dst", dst_fs))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert text_of(screen, "#title") == "Partition layout: Destination: dst"
        assert "53 files" in text_of(screen, "#totals")
        await pilot.press("equals_sign")
        await pilot.pause()
        assert "⇄" in text_of(screen, "#title")
        rows = {r[0]: r for r in cells(screen)}
        assert rows["year"][1:] == ["3", "0", "1", "1", "1"]  # 2022 only in dst, 2023 differing, 2024 identical
        await pilot.press("down", "enter")  # month
        await pilot.pause()
        rows = {r[0]: r for r in cells(screen)}
        assert rows["03"][1] == "differing" and rows["03"][8] == "only in source: year=2023/month=03"
        assert rows["08"][1] == "differing" and "schema" in rows["08"][8]
        assert rows["12"][1] == "differing"  # 2022-12 only on the destination
        assert rows["01"][1] == "identical"
        table = screen.query_one("#table", DataTable)
        table.move_cursor(row=[r[0] for r in cells(screen)].index("03"))
        await pilot.press("enter")
        await pilot.pause()
        statuses = {r[0]: r[1] for r in cells(screen)}
        assert statuses["year=2023/month=03/part-0.parquet"] == "only in source"
        assert statuses["year=2024/month=03/part-0.parquet"] == "identical"
        findings = text_of(screen, "#findings-text")
        assert "Source: ✓ no layout findings" in findings and "Destination: 2 findings" in findings


async def test_without_a_filesystem_files_and_bytes_only(local_tree):
    root = local_tree({"k=1/a.csv": b"x" * 10, "k=2/b.csv": b"y" * 20})
    _, listing = side(root)
    screen = LayoutScreen(listing, "Source")
    app = ScreenHost(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert screen.sides["source"].state == "files only"
        assert cells(screen)[0][:4] == ["k", "2", "2", "2"]
        assert "✓ no layout findings" in text_of(screen, "#findings-text")
        await pilot.press("equals_sign")
        await pilot.pause()
        assert screen.view == "source"


async def test_app_opens_the_layout_of_both_sides(local_tree):
    from tui.launch import create_app

    src = local_tree(sample_files(("gap",)), "src")
    dst = local_tree(sample_files(()), "dst")
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(30):
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.sides["source"].listing is not None and app.sides["destination"].listing is not None:
                break
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LayoutScreen) and set(screen.sides) == {"source", "destination"}
        await settle(app, pilot)
        assert "Gap: 1 month missing" in text_of(screen, "#findings-text")
        assert screen.sides["destination"].summary.footers_read


def test_bars_start_at_zero_and_show_gaps():
    # Sparkline's min..max scale drew 384 kB as a full bar and 376 kB as an empty one.
    top, bottom = draw_bars([384_500, 376_000], width=10, height=2)
    assert top == "████ ████ " and bottom == "████ ████ "
    top, bottom = draw_bars([100, 0, 50, 1], width=4, height=2)
    assert top[0] == "█" and top[2] == " " and bottom[2] == "█"  # half the peak: the bottom row
    assert bottom[1] == "·" and top[1] == " "  # a zero is a visible gap, not a bar
    assert bottom[3] == "▁"  # a small value is still seen
    assert draw_bars(list(range(100)), width=10, height=1)[0][-1] == "█"  # more values than columns


class _SlowDisk(LocalFileSystem):
    """The local disk with 50 ms per ranged read, like a far-away store."""

    def cat_file(self, path, start=None, end=None, **kwargs):
        import time

        time.sleep(0.05)
        return super().cat_file(path, start=start, end=end, **kwargs)


async def test_the_screen_answers_keys_and_counts_footers_while_they_are_read(local_tree):
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"x": [1, 2, 3]}), buf)
    root = local_tree({f"day={d:02d}/part-{i}.parquet": buf.getvalue() for d in range(1, 31) for i in range(10)},
                      "slow")
    fs = _SlowDisk(skip_instance_cache=True)
    listing = list_tree(fs, str(root))
    screen = LayoutScreen(listing, "Source: slow", fs=fs)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        side = screen.sides["source"]
        for _ in range(500):  # files and bytes first, then the footers one by one
            await pilot.pause(0.01)
            if side.state == "reading" and 0 < side.done < side.total:
                break
        assert side.state == "reading" and 0 < side.done < side.total == 300
        assert f"reading footers {side.done:,}/300" in text_of(screen, "#totals")
        assert cells(screen)[0][:4] == ["day", "30", "30", "300"]  # the table is there before the footers
        await pilot.press("enter")  # drill down while the worker reads
        await pilot.pause()
        assert screen.level == "values" and side.state == "reading", "a key was handled during the reading"
        await settle(app, pilot)
        assert side.state == "read" and side.done == side.total == 300 and side.summary.total.rows == 900
