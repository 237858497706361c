"""The app as people drive it: focus on pushed screens, the palette, a run that asks before stopping,
honest confirmations and progress, the partition picker, and the small fixes a first walk found."""

from __future__ import annotations

import os
import time

import fsspeckit
from fsspec.implementations.dirfs import DirFileSystem
from textual.command import CommandPalette
from textual.widgets import Checkbox, Input, SelectionList, Static
from textual.worker import WorkerFailed

from fsspeckit.execution.apply import Progress
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import SyncOptions, make_plan
from tui.app import SyncApp
from tui.launch import create_app
from tui.demo import DEMO_NOW, build_demo
from tui.screens.location import LocationScreen
from tui.screens.partitions import PartitionScreen
from tui.screens.remotes import ConfirmScreen
from tui.screens.report import ReportScreen
from tui.screens.run import RunScreen
from tui.testing import ReadValve, ScreenHost, ThrottledMemoryFileSystem
from tui.widgets.diff_table import DiffTable
from tui.widgets.log_panel import LogPanel
from tui.widgets.totals import DetailBar, TotalsBar
from tui.widgets.trees import FileTree

SIZE = (120, 36)


def demo_app(tmp_path, **kw) -> SyncApp:
    src, dst = build_demo(tmp_path)
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination", **kw)


def text_of(widget) -> str:
    return str(widget.render())


# -- 1. Tab and shift+Tab on pushed screens ------------------------------------------------------------

async def test_tab_and_shift_tab_move_focus_on_pushed_screens(tmp_path, settle, wait_for):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PartitionScreen))
        lists = list(app.screen.query(SelectionList))
        assert app.screen.focused is lists[0]
        await pilot.press("tab")
        assert app.screen.focused is lists[1], "Tab reaches the second key's values"
        await pilot.press("tab", "tab")
        assert app.screen.focused is app.screen.query_one("#predicate", Input)
        await pilot.press("shift+tab")
        assert app.screen.focused is lists[2]
        await pilot.press("escape")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationScreen))
        assert app.screen.focused.id == "src-input"
        await pilot.press("tab")
        assert app.screen.focused.id == "src-options"
        await pilot.press("shift+tab")
        assert app.screen.focused.id == "src-input"
        await pilot.press("escape")


# -- 2. The command palette lists the app's actions -------------------------------------------------------

async def _palette_hits(wait_for, app, pilot, query: str) -> list[str]:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
    for ch in query:
        await pilot.press("space" if ch == " " else ch)
    await pilot.pause(0.5)
    palette = app.screen
    options = palette.query_one("CommandList")
    hits = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
    await pilot.press("escape")
    await pilot.pause()
    return hits


async def test_palette_finds_the_apps_actions_by_name(tmp_path, settle, wait_for):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert any("Run the sync" in h for h in await _palette_hits(wait_for, app, pilot, "sync"))
        assert any("Refresh listings" in h for h in await _palette_hits(wait_for, app, pilot, "refresh"))
        assert any("Choose partitions" in h for h in await _palette_hits(wait_for, app, pilot, "parti"))
        # On a pushed screen the palette offers that screen's own keys.
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        names = [c.title for c in app.get_system_commands(app.screen)]
        assert "Start" in names and "Run the sync" not in names


# -- 3. 80x24 --------------------------------------------------------------------------------------------------

async def test_small_terminal_keeps_options_line_and_whole_partition_paths(tmp_path, settle):
    app = demo_app(tmp_path, delete=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        totals = text_of(app.query_one(TotalsBar)).split("\n")
        assert len(totals) == 2 and "source wins [t]" in totals[1] and "deletions off [d]" in totals[1]
        assert all(len(line) <= 78 for line in totals), totals
        table = app.query_one(DiffTable)
        widths = dict(table.column_layout)
        assert widths["path"] >= len("sales/year=2023/month=01/region=apac/part-0.parquet")
        assert "reason" not in widths  # the detail bar shows it whole
        await pilot.resize_terminal(220, 60)
        await pilot.pause()
        await pilot.pause()
        assert "reason" in dict(table.column_layout) and "size" in dict(table.column_layout)
        assert "Strategy source wins [t]" in text_of(app.query_one(TotalsBar))


async def test_page_hint_keeps_its_brackets(tmp_path, settle):
    src = tmp_path / "src"
    for i in range(620):
        (src / f"d{i % 7}").mkdir(parents=True, exist_ok=True)
        (src / f"d{i % 7}" / f"f{i:04d}.txt").write_bytes(b"x")
    (tmp_path / "dst").mkdir()
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(tmp_path / "dst")), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(DiffTable)
        from textual.content import Content

        assert "[ and ] turn pages" in table._border_title.plain
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert "[ ] pages" in table._border_title.plain


# -- 4. No tracebacks in the log panel ----------------------------------------------------------------------

async def test_opening_a_file_that_is_not_a_plan_logs_one_sentence(tmp_path, settle, wait_for):
    not_a_plan = tmp_path / "notes.txt"
    not_a_plan.write_text("hello")
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query("#path-input"))
        app.screen.query_one("#path-input", Input).value = str(not_a_plan)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("g")
        await pilot.pause()
        log = app.query_one(LogPanel)
        lines = [str(strip.text) for strip in log.lines]
        joined = "\n".join(lines)
        assert "Traceback" not in joined and "File \"" not in joined
        flat = " ".join(" ".join(lines).split())
        assert f"Could not open the plan {not_a_plan}: The plan file is not valid JSON" in flat, lines
        assert app.errors.get("open plan", "").startswith("Could not open the plan")


# -- 5. Progress that does not claim done before it is ------------------------------------------------------

async def test_all_bytes_counted_but_unconfirmed_shows_waiting_not_eta_zero(local_tree):
    src = local_tree({"a.bin": b"a" * 1000}, name="src")
    dst = local_tree({}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs), SyncOptions())
    screen = RunScreen(plan, src_fs, dst_fs)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        started = time.monotonic() - 1.0
        screen.on_run_screen_progress_update(RunScreen.ProgressUpdate(
            Progress(files_total=1, bytes_total=1000, files_done=0, bytes_done=1000, started=started)))
        stats = text_of(screen.query_one("#stats", Static))
        assert "waiting for the destination to confirm 1 file" in stats and "ETA 0.0" not in stats


async def test_eta_uses_the_recent_rate_not_a_burst_at_the_start(local_tree):
    src = local_tree({"a.bin": b"a"}, name="src")
    dst = local_tree({}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    screen = RunScreen(make_plan(list_tree(src_fs), list_tree(dst_fs), SyncOptions()), src_fs, dst_fs)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        t0 = time.monotonic()
        # 500 MB counted in the first second, then 10 MB/s (9.5 MiB/s): the ETA follows 10 MB/s.
        for started, done in ((t0 - 1, 500_000_000), (t0 - 7, 520_000_000), (t0 - 9, 540_000_000)):
            screen.on_run_screen_progress_update(RunScreen.ProgressUpdate(
                Progress(files_total=2, bytes_total=1_000_000_000, bytes_done=done, started=started)))
        stats = text_of(screen.query_one("#stats", Static))
        assert "9.5 MiB/s" in stats and "ETA" in stats  # 10 MB/s in IEC units


# -- 6. Counts move while listing and planning ---------------------------------------------------------------

async def test_checksum_planning_shows_files_hashed(tmp_path, monkeypatch, settle):
    seen: list[str] = []
    real = TotalsBar.show

    def recording(self, view, options, **kw):
        if kw.get("busy"):
            seen.append(kw["busy"])
        return real(self, view, options, **kw)

    monkeypatch.setattr(TotalsBar, "show", recording)
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c", "c")  # size only, then checksum
        await settle(app, pilot)
        assert app.options.compare == "checksum"
        assert any("hashing" in b and " / " in b for b in seen), seen
        assert app.view.by_path["README.md"].reason == "same size and MD5"
        await pilot.press("c")  # back to size + mtime: compares as listed, no MD5 left behind
        await settle(app, pilot)
        assert app.options.compare == "size_mtime"
        assert app.view.by_path["README.md"].reason == "same size and modification time"


async def test_listing_shows_files_found_so_far(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.sides["source"].listing = None
        app.post_message(SyncApp.Working("list source", 12_345))
        await pilot.pause()
        assert "12,345 files so far" in str(app.query_one("#src-tree", FileTree).root.label)
        assert "listing… files found: source 12,345" in text_of(app.query_one(TotalsBar))


# -- 7. A run asks before it stops, and quitting waits for it -----------------------------------------------

def _slow_app(tmp_path, monkeypatch) -> tuple[SyncApp, ReadValve]:
    # 6 files of 32 reads of 64 KiB; the valve lets 8 reads through, then holds
    # the run until the test opens it (a busy machine cannot end it early).
    valve = ReadValve(is_open=False)
    valve.allow(8)
    monkeypatch.setattr(ThrottledMemoryFileSystem, "valve", valve)
    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/driven-{os.getpid()}-{time.monotonic_ns()}"
    for i in range(6):
        backend.pipe_file(f"{root}/big/blob{i}.bin", os.urandom(1024) * 2048)
    dst = tmp_path / "dst"
    dst.mkdir()
    return create_app(DirFileSystem(path=root, fs=backend), "", fsspeckit.filesystem(str(dst)), ""), valve


async def test_esc_and_q_during_a_run_ask_first(tmp_path, monkeypatch, settle, wait_for):
    app, valve = _slow_app(tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        run = app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.last_progress is not None and run.last_progress.bytes_done > 0)
        for key in ("escape", "q"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert not run.cancel_event.is_set() and run.phase == "running"
            await pilot.press("n")
            await pilot.pause()
            assert app.screen is run and not run.cancel_event.is_set()
        for key in ("c", "p"):  # letters of the main screen mean nothing here
            await pilot.press(key)
        await pilot.pause()
        assert not run.cancel_event.is_set() and not run.pause_event.is_set()
        valve.open()
        await app.workers.wait_for_complete()


async def test_quit_during_a_run_asks_then_waits_for_the_run_to_stop(tmp_path, monkeypatch, settle, wait_for):
    app, valve = _slow_app(tmp_path, monkeypatch)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        run = app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.last_progress is not None and run.last_progress.bytes_done > 0)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Stop it and quit" in text_of(app.screen.query_one(".dialog-title"))
        assert run.phase == "running" and not run.cancel_event.is_set()
        worker = run._worker
        exits = []
        real_exit = app.exit
        app.exit = lambda *a, **k: (exits.append(worker.is_finished), real_exit(*a, **k))
        await pilot.press("y")
        await wait_for(pilot, lambda: run.cancel_event.is_set())
        valve.open()  # the reads held in flight end, see the cancel and stop
        await wait_for(pilot, lambda: exits)
    # The app left only once the run had stopped: no thread is left to log into the shell.
    assert exits == [True] and run.cancel_event.is_set()
    assert run.result is None or run.result.cancelled


# -- 8. The partition picker keeps what the user chose ---------------------------------------------------------

async def test_reopening_the_picker_and_ticking_a_year_changes_only_the_year(tmp_path, settle, wait_for):
    app = demo_app(tmp_path, partitions="year=2024")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PartitionScreen))
        screen = app.screen
        years, months, regions = list(screen.query(SelectionList))
        assert set(years.selected) == {"2024"}
        assert len(months.selected) == months.option_count, "a key the predicate does not name keeps every value"
        years.select("2022")
        await pilot.pause()
        assert screen.query_one("#predicate", Input).value == "year!=2023"  # 2022 and 2024: no month clause
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.options.partitions == "year!=2023"


async def test_picker_keeps_other_keys_clauses_as_typed(tmp_path, settle, wait_for):
    app = demo_app(tmp_path, partitions="year=2024 and month>=06")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PartitionScreen))
        screen = app.screen
        years, months, regions = list(screen.query(SelectionList))
        regions.deselect("apac")
        await pilot.pause()
        assert screen.query_one("#predicate", Input).value == "year=2024 and month>=06 and region!=apac"


# -- 9. The confirmation says what will really happen ------------------------------------------------------------

async def test_confirmation_warns_that_a_conflict_is_overwritten(tmp_path, settle, wait_for):
    app = demo_app(tmp_path, delete=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        line = text_of(app.screen.query_one("#conflict-line"))
        assert "1 conflict" in line and "overwritten" in line and "source wins" in line
        leave = text_of(app.screen.query_one("#leave-line"))
        assert "69 files as they are" in leave and "identical" in leave and "only in the destination" in leave


async def test_opening_a_plan_that_is_already_done_counts_it_as_done(tmp_path, settle, wait_for):
    app = demo_app(tmp_path, delete=False)
    plan_file = tmp_path / "plan.json"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.save_plan(app.view.plan, str(plan_file))
        await settle(app, pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen), timeout=30)
        from textual.widgets import DataTable

        skipped = str(app.screen.query_one("#summary", DataTable).get_row("skipped")[1])
        assert skipped.startswith("69  (") and "identical" in skipped, "the report says why files were skipped"
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("o")
        await wait_for(pilot, lambda: app.screen.query("#path-input"))
        app.screen.query_one("#path-input", Input).value = str(plan_file)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.view.totals.files.get("copy", 0) == 0 and app.view.totals.files.get("update", 0) == 0
        assert sum(1 for a in app.view.plan.actions if a.reason.startswith("already done")) == 15
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        assert "already done" in text_of(app.screen.query_one("#leave-line"))
        assert app.screen.query_one("#start").disabled  # nothing left to do


async def test_missing_source_is_refused_on_screen_and_can_be_forced_in_the_app(tmp_path, settle, wait_for):
    dst = tmp_path / "dst"
    dst.mkdir()
    for name in ("a.txt", "b.txt"):
        (dst / name).write_bytes(b"x")
    app = create_app(fsspeckit.filesystem(str(tmp_path / "no-such-source")), "", fsspeckit.filesystem(str(dst)), "",
                     delete=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "(does not exist)" in str(app.query_one("#src-tree", FileTree).root.label)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        run = app.screen
        refusal = text_of(run.query_one("#refusal"))
        assert "does not exist" in refusal and "delete every file" in refusal and "allow_delete_all" not in refusal
        start = run.query_one("#start")
        assert start.disabled and "Refused" in str(start.label)
        await pilot.press("enter")  # refused: nothing starts
        await pilot.pause()
        assert run.phase == "confirm"
        run.query_one("#allow-delete-all", Checkbox).value = True
        await pilot.pause()
        assert not start.disabled
        start.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReportScreen), timeout=20)
        assert app.screen.result.counts["deleted"] == 2
    assert not list(dst.iterdir())


# -- 11. Focus, undo, options, columns ---------------------------------------------------------------------------

async def test_detail_bar_follows_the_panel_in_focus(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        detail = app.query_one(DetailBar)
        assert text_of(detail).startswith("README.md")
        tree = app.query_one("#src-tree", FileTree)
        assert tree.go_to("sales")
        await pilot.pause()
        await pilot.pause()
        await pilot.press("tab")  # from the table to the source tree
        await pilot.pause()
        if app.focused is not tree:
            tree.focus()
            await pilot.pause()
        assert text_of(detail).startswith("sales"), text_of(detail)


async def test_z_undoes_one_change_at_a_time(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(DiffTable)
        for path in ("exports/daily/2025-01-06.json", "exports/daily/2025-01-07.json"):
            assert table.go_to(path)
            await pilot.press("x")
            await settle(app, pilot)
        assert app.view.overridden == 2
        await pilot.press("z")
        await settle(app, pilot)
        assert app.view.overridden == 1
        assert app.view.by_path["exports/daily/2025-01-06.json"].overridden
        assert not app.view.by_path["exports/daily/2025-01-07.json"].overridden
        await pilot.press("z")
        await settle(app, pilot)
        assert app.view.overridden == 0


async def test_location_dialog_changes_storage_options(tmp_path, s3, settle, wait_for):
    s3.fs.pipe_file(s3.path("data/one.txt"), b"1")
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationScreen))
        screen = app.screen
        screen.query_one("#src-input", Input).value = s3.url("data")
        options = " ".join(f"{k}={v}" for k, v in _flat(s3.options))
        screen.query_one("#src-options", Input).value = "endpoint_url"  # not key=value
        screen.query_one("#dst-input", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen and "not an option" in text_of(screen.query_one("#location-error"))
        screen.query_one("#src-options", Input).value = options
        screen.query_one("#dst-input", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert not app.errors, app.errors
        assert app.sides["source"].storage_options and "one.txt" in app.sides["source"].listing.entries


def _flat(options, prefix=""):
    for k, v in options.items():
        if isinstance(v, dict):
            yield from _flat(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


async def test_keep_both_does_not_widen_the_path_column(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(DiffTable)
        before = table.column_layout
        assert table.go_to("customers/customers.csv")
        await pilot.press("b")
        await settle(app, pilot)
        assert table.column_layout == before
        assert "kept as customers.conflict-" in text_of(app.query_one(DetailBar))


# -- 12. Words ------------------------------------------------------------------------------------------------------

async def test_singular_rows_and_filter_labels(tmp_path, settle, wait_for):
    src = tmp_path / "src"
    src.mkdir()
    (src / "one.txt").write_bytes(b"1")
    (tmp_path / "dst").mkdir()
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(tmp_path / "dst")), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        table = app.query_one(DiffTable)
        assert table.border_title.endswith("1 row")
        app.action_set_filter("dst_only")
        await pilot.pause()
        assert "filter: only in dst" in table.border_title
        assert "only in dst [f]" in text_of(app.query_one(TotalsBar))
        app.action_set_filter("all")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        assert "Leave   nothing else" in text_of(app.screen.query_one("#leave-line"))


def test_leave_line_says_it_is_for_one_file(local_tree):
    from tui.screens.run import _leave

    src = local_tree({"a.txt": b"a"}, name="src")
    fs = fsspeckit.filesystem(str(src))
    plan = make_plan(list_tree(fs), list_tree(fs), SyncOptions())
    assert _leave(plan, 1) == "1 file as it is  (1 identical)"


# -- 13. Function keys ---------------------------------------------------------------------------------------------

async def test_function_keys_run_help_and_quit(tmp_path, settle, wait_for):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f10")
        await pilot.pause()
    assert app.return_code == 0



async def test_a_listing_error_is_one_sentence_not_two(tmp_path, monkeypatch, settle):
    from fsspeckit.exceptions import SourceError
    from tui import app as app_module

    def failing(side, progress=None):
        raise SourceError("Could not list the source s3://b/x: the endpoint cannot be reached (127.0.0.1:1).")

    monkeypatch.setattr(app_module, "list_side", failing)
    dst = tmp_path / "dst"
    dst.mkdir()
    app = create_app(fsspeckit.filesystem(str(tmp_path)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = app.errors["list source"]
        assert text.startswith("Could not list the source s3://b/x") and "Could not open" not in text


async def test_a_destination_edited_while_the_plan_is_shown_is_not_overwritten(tmp_path, settle, wait_for):
    # The plan on screen updates a.txt; someone edits the destination's a.txt before s,
    # enter. The run refuses (stale), nothing is written, and back on the main screen
    # both sides are listed again: the edit now shows as the conflict it is.
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "a.txt").write_text("new")
    (dst / "a.txt").write_text("old")
    os.utime(dst / "a.txt", (time.time() - 10**6, time.time() - 10**6))
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.view.plan.get("a.txt").kind == "update"
        (dst / "a.txt").write_text("an edit made while the plan was on screen")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        run = app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.phase == "failed")
        assert run.stale and "destination changed" in text_of(run.query_one("#status"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RunScreen))
        await wait_for(pilot, lambda: app.view is not None and app.busy is None
                       and app.view.plan.get("a.txt").category == "conflict")
    assert (dst / "a.txt").read_text() == "an edit made while the plan was on screen"
