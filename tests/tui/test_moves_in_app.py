"""Moves in the app: the diff table shows ``old → new``, and a move takes its own decision."""

from __future__ import annotations

import os

import fsspeckit
from fsspeckit import sync_dir
from tui.launch import create_app
from tui.widgets.diff_table import DiffTable
from tests.tui.helpers import settle

SIZE = (120, 36)


def _renamed(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "month=01").mkdir(parents=True)
    for i in range(2):
        (src / "month=01" / f"part-{i}.csv").write_text(f"row {i}\n" * (i + 3))
    assert sync_dir(fsspeckit.filesystem("/"), fsspeckit.filesystem("/"), str(src), str(dst)).ok
    os.rename(src / "month=01", src / "month=1")
    return src, dst


async def test_a_move_shows_as_old_to_new_and_takes_its_own_decisions(tmp_path):
    src, dst = _renamed(tmp_path)
    app = create_app(fsspeckit.filesystem(str(src)), "", fsspeckit.filesystem(str(dst)), "", delete=True,
                     track_renames=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        moves = [a for a in app.view.plan.actions if a.kind == "move"]
        assert [(a.move_from, a.path) for a in moves] == [("month=01/part-0.csv", "month=1/part-0.csv"),
                                                          ("month=01/part-1.csv", "month=1/part-1.csv")]
        table = app.query_one(DiffTable)
        assert table.go_to("month=1/part-0.csv")
        row = [str(c) for c in table.get_row("month=1/part-0.csv")]
        assert any("month=01/part-0.csv → month=1/part-0.csv" in c for c in row), row
        assert any("move" in c for c in row), row
        await pilot.press("u")  # source wins: copy and delete instead
        await settle(app, pilot)
        kinds = {a.path: a.kind for a in app.view.plan.actions}
        assert kinds["month=1/part-0.csv"] == "copy" and kinds["month=01/part-0.csv"] == "delete"
        assert kinds["month=1/part-1.csv"] == "move"
        assert table.go_to("month=1/part-1.csv")
        await pilot.press("x")  # leave both files alone
        await settle(app, pilot)
        left = next(a for a in app.view.plan.actions if a.path == "month=1/part-1.csv")
        assert left.kind == "skip" and left.move_from == "month=01/part-1.csv"
        await pilot.press("R")  # track renames off: plain copies and deletes
        await settle(app, pilot)
        assert not app.options.track_renames
        assert not any(a.kind == "move" for a in app.view.plan.actions)
