"""The app and the headless commands behave alike where they overlap.

Each test replays a way the two front ends used to drift apart: the deletion
default, the temporaries of an interrupted run, the check of the source before
writing, and ``s`` pressed while a new plan is still being made.
"""

from __future__ import annotations

import json
import threading

from textual.worker import WorkerFailed

import fsspeckit
from fsspeckit.planning.plan import SyncOptions
from tui import planning
from tui.launch import create_app
from tui.cli import build_parser as build_cli_parser
from tui.launch import build_parser as build_app_parser
from tui.screens.run import RunScreen
from tui.service import DELETE_DEFAULTS
from tui.widgets.totals import TotalsBar

SIZE = (120, 36)


def _cli_default(verb: str) -> bool:
    args = build_cli_parser().parse_args([verb, "memory://a", "memory://b"])
    return args.delete


def test_one_deletion_default_per_verb():
    app_args = build_app_parser().parse_args(["memory://a", "memory://b"])
    assert app_args.delete is DELETE_DEFAULTS["app"]
    for verb in ("sync", "plan", "copy", "move"):
        assert _cli_default(verb) is DELETE_DEFAULTS[verb], verb
    # The app plans and runs a sync: it starts where `sync`, `plan` and the library start.
    assert DELETE_DEFAULTS["app"] is DELETE_DEFAULTS["sync"] is DELETE_DEFAULTS["plan"] is SyncOptions().delete
    assert DELETE_DEFAULTS["copy"] is DELETE_DEFAULTS["move"] is False


async def test_app_starts_with_the_documented_default_shows_it_and_saves_it(local_tree, tmp_path, settle):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({"only-here.txt": b"x"}, name="dst")
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.options.delete is DELETE_DEFAULTS["app"]
        assert app.view.by_path["only-here.txt"].kind == "delete"
        status = str(app.query_one(TotalsBar).render())
        assert "Deletions ON" in status
        app.save_plan(app.view.plan, str(tmp_path / "plan.json"))
        await settle(app, pilot)
        await pilot.press("d")
        await settle(app, pilot)
        assert "Deletions OFF" in str(app.query_one(TotalsBar).render())
    saved = json.loads((tmp_path / "plan.json").read_text())
    assert saved["options"]["delete"] is True


async def test_app_run_removes_the_temporaries_of_an_interrupted_run(local_tree, settle):
    leftover = ".a.txt.fsspeckit-partial-0123456789"
    src = local_tree({"a.txt": b"a" * 10}, name="src")
    dst = local_tree({leftover: b"half a file"}, name="dst")
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = next(s for s in app.screen_stack if isinstance(s, RunScreen))
        assert screen.result is not None and screen.result.cleaned_partials == 1
    assert not (dst / leftover).exists()
    assert (dst / "a.txt").read_bytes() == b"a" * 10


async def test_app_checks_the_source_again_before_writing(local_tree, settle):
    src = local_tree({"a.txt": b"planned", "b.txt": b"b"}, name="src")
    dst = local_tree({}, name="dst")
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, RunScreen)
        (src / "a.txt").write_bytes(b"changed while the confirmation was open")
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen) and screen.phase == "failed"
        assert "stale" in screen.error and "a.txt" in screen.error
    assert list(dst.iterdir()) == []  # nothing was written


async def test_s_while_replanning_is_refused_and_the_run_is_the_plan_on_screen(local_tree, monkeypatch, settle):
    """Big tree, compare -> checksum (a long re-plan), deletions off, s: the old plan must not run."""
    src = local_tree({f"f{i}.txt": b"x" * i for i in range(20)}, name="src")
    dst = local_tree({"keep-me.txt": b"only in the destination"}, name="dst")
    gate = threading.Event()
    real = planning.plan_sides

    def slow_plan(src_side, dst_side, options, *args, **kwargs):
        if options.compare == "checksum":
            gate.wait(30)  # the hashing of a big tree
        return real(src_side, dst_side, options, *args, **kwargs)

    monkeypatch.setattr("tui.app.plan_sides", slow_plan)
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", delete=True)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert app.view.by_path["keep-me.txt"].kind == "delete"
            await pilot.press("c", "c")  # size_mtime -> size -> checksum
            await pilot.pause()
            await pilot.press("d")  # deletions off, while the checksum plan is still being made
            await pilot.pause()
            assert app.busy is not None
            await pilot.press("s")
            await pilot.pause()
            assert not isinstance(app.screen, RunScreen)
            assert any("Not yet" in n.message for n in app._notifications)
            gate.set()
            await settle(app, pilot)
            assert app.view.plan.options.compare == "checksum" and not app.view.plan.options.delete
            await pilot.press("s")
            await pilot.pause()
            assert isinstance(app.screen, RunScreen)
            assert app.screen.plan.deletes == [] and app.screen.plan.options == app.options
            await pilot.press("enter")
            await settle(app, pilot)
    finally:
        gate.set()
    assert (dst / "keep-me.txt").exists()
    assert (dst / "f19.txt").read_bytes() == b"x" * 19

