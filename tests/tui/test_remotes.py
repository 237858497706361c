"""Saved remotes in the app: launch on remote:path, the remotes screen, the location dialog; the cluster option."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, TextArea
from textual.worker import WorkerFailed

import fsspeckit
from fsspeckit.remotes.profiles import add_remote, get_remote, list_remotes
from tui.app import Side, SyncApp
from tui.launch import create_app
from tui.demo import DEMO_NOW, build_demo
from tui.screens.location import LocationScreen
from tui.screens.remotes import AddRemoteScreen, ConfirmScreen, RemotesScreen, format_options
from tui.screens.run import RunScreen

pytestmark = pytest.mark.usefixtures("config")

SIZE = (120, 36)


def demo_app(tmp_path, **kw) -> SyncApp:
    src, dst = build_demo(tmp_path / "demo")
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination", **kw)


async def fill_add_dialog(wait_for, app, pilot, name: str, url: str, options: str = "") -> None:
    await pilot.press("plus_sign")
    await wait_for(pilot, lambda: isinstance(app.screen, AddRemoteScreen))
    app.screen.query_one("#name-input", Input).value = name
    app.screen.query_one("#url-input", Input).value = url
    app.screen.query_one("#options-input", TextArea).text = options
    await pilot.press("ctrl+s")


async def test_launch_on_remote_paths(tmp_path, local_tree, settle):
    data = local_tree({"2024/a.csv": b"1", "2024/b.csv": b"2", "2023/old.csv": b"3"}, name="data")
    add_remote("store", str(data))
    app = SyncApp(Side("source", "store:2024"), Side("destination", str(tmp_path / "out")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not app.errors
        assert sorted(a.path for a in app.view.plan.transfers) == ["a.csv", "b.csv"]
        assert app.sides["source"].title.startswith("store:2024 (")


async def test_unknown_remote_is_a_message(tmp_path, settle):
    add_remote("known", str(tmp_path))
    app = SyncApp(Side("source", "nosuchremote:data"), Side("destination", str(tmp_path / "out")))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = str(app.query_one("#banner").render())
        assert "'nosuchremote' is not a saved remote" in text and "known" in text


async def test_remotes_screen_add_refuse_pick_remove(tmp_path, local_tree, settle, wait_for):
    other = local_tree({"fresh.txt": b"new"}, name="other")
    add_remote("aaa", "s3://bucket/prefix", {"region": "eu-west-1", "secret": "env:AAA_SECRET"})
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        screen = app.screen
        assert isinstance(screen, RemotesScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 1
        assert "secret=env:AAA_SECRET" in str(table.get_row("aaa")[3])
        # a plain-text secret is refused with the library's message, and the dialog stays open
        await fill_add_dialog(wait_for, app, pilot, "bad", "s3://bucket", "secret=hunter2")
        await wait_for(pilot, lambda: "env:VARIABLE_NAME" in str(app.screen.query_one("#add-error").render()))
        assert isinstance(app.screen, AddRemoteScreen)
        assert [r.name for r in list_remotes()] == ["aaa"]
        await pilot.press("escape")
        await fill_add_dialog(wait_for, app, pilot, "mine", str(other), "auto_mkdir=true")
        await wait_for(pilot, lambda: app.screen is screen and table.row_count == 2)
        assert get_remote("mine").options == {"auto_mkdir": True}
        assert screen.selected_name() == "mine"
        await pilot.press("less_than_sign")  # use it as the source
        await settle(app, pilot)
        assert app.sides["source"].url == "mine:"
        assert [a.path for a in app.view.plan.transfers] == ["fresh.txt"]
        await pilot.press("m")
        screen = app.screen
        screen.query_one(DataTable).move_cursor(row=0)
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: [r.name for r in list_remotes()] == ["mine"])
        assert "Removed the remote 'aaa'" in str(screen.query_one("#remote-status").render())
        await pilot.press("escape")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Remotes" in commands


async def test_location_dialog_offers_remotes(tmp_path, local_tree, settle, wait_for):
    other = local_tree({"x/one.txt": b"1"}, name="other")
    add_remote("here", str(other))
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationScreen))
        dst = app.screen.query_one("#dst-input", Input)
        dst.focus()
        await pilot.pause()
        app.screen.query_one("#remote-list").focus()
        await pilot.press("enter")  # the first (only) remote fills the destination field
        assert dst.value == "here:"
        dst.value = "here:x"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.sides["destination"].url == "here:x"
        assert app.view.by_path["one.txt"].category == "dst_only"


def test_secrets_show_only_their_reference():
    text = format_options({"key": "env:K", "secret": "plain", "client_kwargs": {"region_name": "x"}})
    assert text == "key=env:K  secret=(hidden: stored in plain text)  client_kwargs.region_name=x"


async def test_test_remotes_against_s3(s3, tmp_path, monkeypatch, settle, wait_for):
    monkeypatch.setenv("TEST_KEY", s3.options["key"])
    monkeypatch.setenv("TEST_SECRET", s3.options["secret"])
    opts = f"endpoint_url={s3.options['endpoint_url']}\nkey=env:TEST_KEY\nsecret=env:TEST_SECRET\n"
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        screen = app.screen
        await fill_add_dialog(wait_for, app, pilot, "moto", f"s3://{s3.bucket}", opts)
        await wait_for(pilot, lambda: app.screen is screen and screen.selected_name() == "moto")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "moto" in screen.results)
        ok, text = screen.results["moto"]
        assert ok, text
        assert "connected" in str(screen.query_one("#remote-status").render())
        await fill_add_dialog(wait_for, app, pilot, "nobucket", "s3://no-such-bucket-xyz", opts)
        await wait_for(pilot, lambda: app.screen is screen and screen.selected_name() == "nobucket")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "nobucket" in screen.results)
        ok, text = screen.results["nobucket"]
        assert not ok and "no-such-bucket-xyz" in text
        status = str(screen.query_one("#remote-status").render())
        assert "✗" in status and "no-such-bucket-xyz" in status


async def test_scheduler_is_passed_to_the_run(tmp_path, settle, wait_for):
    app = demo_app(tmp_path, scheduler="tcp://127.0.0.1:8786")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "Runs on cluster tcp://127.0.0.1:8786" in str(app.query_one("#totals").render())
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
        assert app.screen.executor == "tcp://127.0.0.1:8786"
        assert "Runs on cluster tcp://127.0.0.1:8786." in str(app.screen.query_one("#run-options").render())
