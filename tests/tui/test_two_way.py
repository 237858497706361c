"""The app's two-way mode driven with Textual's pilot: arrows, conflicts first, decisions by hand and undo,
confirm → run → report, the state recording only what succeeded; local ↔ local and local ↔ S3 (moto)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import fsspeckit
from textual.widgets import Button

from fsspeckit.verbs.bisync import bisync, plan_bisync, state_path
from tui.launch import create_app
from tui.demo import DEMO_NOW, build_demo
from tui.launch import build_parser
from tui.screens.two_way import TwoWayRunScreen, TwoWayScreen
from tui.two_way import TwoWayView, arrow_of, replay, run_plan
from tui.widgets.two_way_table import TwoWayTable
from tests.tui.helpers import wait_for

SIZE = (120, 36)


def write(root: Path, rel: str, data: bytes, age: float = 0.0) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    if age:
        t = time.time() - age
        os.utime(p, (t, t))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def synced_pair(tmp_path):
    """Two local trees in step after a first two-way run, then changed on both sides."""
    a, b, state = tmp_path / "a", tmp_path / "b", tmp_path / "state"
    for rel, data in {"both.txt": b"base", "gone-left.txt": b"g", "docs/r.txt": b"r0", "docs/l.txt": b"l0",
                      "keep.txt": b"k"}.items():
        write(a, rel, data, age=3600)
        write(b, rel, data, age=3600)
    first = bisync(fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b)), state_dir=state)
    assert first.ok, first.outcomes
    write(a, "both.txt", b"left edit, longer", age=600)  # a conflict: changed on both sides
    write(b, "both.txt", b"right edit", age=60)
    (a / "gone-left.txt").unlink()  # a deletion to carry to the right
    write(b, "docs/r.txt", b"r1 changed on the right")
    write(a, "docs/l.txt", b"l1 changed on the left")
    write(a, "new-left.txt", b"new")
    return a, b, state


def rclone_check(a: Path, b: Path) -> None:
    """An independent check that the two trees hold the same files (when rclone is installed)."""
    exe = shutil.which("rclone")
    if exe is None:
        return
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    done = subprocess.run([exe, "check", str(a), str(b)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr


def lines_of(screen: TwoWayScreen) -> list[tuple[str, str, str]]:
    view = screen.view
    return [(kind, key, view.folder_arrow(item) if kind == "folder" else arrow_of(item, view.plan))
            for kind, key, item in view.lines]


async def open_two_way(app, pilot) -> TwoWayScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, TwoWayScreen) and app.screen.view is not None)
    return app.screen


async def move_to(pilot, screen: TwoWayScreen, kind: str, key: str) -> None:
    assert screen.query_one(TwoWayTable).go_to(kind, key)
    await pilot.pause()


# -- the plan as rows, without the app --------------------------------------------------------------

def test_decisions_replay_in_order_and_never_invent_a_deletion(tmp_path):
    a, b, state = synced_pair(tmp_path)
    plan = plan_bisync(fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b)), state_dir=state)
    rows, _, _ = replay(plan, [])
    arrows = {r.path: arrow_of(r, plan) for r in rows if r.action.kind in ("copy", "delete", "conflict")}
    assert arrows == {"both.txt": "⚡", "gone-left.txt": "→✕", "docs/r.txt": "←", "docs/l.txt": "→",
                      "new-left.txt": "→"}
    # flipping the deletion brings the file back to the left instead; the right side winning on a
    # path the right does not hold would be a new deletion: refused, with the reason
    rows, note, changed = replay(plan, [("gone-left.txt", "flip"), ("new-left.txt", "right")])
    by = {r.path: r for r in rows}
    assert (by["gone-left.txt"].action.kind, by["gone-left.txt"].action.direction) == ("copy", "right->left")
    assert by["new-left.txt"].action.direction == "left->right" and changed == 0 and "would delete it" in note
    # a folder decision covers what is under it; skipping leaves the path out of the run
    rows, _, _ = replay(plan, [("docs/", "left"), ("both.txt", "newer"), ("docs/l.txt", "skip")])
    by = {r.path: r for r in rows}
    assert by["docs/r.txt"].action.direction == "left->right" and by["docs/r.txt"].by_hand
    assert arrow_of(by["both.txt"], plan) == "⚡←"  # the right edit is the newer one
    assert "docs/l.txt" not in [x.path for x in run_plan(plan, rows).actions]
    view = TwoWayView(plan, rows)
    assert view.lines[0][:2] == ("conflict", "both.txt")
    assert [k for k, key, _ in view.lines if k == "folder"] == ["folder", "folder"]


# -- the app -------------------------------------------------------------------------------------------------

async def test_two_way_conflict_decision_undo_run_and_report(tmp_path):
    a, b, state = synced_pair(tmp_path)
    app = create_app(fsspeckit.filesystem(str(a)), "", fsspeckit.filesystem(str(b)), "", two_way=True,
                     state_dir=str(state))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_two_way(app, pilot)
        lines = lines_of(screen)
        assert lines[0] == ("conflict", "both.txt", "⚡"), "conflicts come first"
        assert ("file", "gone-left.txt", "→✕") in lines and ("file", "docs/r.txt", "←") in lines
        assert ("folder", "docs/", "⇄") in lines
        assert "changed on both sides" in str(screen.query_one("#tw-detail").render())
        await move_to(pilot, screen, "conflict", "both.txt")
        await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡→")
        await pilot.press("z")  # undo works as for one-way rows
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡" and not screen.decisions)
        await pilot.press("t", "t")  # cycles: newer (the right edit), then larger (the left one)
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡→" and len(screen.decisions) == 2)
        await pilot.press("z")
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡←" and screen.decisions == [("both.txt", "cycle")])
        await pilot.press("greater_than_sign")
        await wait_for(pilot, lambda: screen.decisions[-1] == ("both.txt", "right"))
        assert lines_of(screen)[0][2] == "⚡←"
        await move_to(pilot, screen, "file", "gone-left.txt")
        await pilot.press("space")  # flip: keep it, bring it back to the left
        await wait_for(pilot, lambda: ("file", "gone-left.txt", "←") in lines_of(screen))
        assert len(screen.decisions) == 3
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
        run = app.screen
        assert "nothing" in str(run.query_one("#delete-right").render()), "the flipped deletion is gone"
        assert "1 decided" in str(run.query_one("#conflicts").render())
        assert tree(a)["both.txt"] == b"left edit, longer", "nothing is written before the start"
        await pilot.click("#start")
        await wait_for(pilot, lambda: run.phase == "done")
        assert run.result.ok and not run.result.failed
        assert "Two-way run complete" in str(run.query_one("#status").render())
        assert run.query_one("#outcomes").row_count == 5
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not run)
        box = app.screen.query_one("#path-input")
        box.value = str(tmp_path / "report.csv")
        await pilot.press("enter")
        await wait_for(pilot, lambda: (tmp_path / "report.csv").exists())
        lines = (tmp_path / "report.csv").read_text().splitlines()
        assert lines[0] == "path,what,outcome,error" and len(lines) == 6
        assert run.export(str(tmp_path / "report.json"))
        data = json.loads((tmp_path / "report.json").read_text())
        assert data["ok"] and {o["path"] for o in data["outcomes"]} >= {"both.txt", "gone-left.txt"}
        assert not run.export(str(tmp_path / "no-such-folder" / "r.json"))
        left, right = tree(a), tree(b)
        assert left == right
        rclone_check(a, b)
        assert left["both.txt"] == b"right edit" and left["gone-left.txt"] == b"g"
        assert left["docs/r.txt"] == b"r1 changed on the right" and left["docs/l.txt"] == b"l1 changed on the left"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayScreen) and app.screen.view is not None
                       and app.screen.plan.first_run is False)
        assert app.screen.view.lines == [], "in step: the state knows what each side holds"
        await pilot.press("escape")  # back to the one-way screen: listed again, nothing left to copy
        await wait_for(pilot, lambda: not isinstance(app.screen, TwoWayScreen) and app.view is not None
                       and app.busy is None)
        assert not app.view.plan.transfers


async def test_state_records_only_what_succeeded(tmp_path):
    a, b, state = synced_pair(tmp_path)
    write(a, "x/new.txt", b"cannot land")
    app = create_app(fsspeckit.filesystem(str(a)), "", fsspeckit.filesystem(str(b)), "", two_way=True,
                     state_dir=str(state))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_two_way(app, pilot)
        await move_to(pilot, screen, "conflict", "both.txt")
        await pilot.press("t")  # skip → newer: the right edit
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡←")
        (b / "x").write_bytes(b"a file where the folder should be")  # after planning: that copy fails
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
        run = app.screen
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.phase == "done")
        r = run.result
        assert [o[0] for o in r.failed] == ["x/new.txt"]
        assert ("gone-left.txt", "delete right", "skipped", "not deleted: a copy failed") in r.outcomes
        assert "failure" in str(run.query_one("#status").render())
    import sqlite3

    db = sqlite3.connect(str(state_path(str(a), str(b), {"include": [], "exclude": [], "partitions": ""}, state)))
    rows = {p: (ls, rs) for p, ls, rs in db.execute("SELECT path, l_size, r_size FROM files")}
    db.close()
    assert "x/new.txt" not in rows, "a failed copy is not in the state"
    assert rows["both.txt"] == (10, 10) and rows["docs/l.txt"][1] == len(b"l1 changed on the left")
    assert "gone-left.txt" in rows, "a deletion held back is still known: planned again, never lost"
    (b / "x").unlink()
    again = plan_bisync(fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b)), state_dir=state)
    kinds = {x.path: (x.kind, x.direction) for x in again.actions}
    assert kinds == {"x/new.txt": ("copy", "left->right"), "gone-left.txt": ("delete", "right")}


async def test_local_and_s3_keep_both(s3, tmp_path):
    local = tmp_path / "laptop"
    write(local, "report.csv", b"local version", age=7200)
    write(local, "only-local.txt", b"L")
    s3.fs.pipe({s3.path("data/report.csv"): b"bucket version!", s3.path("data/only-bucket.txt"): b"B"})
    bucket = fsspeckit.filesystem("s3://" + s3.bucket + "/data", storage_options=s3.options)
    app = create_app(fsspeckit.filesystem(str(local)), "", bucket, "", two_way=True, state_dir=str(tmp_path / "st"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_two_way(app, pilot)
        assert screen.plan.first_run
        assert lines_of(screen)[0] == ("conflict", "report.csv", "⚡")
        assert ("file", "only-bucket.txt", "←") in lines_of(screen)
        await move_to(pilot, screen, "conflict", "report.csv")
        await pilot.press("b")
        await wait_for(pilot, lambda: lines_of(screen)[0][2] == "⚡⇄")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
        run = app.screen
        assert not run.query_one("#start", Button).disabled
        assert "1 kept both ways" in str(run.query_one("#keep-both").render())
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.phase == "done", timeout=60)
        assert run.result.ok, run.result.outcomes
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayScreen) and app.screen.view is not None
                       and not app.screen.plan.first_run, timeout=60)
        assert app.screen.view.lines == [], "the kept copy is an ordinary file: not synced back and forth"
    left = tree(local)
    right = {p.split("/data/", 1)[1]: s3.fs.cat_file(p) for p in s3.fs.find(s3.path("data"))}
    assert left == right
    assert left["report.csv"] == b"bucket version!" and left["only-local.txt"] == b"L"
    aside = [p for p in left if p.startswith("report.conflict-left-")]
    assert len(aside) == 1 and left[aside[0]] == b"local version"


async def test_enter_two_way_by_key_palette_and_command_line(tmp_path):
    assert build_parser().parse_args(["--two-way"]).two_way
    assert build_parser().parse_args(["a", "b", "--two-way"]).two_way
    src, dst = build_demo(tmp_path / "demo")
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                     clock=lambda: DEMO_NOW, state_dir=str(tmp_path / "state"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.view is not None)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Two-way sync" in titles
        await pilot.press("2")
        screen = await open_two_way(app, pilot)
        assert screen.plan.first_run and len(screen.view.conflicts) == 4
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TwoWayScreen))
    assert not any(src.rglob("*.sqlite*")) and not any(dst.rglob("*.sqlite*")), "the state is never on a synced tree"
    assert list((tmp_path / "state").glob("*.sqlite")), "the demo's state is where it was told to be"


def test_a_stopped_run_deletes_nothing_and_the_next_does_what_is_left(tmp_path):
    a, b, state = synced_pair(tmp_path)
    fa, fb = fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b))
    plan = plan_bisync(fa, fb, state_dir=state, conflict="newer")
    before = (tree(a), tree(b))
    stop = threading.Event()
    stop.set()  # stopped before any file started
    seen = []
    r = bisync(fa, fb, plan=plan, state_dir=state, progress=seen.extend, cancel=stop)
    assert r.cancelled and not r.ok and not r.failed
    assert {o[2] for o in r.outcomes} == {"cancelled", "skipped"} and len(seen) == len(r.outcomes)
    assert ("gone-left.txt", "delete right", "skipped", "not deleted: the run was stopped") in r.outcomes
    assert (tree(a), tree(b)) == before, "nothing written, nothing deleted"
    rest = plan_bisync(fa, fb, state_dir=state, conflict="newer")
    assert [(x.path, x.kind, x.direction) for x in rest.actions] == \
        [(x.path, x.kind, x.direction) for x in plan.actions], "the next run does what is left"
    r = bisync(fa, fb, plan=rest, state_dir=state)
    assert r.ok and tree(a) == tree(b)


def _two_way_demo(tmp_path):
    src, dst = build_demo(tmp_path / "demo")
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination", two_way=True,
                      state_dir=str(tmp_path / "state"))


async def _planned(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, TwoWayScreen) and app.screen.view is not None)
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.clear_notifications()
    await pilot.pause()


def test_two_way_screen_snapshot(snap_compare, tmp_path):
    assert snap_compare(_two_way_demo(tmp_path), terminal_size=SIZE, run_before=_planned)


def test_two_way_screen_snapshot_80x24(snap_compare, tmp_path):
    assert snap_compare(_two_way_demo(tmp_path), terminal_size=(80, 24), run_before=_planned)


async def test_stopping_a_run_asks_first_then_deletes_nothing(tmp_path):
    from fsspec.implementations.dirfs import DirFileSystem

    from tui.testing import ReadValve, ThrottledMemoryFileSystem

    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/two-way-stop-{os.getpid()}-{time.monotonic_ns()}"
    slow = DirFileSystem(path=root, fs=backend)
    local = tmp_path / "laptop"
    for name in ("old.txt", "a.txt", "b.txt", "c.txt"):
        backend.pipe_file(f"{root}/{name}", b"old")
        write(local, name, b"old")
    state = tmp_path / "state"
    assert bisync(fsspeckit.filesystem(str(local)), slow, state_dir=state).ok
    backend.rm_file(f"{root}/old.txt")  # deleted on the right: to be deleted on the left
    for i in range(24):
        backend.pipe_file(f"{root}/big/{i:02d}.bin", bytes([i]) * (1024 * 1024))
    valve = ReadValve(is_open=False)
    valve.allow(8 * 15 + 16)  # 8 workers (the default), files of 16 reads: one file done, then the run is held
    ThrottledMemoryFileSystem.valve = valve
    try:
        app = create_app(fsspeckit.filesystem(str(local)), "", slow, "", two_way=True, state_dir=str(state))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_two_way(app, pilot)
            assert ("file", "old.txt", "✕←") in lines_of(screen)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
            run = app.screen
            assert "DELETE on the left" in str(run.query_one("#delete-left").render())
            await pilot.press("enter")
            await wait_for(pilot, lambda: "actions" in str(run.query_one("#stats").render()))
            await pilot.press("escape")  # asks first
            await wait_for(pilot, lambda: app.screen is not run)
            await pilot.press("y")
            await wait_for(pilot, lambda: run.cancel_event.is_set())
            valve.open()
            await wait_for(pilot, lambda: run.phase == "done", timeout=60)
            r = run.result
            assert r.cancelled and not r.ok
            assert "stopped" in str(run.query_one("#status").render())
            outcomes = {o[2] for o in r.outcomes}
            assert "cancelled" in outcomes and "done" in outcomes
            assert (local / "old.txt").exists(), "no deletion after a stop"
            done = {o[0] for o in r.outcomes if o[2] == "done"}
            for rel in done:
                assert (local / rel).read_bytes() == backend.cat_file(f"{root}/{rel}")
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    rest = plan_bisync(fsspeckit.filesystem(str(local)), slow, state_dir=state)
    planned = {a.path for a in rest.actions if a.kind != "record"}
    assert planned == {f"big/{i:02d}.bin" for i in range(24)} - done | {"old.txt"}


async def test_an_emptied_side_is_refused_until_forced(tmp_path):
    a, b, state = synced_pair(tmp_path)
    for p in list(a.rglob("*")):
        if p.is_file():
            p.unlink()
    app = create_app(fsspeckit.filesystem(str(a)), "", fsspeckit.filesystem(str(b)), "", two_way=True,
                     state_dir=str(state))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayScreen) and app.screen.guarded)
        screen = app.screen
        text = str(screen.query_one("#tw-status").render())
        assert "lists no files" in text and "Press !" in text and screen.view is None
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is screen, "nothing to run while refused"
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: screen.view is not None)
        assert all(arrow == "→✕" for kind, _, arrow in lines_of(screen) if kind == "file")
        assert not app.errors, "the refusal is told on the two-way screen, not left on the one-way one"
    assert len(tree(b)) == 5, "nothing was deleted: only planned"


def test_a_conflict_decided_for_the_deleting_side_is_a_deletion_shown_as_one(tmp_path):
    a, b, state = synced_pair(tmp_path)
    (b / "docs" / "l.txt").unlink()  # changed on the left, deleted on the right
    plan = plan_bisync(fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b)), state_dir=state)
    rows, _, _ = replay(plan, [("docs/", "newer"), ("docs/l.txt", "right")])
    view = TwoWayView(plan, rows)
    by = {r.path: r for r in rows}
    assert arrow_of(by["docs/l.txt"], plan) == "⚡✕←"
    assert view.deletions("left") == ["docs/l.txt"] and view.totals()["delete left"][0] == 1
    assert by["docs/r.txt"].action.direction == "right->left", "n on a folder leaves its plain copies alone"
    assert view.deletions("right") == ["gone-left.txt"]


def _held_two_way_app(tmp_path, valve):
    """A two-way app pulling 16 files of 1 MiB (16 reads each) through ``valve``."""
    from fsspec.implementations.dirfs import DirFileSystem

    from tui.testing import ThrottledMemoryFileSystem

    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/two-way-quit-{os.getpid()}-{time.monotonic_ns()}"
    for i in range(16):
        backend.pipe_file(f"{root}/{i:02d}.bin", bytes([i]) * (1024 * 1024))
    local = tmp_path / "empty"
    local.mkdir()
    ThrottledMemoryFileSystem.valve = valve
    app = create_app(fsspeckit.filesystem(str(local)), "", DirFileSystem(path=root, fs=backend), "",
                     two_way=True, state_dir=str(tmp_path / "state"))
    return app, local


async def test_quitting_during_a_two_way_run_asks_first(tmp_path):
    from tui.screens.remotes import ConfirmScreen
    from tui.testing import ReadValve, ThrottledMemoryFileSystem

    valve = ReadValve(is_open=False)
    valve.allow(20)  # one file and a bit: the run is held until the answer
    try:
        app, local = _held_two_way_app(tmp_path, valve)
        async with app.run_test(size=SIZE) as pilot:
            await open_two_way(app, pilot)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
            run = app.screen
            await pilot.press("enter")
            await wait_for(pilot, lambda: run.phase == "running")
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "and quit?" in app.screen.question
            await pilot.press("y")
            await wait_for(pilot, lambda: run.cancel_event.is_set())
            valve.open()
            await wait_for(pilot, lambda: not app.is_running, timeout=60)
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    assert len(list(local.iterdir())) < 16, "stopped before the end"


async def test_a_stop_question_left_open_goes_away_when_the_two_way_run_ends(tmp_path):
    # The run finishes while "Stop this two-way run and quit?" is open: the question
    # goes, the report shows, and q then quits without asking.
    from tui.screens.remotes import ConfirmScreen
    from tui.testing import ReadValve, ThrottledMemoryFileSystem

    valve = ReadValve(is_open=False)
    try:
        app, local = _held_two_way_app(tmp_path, valve)
        async with app.run_test(size=SIZE) as pilot:
            await open_two_way(app, pilot)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
            run = app.screen
            await pilot.press("enter")
            await wait_for(pilot, lambda: run.phase == "running")
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            valve.open()
            await wait_for(pilot, lambda: run.phase == "done", timeout=60)
            await wait_for(pilot, lambda: app.screen is run)
            assert "complete" in str(run.query_one("#status").render())
            await pilot.press("q")
            await wait_for(pilot, lambda: not app.is_running)
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    assert len(list(local.iterdir())) == 16


async def test_a_first_run_over_identical_trees_records_the_state(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for root in (a, b):
        write(root, "same.txt", b"same", age=100)
        write(root, "sub/also.txt", b"also", age=100)
    state = tmp_path / "state"
    app = create_app(fsspeckit.filesystem(str(a)), "", fsspeckit.filesystem(str(b)), "", two_way=True,
                     state_dir=str(state))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_two_way(app, pilot)
        assert screen.plan.first_run and screen.view.lines == []
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, TwoWayRunScreen))
        run = app.screen
        assert "Record the state" in str(run.query_one("#start", Button).label)
        await pilot.press("enter")
        await wait_for(pilot, lambda: run.phase == "done")
        assert "2 found the same" in str(run.query_one("#stats").render())
    (b / "same.txt").unlink()
    again = plan_bisync(fsspeckit.filesystem(str(a)), fsspeckit.filesystem(str(b)), state_dir=state)
    assert not again.first_run
    assert [(x.path, x.kind, x.direction) for x in again.actions] == [("same.txt", "delete", "left")]


async def test_a_folder_decision_and_its_undo(tmp_path):
    a, b, state = synced_pair(tmp_path)
    app = create_app(fsspeckit.filesystem(str(a)), "", fsspeckit.filesystem(str(b)), "", two_way=True,
                     state_dir=str(state))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_two_way(app, pilot)
        await move_to(pilot, screen, "folder", "docs/")
        assert "every file under it" in str(screen.query_one("#tw-detail").render())
        await pilot.press("less_than_sign")  # the left wins for everything in docs/: the right's change is undone
        await wait_for(pilot, lambda: ("file", "docs/r.txt", "→") in lines_of(screen))
        assert ("folder", "docs/", "→") in lines_of(screen) and ("file", "docs/l.txt", "→") in lines_of(screen)
        await pilot.press("z")
        await wait_for(pilot, lambda: ("file", "docs/r.txt", "←") in lines_of(screen))
        assert not screen.decisions
