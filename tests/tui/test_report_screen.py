"""ReportScreen: summary, failures with causes, export, retry of the failed paths."""

from __future__ import annotations

import csv
import json
import os

from textual.widgets import DataTable, Input, Label

import fsspeckit
from fsspeckit.model.options import RunOptions
from fsspeckit.execution.apply import apply_plan
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import SyncOptions, make_plan
from fsspeckit.model.result import Outcome, SyncResult
from tui.screens.report import ReportScreen, merge_results
from tui.testing import ScreenHost
from tui.screens.run import RunScreen

SIZE = (120, 36)


def _result() -> SyncResult:
    return SyncResult(
        [Outcome("a.txt", "copy", "copied", 100, 1), Outcome("b.txt", "copy", "failed", 0, 3, "Access denied"),
         Outcome("c.txt", "delete", "not_deleted", 0, 0, "not deleted: 1 copy failed")],
        src_url="memory://src", dst_url="s3://bucket/dst", started=1000.0, finished=1002.0,
        deletes_skipped="1 copy failed")


async def test_summary_failures_and_export(tmp_path):
    screen = ReportScreen(_result())
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        summary = screen.query_one("#summary", DataTable)
        assert summary.get_row("copied")[1] == "1" and summary.get_row("failed")[1] == "1"
        assert summary.get_row("duration")[1] == "2.0 s"
        failed = screen.query_one("#failed", DataTable)
        assert failed.row_count == 1 and failed.get_row("b.txt")[-1] == "Access denied"
        assert screen.query_one("#retry").disabled, "no plan given: nothing to retry with"
        # JSON, then CSV, then a folder that does not exist.
        box = screen.query_one("#export-path", Input)
        assert box.value.startswith("fsspeckit-report-") and box.value.endswith(".json")
        box.value = str(tmp_path / "out.json")
        await pilot.click("#export")
        await pilot.pause()
        assert "Saved the report as JSON" in str(screen.query_one("#message", Label).render())
        box.focus()
        for value in (str(tmp_path / "out.csv"), str(tmp_path / "missing" / "r.json")):
            box.value = value
            await pilot.press("enter")
            await pilot.pause()
        message = screen.query_one("#message", Label)
        assert message.has_class("error") and "does not exist" in str(message.render())
        await pilot.press("escape")
    data = json.loads((tmp_path / "out.json").read_text())
    assert data["format"] == "fsspeckit-report" and data["counts"]["failed"] == 1
    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert {r["path"]: r["outcome"] for r in rows}["b.txt"] == "failed"
    assert app.dismissed[-1].counts["copied"] == 1


def test_merge_replaces_retried_outcomes():
    retry = SyncResult([Outcome("b.txt", "copy", "copied", 5, 1)], started=2000.0, finished=2001.0)
    merged = merge_results(_result(), retry)
    assert {o.path: o.outcome for o in merged.outcomes} == {"a.txt": "copied", "b.txt": "copied",
                                                            "c.txt": "not_deleted"}
    # 2 s first run + 1 s retry: the 998 s spent on the report and the confirmation in between do not count.
    assert merged.duration == 3.0 and merged.finished == 2001.0


async def test_typing_a_file_name_fires_no_key_binding(tmp_path):
    """The name box has the focus: letters (r, q, e...) go into it, nothing retries, closes or exports."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(b"a")
    src_fs = dst_fs = fsspeckit.filesystem(str(src))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions())
    screen = ReportScreen(_result(), plan=plan, src_fs=src_fs, dst_fs=dst_fs)
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        box = screen.query_one("#export-path", Input)
        assert screen.focused is box
        box.value = ""
        for key in "report-q.json":
            await pilot.press(key if key not in ".-" else {".": "full_stop", "-": "minus"}[key])
        await pilot.pause()
        assert box.value == "report-q.json"
        assert app.screen is screen and not app.dismissed, "q typed into the box does not close the report"
        assert not (tmp_path / "report-q.json").exists()


async def test_retry_runs_only_the_failed_paths(local_tree):
    src = local_tree({"ok.txt": b"fine", "flaky.txt": b"back again"}, name="src")
    dst = local_tree({"stale.txt": b"old"}, name="dst")
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs, role="destination"), SyncOptions())
    stat = os.stat(src / "flaky.txt")
    (src / "flaky.txt").rename(src / "away")  # gone during the first run
    first = apply_plan(plan, src_fs, dst_fs, retries=0, max_workers=1)
    assert first.counts["failed"] == 1 and first.counts["not_deleted"] == 1
    (src / "away").rename(src / "flaky.txt")
    os.utime(src / "flaky.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns))

    screen = ReportScreen(first, plan=plan, src_fs=src_fs, dst_fs=dst_fs,
                          rerun=lambda p: RunScreen(p, src_fs, dst_fs, RunOptions(retries=0), show_report=False))
    app = ScreenHost(screen)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not screen.query_one("#retry").disabled
        await pilot.press("f5")
        await pilot.pause()
        run = app.screen
        assert isinstance(run, RunScreen)
        assert {a.path for a in run.plan.actions} == {"flaky.txt", "stale.txt"}
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app.screen is screen and screen.retries == 1
        assert screen.result.ok
        assert screen.query_one("#failed", DataTable).row_count == 0
        await pilot.press("escape")
    final = app.dismissed[-1]
    assert final.counts["copied"] == 2 and final.counts["deleted"] == 1
    assert (dst / "flaky.txt").read_bytes() == b"back again" and not (dst / "stale.txt").exists()
