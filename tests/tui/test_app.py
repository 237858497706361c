"""The main screen driven with Pilot: launch, plan, change decisions, save and open plans, errors."""

from __future__ import annotations


import pytest
from textual.worker import WorkerFailed

import fsspeckit
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import Plan, make_plan
from tui.app import Side, SyncApp
from tui.launch import build_parser, create_app, run_app
from tui.demo import DEMO_NOW, build_demo
from tui.screens.help import HelpScreen
from tui.widgets.diff_table import DiffTable
from tui.widgets.trees import FileTree

SIZE = (120, 36)


def demo_app(tmp_path, **kw) -> SyncApp:
    src, dst = build_demo(tmp_path)
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination", **kw)


def test_demo_has_every_category(tmp_path):
    src, dst = build_demo(tmp_path)
    plan = make_plan(list_tree(fsspeckit.filesystem(str(src))), list_tree(fsspeckit.filesystem(str(dst))))
    cats = {a.category for a in plan.actions}
    assert {"new", "changed", "conflict", "dst_only", "identical"} <= cats
    assert plan.get("customers/customers.csv").category == "conflict"


async def test_local_launch_plans_and_override_changes_totals(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.view is not None and not app.errors
        before = app.view.totals
        # Deletions are on by default, as for `sync` and `plan` (tui.service.DELETE_DEFAULTS).
        assert before.files["copy"] == 11 and before.files["delete"] == 2
        table = app.query_one(DiffTable)
        assert table.go_to("exports/daily/2025-01-07.json")
        await pilot.press("x")
        await settle(app, pilot)
        action = app.view.by_path["exports/daily/2025-01-07.json"]
        assert action.kind == "skip" and action.overridden
        assert app.view.totals.files["copy"] == 10
        assert app.view.totals.bytes["copy"] == before.bytes["copy"] - action.src.size
        await pilot.press("i")
        await settle(app, pilot)
        assert app.view.totals.files["copy"] == 11


async def test_folder_override_from_the_tree_and_linked_trees(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one("#src-tree", FileTree)
        tree.focus()
        assert tree.go_to("sales/year=2024/month=10")
        await pilot.pause()
        await pilot.press("a")  # link: the destination tree follows (that folder is new: its parent)
        await pilot.press("x")
        await settle(app, pilot)
        under = [a for a in app.view.plan.actions if a.path.startswith("sales/year=2024/month=10/")]
        assert len(under) == 3 and all(a.kind == "skip" and a.overridden for a in under)
        assert app.view.totals.files["copy"] == 8
        await pilot.press("up")
        await pilot.pause()
        assert app.query_one("#dst-tree", FileTree).selected().path == tree.selected().path == "sales/year=2024/month=09"


async def test_switch_strategy_compare_and_deletions(tmp_path, settle):
    app = demo_app(tmp_path, delete=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.view.by_path["customers/customers.csv"].kind == "update"
        await pilot.press("t")  # source wins -> newer
        await settle(app, pilot)
        assert app.options.strategy == "newer"
        assert app.view.by_path["customers/customers.csv"].kind == "skip"
        await pilot.press("d")
        await settle(app, pilot)
        assert app.view.totals.files["delete"] == 2
        await pilot.press("c")
        await settle(app, pilot)
        assert app.view.plan.options.compare == "size"
        await pilot.press("f", "f")  # all -> changes -> new
        assert app.filter_name == "new"
        assert app.query_one(DiffTable).row_count == 11


async def test_save_and_open_plan(tmp_path, settle):
    app = demo_app(tmp_path / "demo", plan_file=str(tmp_path / "unused.json"))
    target = tmp_path / "saved-plan.json"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.query_one(DiffTable).go_to("customers/customers.csv")
        await pilot.press("b")  # keep both
        await settle(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one("#path-input").value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        saved = Plan.load(target)
        assert saved.to_dict()["actions"] == app.view.plan.to_dict()["actions"]
        assert saved.get("customers/customers.csv").keep_as
        await pilot.press("z")  # undo by hand: back to the computed plan
        await pilot.pause()
        assert not app.view.by_path["customers/customers.csv"].keep_as
        await pilot.press("o")
        await pilot.pause()
        app.screen.query_one("#path-input").value = str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.view.by_path["customers/customers.csv"].keep_as
        assert app.view.totals.files == saved.totals.files


async def test_memory_filesystems(tmp_path, settle):
    src = fsspeckit.filesystem("memory://tui-app-src")
    dst = fsspeckit.filesystem("memory://tui-app-dst")
    for fs in (src, dst):
        fs.rm("", recursive=True) if fs.exists("") else None
    src.pipe({"year=2024/a.csv": b"1,2\n", "year=2024/b.csv": b"3,4\n", "c.txt": b"x"})
    dst.pipe({"c.txt": b"x", "old.txt": b"gone"})
    app = create_app(src, "", dst, "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        kinds = {a.path: a.category for a in app.view.plan.actions}
        assert kinds["year=2024/a.csv"] == "new" and kinds["old.txt"] == "dst_only"
        label = app.query_one("#src-tree", FileTree).root.children[0].label.plain
        assert label.startswith("year=2024 ◆") and "2 new" in label


@pytest.mark.parametrize("url, words", [
    ("nosuch://bucket/x", "Unknown protocol 'nosuch'"),
    ("{tmp}/does-not-exist", "does not exist"),
])
async def test_bad_location_is_a_message_not_a_traceback(tmp_path, url, words, settle):
    app = SyncApp(Side("source", url.format(tmp=tmp_path)), Side("destination", str(tmp_path / "out")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        banner = app.query_one("#banner")
        assert banner.display
        assert words in str(banner.render())


async def test_change_location_from_inside(tmp_path, local_tree, settle):
    other = local_tree({"fresh.txt": b"new"}, name="other")
    app = SyncApp(Side("source", "nosuch://x"), Side("destination", str(tmp_path / "out")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.errors
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#src-input").value = str(other)
        await pilot.press("enter", "enter")
        await settle(app, pilot)
        assert not app.errors
        assert [a.path for a in app.view.plan.transfers] == ["fresh.txt"]


async def test_help_and_quit(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Save plan" in commands and "Strategy: keep both" in commands and "Run the sync" in commands
        await pilot.press("q")
    assert app.return_code == 0


def test_command_line():
    args = build_parser().parse_args(["s3://b/x", "./out", "--src-option", "endpoint_url=http://127.0.0.1:1",
                                      "--src-option", "anon=true", "--dst-options", '{"auto_mkdir": true}',
                                      "--strategy", "newer", "--delete", "--scheduler", "tcp://127.0.0.1:8786"])
    assert dict(args.src_option) == {"endpoint_url": "http://127.0.0.1:1", "anon": True}
    assert args.dst_options == {"auto_mkdir": True} and args.delete and args.strategy == "newer"
    with pytest.raises(SystemExit) as exc:
        run_app(["only-one"])
    assert exc.value.code == 2


async def test_s3_on_loopback(s3, tmp_path, settle):
    s3.fs.pipe({s3.path("data/year=2024/a.parquet"): b"a" * 100, s3.path("data/b.json"): b"{}"})
    src = fsspeckit.filesystem("s3://" + s3.bucket + "/data", storage_options=s3.options)
    out = tmp_path / "out"
    out.mkdir()
    (out / "b.json").write_bytes(b"{}")
    app = create_app(src, "", fsspeckit.filesystem(str(out)), "")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not app.errors
        assert app.view.by_path["year=2024/a.parquet"].category == "new"
        assert app.query_one("#src-tree", FileTree).border_title.startswith("Source: s3://")


async def test_s3_missing_bucket_is_a_message(s3, tmp_path, settle):
    app = SyncApp(Side("source", "s3://no-such-bucket-here/data", dict(s3.options)),
                  Side("destination", str(tmp_path / "out")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = str(app.query_one("#banner").render())
        assert "no-such-bucket-here" in text and "does not exist" in text


async def test_destination_tree_shows_what_will_arrive(tmp_path, settle):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.query_one("#dst-tree", FileTree)
        assert tree.go_to("exports/daily/2025-01-07.json")  # only in the source: shown, marked, dimmed
        await pilot.pause()
        node = tree.cursor_node
        assert node.data.ghost and "(new)" in node.label.plain and "copy →" in node.label.plain
        assert tree.go_to("sales/year=2024/month=10")  # a folder the sync will create
        table = app.query_one(DiffTable)
        table.focus()
        assert table.go_to("exports/daily/2025-01-07.json")
        await pilot.press("x")  # excluded: it no longer arrives
        await settle(app, pilot)
        await pilot.pause()
        assert not tree.go_to("exports/daily/2025-01-07.json")
        assert tree.go_to("exports/daily/2025-01-06.json")
