"""PartitionScreen: statuses per value, selection <-> predicate, and select -> run -> report."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, SelectionList, Static

import fsspeckit
from fsspeckit.model.options import RunOptions
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import SyncOptions, make_plan
from tui.screens.partitions import PartitionScreen, partition_values, predicate_from_selection
from tui.testing import ScreenHost
from tui.screens.report import ReportScreen
from tui.screens.run import RunScreen

SIZE = (120, 36)


def _sides(local_tree):
    src = local_tree({
        "year=2023/region=eu/a.bin": b"a" * 10,
        "year=2023/region=us/b.bin": b"b" * 20,
        "year=2024/region=eu/c.bin": b"c" * 30,
        "year=2024/region=us/d.bin": b"d" * 40,
    }, name="src")
    dst = local_tree({
        "year=2023/region=eu/a.bin": b"a" * 10,
        "year=2023/region=us/b.bin": b"B" * 21,
        "year=2022/region=eu/old.bin": b"o",
    }, name="dst")
    # Same content, same time: the identical file is identical.
    import os

    st = os.stat(src / "year=2023/region=eu/a.bin")
    os.utime(dst / "year=2023/region=eu/a.bin", ns=(st.st_atime_ns, st.st_mtime_ns))
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    return src, dst, src_fs, dst_fs, list_tree(src_fs), list_tree(dst_fs, role="destination")


def test_value_statuses(local_tree):
    *_, sl, dl = _sides(local_tree)
    rows, _, _ = partition_values(sl, dl)
    years = {r.value: r for r in rows["year"]}
    assert years["2022"].status == "only_dst"
    assert years["2024"].status == "only_src" and years["2024"].src.files == 2 and years["2024"].src.bytes == 70
    assert years["2023"].status == "changed" and years["2023"].changed == 1
    regions = {r.value: r.status for r in rows["region"]}
    assert regions == {"eu": "changed", "us": "changed"}


def test_predicate_from_selection():
    keys = {"year": ["2022", "2023", "2024"], "region": ["eu", "us"]}
    every = {"year": {"2022", "2023", "2024"}, "region": {"eu", "us"}}
    assert predicate_from_selection(keys, every) == ""
    assert predicate_from_selection(keys, {**every, "year": {"2024"}}) == "year=2024"
    assert predicate_from_selection(keys, {**every, "year": {"2023", "2024"}}) == "year!=2022"
    assert predicate_from_selection({"k": ["a b", "c", "d", "e"]}, {"k": {"a b", "c"}}) == "k in ('a b', c)"
    try:
        predicate_from_selection(keys, {**every, "region": set()})
    except ValueError as exc:
        assert "region" in str(exc)
    else:
        raise AssertionError("an empty key must be refused")


async def test_select_values_and_keys(local_tree):
    *_, sl, dl = _sides(local_tree)
    screen = PartitionScreen(sl, dl)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = screen.query_one("#predicate", Input)
        await pilot.press("space")  # first year value: 2022
        await pilot.pause()
        assert box.value == "year!=2022"
        await pilot.press("asterisk")  # the whole key back on
        await pilot.pause()
        assert box.value == ""
        await pilot.press("asterisk")  # the whole key off: refused, with the reason
        await pilot.pause()
        assert "No value of 'year'" in str(screen.query_one("#preview", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is screen, "an empty key cannot be applied"
        await pilot.press("asterisk", "down", "space")  # all years, then 2023 off
        await pilot.pause()
        assert box.value == "year!=2023"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.dismissed == ["year!=2023"]


async def test_typed_predicate_validates_and_marks_values(local_tree):
    *_, sl, dl = _sides(local_tree)
    screen = PartitionScreen(sl, dl, current_predicate="region=eu")
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        regions = screen.query_one("#key-1", SelectionList)
        assert set(regions.selected) == {"eu"}
        box = screen.query_one("#predicate", Input)
        box.focus()
        box.value = "year >= 2023 and region in (us"
        await pilot.pause()
        preview = screen.query_one("#preview", Static)
        assert preview.has_class("error")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen, "a bad predicate is not applied"
        box.value = "year >= 2023 and region in (us)"
        await pilot.pause()
        assert not preview.has_class("error")
        assert "source 2 of 4 files" in str(preview.render())
        assert set(screen.query_one("#key-0", SelectionList).selected) == {"2023", "2024"}
        assert set(regions.selected) == {"us"}
        await pilot.press("enter")
        await pilot.pause()
    assert app.dismissed == ["year >= 2023 and region in (us)"]


async def test_cancel_and_no_filter(local_tree):
    *_, sl, dl = _sides(local_tree)
    app = ScreenHost(PartitionScreen(sl, dl, "year=2024"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(PartitionScreen(sl, dl, "year=2024"), app.dismissed.append)
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
    assert app.dismissed == [None, ""]


async def test_select_partitions_then_run_then_report(local_tree):
    src, dst, src_fs, dst_fs, sl, dl = _sides(local_tree)

    class Flow(App):
        result = None

        def on_mount(self) -> None:
            self.push_screen(PartitionScreen(sl, dl), self.picked)

        def picked(self, predicate):
            plan = make_plan(sl, dl, SyncOptions(partitions=predicate or None))
            self.push_screen(RunScreen(plan, src_fs, dst_fs, RunOptions(max_workers=2)), self.ran)

        def ran(self, result):
            self.result = result

    app = Flow()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("space", "down", "space")  # drop 2022 and 2023: year=2024
        await pilot.pause()
        assert app.screen.query_one("#predicate", Input).value == "year=2024"
        await pilot.press("ctrl+s")
        await pilot.pause()
        run = app.screen
        assert isinstance(run, RunScreen)
        assert "Delete  nothing" in str(run.query_one("#delete-line", Static).render())
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("escape")
        await pilot.pause()
    assert app.result.counts["copied"] == 2 and app.result.ok
    assert (dst / "year=2024/region=us/d.bin").read_bytes() == b"d" * 40
    # Outside the selection nothing changed: the changed 2023 file and the 2022 file stay.
    assert (dst / "year=2023/region=us/b.bin").read_bytes() == b"B" * 21
    assert (dst / "year=2022/region=eu/old.bin").exists()
