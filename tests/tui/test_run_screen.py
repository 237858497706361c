"""RunScreen: confirmation, live progress, pause/resume, cancel, errors, S3, coalescing."""

from __future__ import annotations

import asyncio
import os
import time

from fsspec.implementations.memory import MemoryFileSystem
from textual.widgets import Log, Sparkline, Static

import fsspeckit
from fsspeckit.model.options import RunOptions
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import SyncOptions, make_plan
from tui.screens.report import ReportScreen
from tui.testing import ReadValve, ScreenHost, ThrottledMemoryFileSystem
from tui.screens.remotes import ConfirmScreen
from tui.screens.run import FileRow, RunScreen
from tui.widgets.throughput import ThroughputChart

SIZE = (120, 36)


def _plan(src_fs, dst_fs, **options):
    return make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions(**options),
                     src_url=getattr(src_fs, "root_url", ""), dst_url=getattr(dst_fs, "root_url", ""))


def _slow_source(name: str, files: int, size: int):
    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/slow-{name}-{os.getpid()}-{time.monotonic_ns()}"
    for i in range(files):
        backend.pipe_file(f"{root}/big/part-{i}.bin", os.urandom(1024) * (size // 1024))
    from fsspec.implementations.dirfs import DirFileSystem

    return DirFileSystem(path=root, fs=backend)


async def _finish(app, pilot):
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def test_confirm_then_run_then_report(local_tree, tmp_path):
    src = local_tree({"a.txt": b"aaaa", "sub/b.txt": b"b" * 5000}, name="src")
    dst = local_tree({"old.txt": b"gone soon", "a.txt": b"changed!"}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=2))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = " ".join(str(w.render()) for w in screen.query("#confirm Static"))
        assert "1 new file" in text and "1 changed file" in text
        delete_line = screen.query_one("#delete-line", Static)
        assert delete_line.has_class("deletes") and "DELETE  1 file" in str(delete_line.render())
        assert not (dst / "sub").exists(), "nothing is written before the run starts"
        await pilot.press("enter")
        await _finish(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        assert screen.progress_updates >= 1 and screen.last_progress.finished
        await pilot.press("escape")
        await pilot.pause()
    result = app.dismissed[-1]
    assert result.ok and result.counts["copied"] == 1 and result.counts["updated"] == 1
    assert result.counts["deleted"] == 1
    assert (dst / "sub/b.txt").read_bytes() == b"b" * 5000 and not (dst / "old.txt").exists()


async def test_back_from_confirmation_runs_nothing(local_tree):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    app = ScreenHost(RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed == [None]
    assert not (dst / "a.txt").exists()


async def test_pause_resume_then_cancel_leaves_no_partial_file(tmp_path, wait_for):
    # 6 files of 2 MiB read 64 KiB at a time (192 reads). A valve lets a few
    # reads through at each step, so the run is still going whenever the test
    # presses a key, however busy the machine is.
    src_fs = _slow_source("pause", files=6, size=2 * 2**20)
    dst = tmp_path / "dst"
    dst.mkdir()
    dst_fs = fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=2))
    app = ScreenHost(screen)
    valve = ReadValve(is_open=False)
    valve.allow(40)  # one whole file and part of another
    ThrottledMemoryFileSystem.valve = valve
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.last_progress is not None and screen.last_progress.bytes_done > 0)
            # Files in flight have their own bars.
            await wait_for(pilot, lambda: any(r.display for r in screen.query(FileRow)))
            await pilot.press("space")
            assert screen.pause_event.is_set()
            assert "Paused" in str(screen.query_one("#status", Static).render())
            valve.open()  # reads may go on: only the pause holds the run now
            await asyncio.sleep(0.3)  # let in-flight chunks land
            before = screen.last_progress.bytes_done
            await asyncio.sleep(0.6)
            await pilot.pause()
            assert screen.last_progress.bytes_done == before, "no bytes move while paused"
            reads = valve.reads
            valve.allow(8)
            await pilot.press("space")
            assert not screen.pause_event.is_set()
            await wait_for(pilot, lambda: screen.last_progress.bytes_done > before)
            assert valve.reads < reads + 9 and not screen.last_progress.finished
            await pilot.press("escape")  # esc asks before stopping: the run goes on until answered
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and not screen.cancel_event.is_set()
            await pilot.press("y")
            await pilot.pause()
            assert screen.cancel_event.is_set()
            assert "Cancel" in str(screen.query_one("#status", Static).render())
            valve.open()
            await _finish(app, pilot)
            result = screen.result
            assert result.cancelled and result.counts["cancelled"] >= 1
            assert isinstance(app.screen, ReportScreen)
            assert "cancelled" in str(app.screen.query_one("#title", Static).render()).lower()
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    names = [p.name for p in dst.rglob("*")]
    assert not [n for n in names if ".fsspeckit-partial-" in n]
    copied = {o.path for o in result.outcomes if o.outcome == "copied"}
    on_disk = {p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()}
    assert on_disk == copied, "only whole, reported files are on the destination"
    for rel in on_disk:
        assert (dst / rel).stat().st_size == 2 * 2**20


async def test_a_stop_question_left_open_goes_away_when_the_run_ends(tmp_path, wait_for):
    # "Stop it and quit?" is open while the last files land: the question is moot
    # then; it goes, the report shows, and quitting no longer asks.
    src_fs = _slow_source("ended", files=2, size=256 * 1024)
    dst = tmp_path / "dst"
    dst.mkdir()
    dst_fs = fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=2))
    app = ScreenHost(screen)
    valve = ReadValve(is_open=False)
    ThrottledMemoryFileSystem.valve = valve
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.phase == "running")
            screen.ask_to_stop(then_quit=True)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            valve.open()
            await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen), timeout=60)
            assert screen.phase == "done"
            assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
            await pilot.press("y")  # a late answer to the question that went away does nothing
            await pilot.pause()
            assert isinstance(app.screen, ReportScreen) and app.is_running
            screen.ask_to_stop(then_quit=True)
            await wait_for(pilot, lambda: not app.is_running)
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    assert sorted(p.name for p in (dst / "big").iterdir()) == ["part-0.bin", "part-1.bin"]


async def test_errors_show_live_with_their_cause(local_tree):
    src = local_tree({"ok.txt": b"fine", "gone.txt": b"will vanish"}, name="src")
    dst = local_tree({}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    plan = _plan(src_fs, dst_fs)
    (src / "gone.txt").unlink()  # the source changes after planning
    screen = RunScreen(plan, src_fs, dst_fs, RunOptions(retries=0, max_workers=1))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await _finish(app, pilot)
        log = screen.query_one("#errors", Log)
        assert log.display and any("gone.txt" in line for line in log.lines)
        assert "FAILED 1" in str(screen.query_one("#stats", Static).render())
        assert screen.result.counts["failed"] == 1 and screen.result.counts["copied"] == 1


async def test_a_refused_run_says_why(local_tree):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({"x.txt": b"x", "y.txt": b"y"}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_delete=1))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await _finish(app, pilot)
        assert screen.phase == "failed"
        status = str(screen.query_one("#status", Static).render())
        assert "max_delete" in status and "Traceback" not in status
        await pilot.press("escape")
        await pilot.pause()
    assert app.dismissed == [None]
    assert (dst / "x.txt").exists() and not (dst / "a.txt").exists()


def test_progress_messages_replace_older_ones():
    from fsspeckit.execution.apply import Progress

    older, newer = RunScreen.ProgressUpdate(Progress()), RunScreen.ProgressUpdate(Progress())
    assert older.can_replace(newer)


async def test_ten_thousand_small_files_do_not_flood_the_ui():
    backend = MemoryFileSystem(skip_instance_cache=True)
    root = f"/many-{os.getpid()}-{time.monotonic_ns()}"
    for i in range(10_000):
        backend.pipe_file(f"{root}/src/d{i % 50}/f{i}.txt", b"x" * 10)
    from fsspec.implementations.dirfs import DirFileSystem

    src_fs = DirFileSystem(path=f"{root}/src", fs=backend)
    dst_fs = DirFileSystem(path=f"{root}/dst", fs=backend)
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=4))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await _finish(app, pilot)
        assert screen.result.counts["copied"] == 10_000
        assert screen.last_progress.files_done == 10_000
        print("progress messages handled:", screen.progress_updates)
        assert 1 <= screen.progress_updates < 500, screen.progress_updates


async def test_run_to_s3(s3, local_tree):
    src = local_tree({"year=2024/a.parquet": b"A" * 3000, "year=2024/b.parquet": b"B" * 10}, name="src")
    src_fs = fsspeckit.filesystem(str(src))
    dst_fs = fsspeckit.filesystem(s3.url("out"), storage_options=s3.options)
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=2))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await _finish(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("escape")
        await pilot.pause()
    result = app.dismissed[-1]
    assert result.ok and result.counts["copied"] == 2
    s3.fs.invalidate_cache()
    assert s3.fs.cat(s3.path("out/year=2024/a.parquet")) == b"A" * 3000
    assert s3.fs.info(s3.path("out/year=2024/b.parquet"))["size"] == 10


async def test_a_quiet_transfer_says_so_instead_of_a_stale_eta(tmp_path, wait_for):
    # Halfway through, no byte moves: the rate must fall and the ETA give way to a sentence,
    # not stay frozen at the last burst ("67.8 MB/s · ETA 0.3 s" while a store assembles an upload).
    src_fs = _slow_source("quiet", files=1, size=4 * 2**20)  # 64 reads of 64 KiB
    dst = tmp_path / "dst"
    dst.mkdir()
    dst_fs = fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, RunOptions(max_workers=1))
    app = ScreenHost(screen)
    valve = ReadValve(is_open=False)
    valve.allow(32)  # half the file, then the store goes quiet until the test has looked
    ThrottledMemoryFileSystem.valve = valve
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.last_progress is not None and screen.last_progress.bytes_done > 0)
            stats = lambda: str(screen.query_one("#stats", Static).render())  # noqa: E731
            await wait_for(pilot, lambda: "no bytes for" in stats(), timeout=20.0)
            assert "ETA" not in stats() and "waiting for the destination" in stats()
            assert screen.last_progress.bytes_done == 2 * 2**20, "the bytes moved before the stall are shown"
            valve.open()
            await _finish(app, pilot)
            assert screen.result.counts["copied"] == 1
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None


async def test_the_run_screen_draws_throughput_while_it_runs(tmp_path, wait_for):
    src_fs = _slow_source("chart", files=6, size=512 * 1024)  # 48 throttled reads of 64 KiB
    dst_fs = fsspeckit.filesystem(str(tmp_path / "dst"))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions())
    screen = RunScreen(plan, src_fs, dst_fs, RunOptions(max_workers=2))
    app = ScreenHost(screen)
    valve = ReadValve(is_open=False)
    valve.allow(16)  # two of the six files, then the run is held while the chart is looked at
    ThrottledMemoryFileSystem.valve = valve
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            chart = screen.query_one(ThroughputChart)
            assert not chart.display or not screen.query_one("#running").display, "no chart before the run"
            await pilot.press("enter")
            await wait_for(pilot, lambda: chart.history.seconds > 0 and chart.history.peak > 0, timeout=30)
            assert screen.query_one("#running").display and chart.region.height >= 4, "the chart is on screen"
            label = str(screen.query_one("#throughput-label", Static).render())
            assert label.startswith("Throughput: now ") and "peak" in label and "/s" in label
            valve.open()
            await _finish(app, pilot)
            assert isinstance(app.screen, ReportScreen)
            rates = chart.history.rates
            assert rates and max(rates) > 0
            assert screen.query_one("#throughput-chart", Sparkline).data == [0.0, *rates]  # drawn from a zero floor
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    moved = sum(r * chart.history.width for r in rates[:-1])
    assert moved <= 6 * 512 * 1024 * 1.01, "the bars never claim more bytes than the run moved"
