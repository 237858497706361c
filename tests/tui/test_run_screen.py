"""RunScreen: confirmation, live progress, pause/resume, cancel, errors, S3, coalescing."""

from __future__ import annotations

import asyncio
import os
import time

from fsspec.implementations.memory import MemoryFileSystem
from textual.widgets import Log, Sparkline, Static

import fsspeckit
from fsspeckit.listing import list_tree
from fsspeckit.plan import SyncOptions, make_plan
from tui.screens.report import ReportScreen
from tui.testing import ScreenHost, ThrottledMemoryFileSystem
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
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_workers": 2})
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
    # 6 files of 2 MiB read 64 KiB at a time with a delay: a few seconds in all.
    src_fs = _slow_source("pause", files=6, size=2 * 2**20)
    dst = tmp_path / "dst"
    dst.mkdir()
    dst_fs = fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_workers": 2})
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.last_progress is not None and screen.last_progress.bytes_done > 0)
        # Files in flight have their own bars.
        await wait_for(pilot, lambda: any(r.display for r in screen.query(FileRow)))
        await pilot.press("space")
        assert screen.pause_event.is_set()
        assert "Paused" in str(screen.query_one("#status", Static).render())
        await asyncio.sleep(0.3)  # let in-flight chunks land
        before = screen.last_progress.bytes_done
        await asyncio.sleep(0.6)
        await pilot.pause()
        assert screen.last_progress.bytes_done == before, "no bytes move while paused"
        await pilot.press("space")
        assert not screen.pause_event.is_set()
        await wait_for(pilot, lambda: screen.last_progress.bytes_done > before)
        await pilot.press("escape")  # esc asks before stopping: the run goes on until answered
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen) and not screen.cancel_event.is_set()
        await pilot.press("y")
        await pilot.pause()
        assert screen.cancel_event.is_set()
        assert "Cancel" in str(screen.query_one("#status", Static).render())
        await _finish(app, pilot)
        result = screen.result
        assert result.cancelled and result.counts["cancelled"] >= 1
        assert isinstance(app.screen, ReportScreen)
        assert "cancelled" in str(app.screen.query_one("#title", Static).render()).lower()
    names = [p.name for p in dst.rglob("*")]
    assert not [n for n in names if ".fsspeckit-partial-" in n]
    copied = {o.path for o in result.outcomes if o.outcome == "copied"}
    on_disk = {p.relative_to(dst).as_posix() for p in dst.rglob("*") if p.is_file()}
    assert on_disk == copied, "only whole, reported files are on the destination"
    for rel in on_disk:
        assert (dst / rel).stat().st_size == 2 * 2**20


async def test_errors_show_live_with_their_cause(local_tree):
    src = local_tree({"ok.txt": b"fine", "gone.txt": b"will vanish"}, name="src")
    dst = local_tree({}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    plan = _plan(src_fs, dst_fs)
    (src / "gone.txt").unlink()  # the source changes after planning
    screen = RunScreen(plan, src_fs, dst_fs, {"retries": 0, "max_workers": 1})
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
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_delete": 1})
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
    from fsspeckit.apply import Progress

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
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_workers": 4})
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
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_workers": 2})
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


class _StallingMemoryFileSystem(ThrottledMemoryFileSystem):
    """Reads stop for ``stall`` seconds once half the file was read (a store that goes quiet)."""

    protocol = ("stallingmem",)
    stall = 0.0

    def _open(self, path, mode="rb", **kwargs):
        f = super()._open(path, mode, **kwargs)
        if "r" in mode:
            read, size, stalled = f.read, f.size, []

            def read_then_stall(n=-1):
                if not stalled and f.tell() >= size // 2:
                    stalled.append(True)
                    time.sleep(self.stall)
                return read(n)

            f.read = read_then_stall
        return f


async def test_a_quiet_transfer_says_so_instead_of_a_stale_eta(tmp_path, monkeypatch, wait_for):
    # Halfway through, no byte moves for 4 s: the rate must fall and the ETA give way to a sentence,
    # not stay frozen at the last burst ("67.8 MB/s · ETA 0.3 s" while a store assembles an upload).
    backend = _StallingMemoryFileSystem(skip_instance_cache=True)
    backend.delay, backend.stall = 0.02, 4.0  # about 0.7 s of reads before the stall: progress is seen
    root = f"/stall-{os.getpid()}-{time.monotonic_ns()}"
    backend.pipe_file(f"{root}/big.bin", os.urandom(4 * 2**20))
    from fsspec.implementations.dirfs import DirFileSystem

    src_fs = DirFileSystem(path=root, fs=backend)
    dst = tmp_path / "dst"
    dst.mkdir()
    dst_fs = fsspeckit.filesystem(str(dst))
    screen = RunScreen(_plan(src_fs, dst_fs), src_fs, dst_fs, {"max_workers": 1})
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.last_progress is not None and screen.last_progress.bytes_done > 0)
        stats = lambda: str(screen.query_one("#stats", Static).render())  # noqa: E731
        await wait_for(pilot, lambda: "no bytes for" in stats(), timeout=8.0)
        assert "ETA" not in stats() and "waiting for the destination" in stats()
        await _finish(app, pilot)
        assert screen.result.counts["copied"] == 1


async def test_the_run_screen_draws_throughput_while_it_runs(tmp_path, wait_for):
    src_fs = _slow_source("chart", files=6, size=512 * 1024)  # 48 throttled reads of 64 KiB
    dst_fs = fsspeckit.filesystem(str(tmp_path / "dst"))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions())
    screen = RunScreen(plan, src_fs, dst_fs, {"max_workers": 2})
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chart = screen.query_one(ThroughputChart)
        assert not chart.display or not screen.query_one("#running").display, "no chart before the run"
        await pilot.press("enter")
        await wait_for(pilot, lambda: chart.history.seconds > 0 and chart.history.peak > 0, timeout=30)
        assert screen.query_one("#running").display and chart.region.height >= 4, "the chart is on screen"
        label = str(screen.query_one("#throughput-label", Static).render())
        assert label.startswith("Throughput: now ") and "peak" in label and "/s" in label
        await _finish(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        rates = chart.history.rates
        assert rates and max(rates) > 0
        assert screen.query_one("#throughput-chart", Sparkline).data == [0.0, *rates]  # drawn from a zero floor
    moved = sum(r * chart.history.width for r in rates[:-1])
    assert moved <= 6 * 512 * 1024 * 1.01, "the bars never claim more bytes than the run moved"
