"""The filter editor (F) re-plans with rclone rules and limits; the location dialog sets S3 write options."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, Label, TextArea
from textual.worker import WorkerFailed

import fsspeckit
from fsspeckit.exceptions import FilterError
from tui.launch import create_app
from tui.demo import DEMO_NOW, build_demo
from tui.screens.filters import FilterScreen, filters_from_fields
from tui.screens.location import LocationScreen, split_s3_write_options
from tests.tui.helpers import settle, wait_for

SIZE = (120, 36)


def demo_app(tmp_path):
    src, dst = build_demo(tmp_path)
    return create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", demo=True,
                      clock=lambda: DEMO_NOW, src_label="demo/source", dst_label="demo/destination")


async def test_editing_filters_replans(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = app.view.totals.files["copy"]
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        app.screen.query_one("#filter-rules", TextArea).text = "+ *.json\nnot a rule\n- **"
        app.screen.query_one("#ok", Button).press()
        await pilot.pause()
        error = app.screen.query_one("#filter-error", Label)
        assert isinstance(app.screen, FilterScreen) and "line 2" in str(error.render())
        app.screen.query_one("#filter-rules", TextArea).text = "# json only\n+ *.json\n- **"
        app.screen.query_one("#max-size", Input).value = "1M"
        app.screen.query_one("#ok", Button).press()
        await settle(app, pilot)
        assert not isinstance(app.screen, FilterScreen)
        assert app.options.filters.rules == ("+ *.json", "- **") and app.options.filters.max_size == 1 << 20
        copies = [a.path for a in app.view.plan.actions if a.kind == "copy"]
        assert copies and all(p.endswith(".json") for p in copies) and len(copies) < before
        # reopened, it shows what is in force; Clear removes it
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        assert app.screen.query_one("#max-size", Input).value == f"{1 << 20}B"
        app.screen.query_one("#clear", Button).press()
        await settle(app, pilot)
        assert app.options.filters is None and app.view.totals.files["copy"] == before


def test_fields():
    f = filters_from_fields("+ *.csv\n- **\n", "", "10M", "7d", "", True)
    assert f.rules == ("+ *.csv", "- **") and f.max_size == 10 << 20 and f.delete_excluded
    assert filters_from_fields("", "", "", "", "", False) is None
    with pytest.raises(FilterError, match="bad size"):
        filters_from_fields("", "lots", "", "", "", False)


async def test_location_dialog_sets_s3_write_options(tmp_path):
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        results = []
        screen = LocationScreen("./a", "s3://bucket/x", {}, {"anon": False,
                                "s3_additional_kwargs": {"ACL": "private", "RequestPayer": "requester"}})
        app.push_screen(screen, results.append)
        await pilot.pause()
        assert screen.query_one("#s3-acl", Input).value == "private"
        assert "RequestPayer" in screen.query_one("#dst-options", Input).value
        screen.query_one("#s3-class", Input).value = "nope"
        screen._done()
        await pilot.pause()
        assert not results and "unknown S3 storage class" in str(screen.query_one("#location-error", Label).render())
        screen.query_one("#s3-class", Input).value = "standard_ia"
        screen.query_one("#s3-sse", Input).value = "AES256"
        screen._done()
        await pilot.pause()
        dst_opts = results[0][3]
        assert dst_opts["s3_additional_kwargs"] == {"RequestPayer": "requester", "ACL": "private",
                                                    "StorageClass": "STANDARD_IA", "ServerSideEncryption": "AES256"}


def test_s3_fields_refused_on_a_local_destination():
    assert split_s3_write_options({"s3_additional_kwargs": {"ACL": "private"}}) == ({}, {"ACL": "private"})


async def test_ctrl_s_applies_from_the_rules_box(tmp_path):
    # As in the other dialogs (partitions, new remote): ctrl+s applies, even while typing rules.
    app = demo_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        app.screen.query_one("#filter-rules", TextArea).focus()
        await pilot.press(*"- exports/**")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert not isinstance(app.screen, FilterScreen)
        assert app.options.filters is not None and tuple(app.options.filters.rules) == ("- exports/**",)
        assert not any(a.path.startswith("exports/") and a.kind != "skip" for a in app.view.plan.actions)


async def test_the_status_bar_shows_filters_and_tracked_renames(tmp_path):
    from tui.widgets.totals import TotalsBar

    app = demo_app(tmp_path)
    async with app.run_test(size=(220, 50)) as pilot:
        await settle(app, pilot)
        bar = lambda: str(app.query_one(TotalsBar).render())  # noqa: E731
        assert "Filters" not in bar() and "Renames" not in bar()
        await pilot.press("F")
        await wait_for(pilot, lambda: isinstance(app.screen, FilterScreen))
        app.screen.query_one("#filter-rules", TextArea).text = "- exports/**"
        app.screen.query_one("#max-size", Input).value = "1M"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("R")
        await settle(app, pilot)
        assert "Filters 1 rule, size/age limits [F]" in bar() and "Renames tracked [R]" in bar()
