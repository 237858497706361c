"""check_stale and refresh_plan: a saved plan meets a source and destination that moved on."""

from __future__ import annotations

import os

import pytest

from fsspeckit import apply_plan, filesystem, plan_sync
from fsspeckit.exceptions import StalePlanError
from fsspeckit.planning.plan_check import check_stale, raise_if_stale, refresh_plan


def _age(path, seconds=100):
    st = os.stat(path)
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))


@pytest.fixture
def trees(local_tree):
    src = local_tree({"a.txt": b"aaa", "b.txt": b"bbb", "keep/c.txt": b"c", "skip.log": b"l"}, "src")
    dst = local_tree({"b.txt": b"old", "gone.txt": b"g"}, "dst")
    _age(dst / "b.txt")
    return src, dst


def test_fresh_plan_is_not_stale(trees):
    src, dst = trees
    sfs, dfs = filesystem(str(src)), filesystem(str(dst))
    plan = plan_sync(sfs, dfs, exclude=["*.log"])
    assert check_stale(plan, sfs) == []
    raise_if_stale(plan, sfs)


def test_changes_on_the_source_make_it_stale(trees):
    src, dst = trees
    sfs, dfs = filesystem(str(src)), filesystem(str(dst))
    plan = plan_sync(sfs, dfs, exclude=["*.log"])
    (src / "a.txt").write_bytes(b"changed!")
    os.remove(src / "b.txt")
    (src / "gone.txt").write_bytes(b"now here")  # the plan deletes it on the destination
    (src / "new.txt").write_bytes(b"n")
    (src / "skip.log").write_bytes(b"excluded paths don't count")
    (src / "new.log").write_bytes(b"neither do new excluded ones")
    reasons = check_stale(plan, sfs)
    assert reasons == [
        "a.txt: size changed (3 -> 8 bytes)",
        "b.txt: removed from the source since planning (the plan copies it)",
        "gone.txt: now exists on the source, but the plan deletes it from the destination",
        "new.txt: new on the source since planning",
    ]
    with pytest.raises(StalePlanError, match="The plan is stale.*a.txt: size changed.*Nothing was written"):
        raise_if_stale(plan, sfs)


def test_touch_only_is_stale_too(trees):
    src, dst = trees
    sfs = filesystem(str(src))
    plan = plan_sync(sfs, filesystem(str(dst)))
    _age(src / "keep" / "c.txt", 5)
    assert check_stale(plan, sfs) == ["keep/c.txt: modified since planning"]


def test_refresh_keeps_only_the_remaining_work(trees):
    src, dst = trees
    sfs, dfs = filesystem(str(src)), filesystem(str(dst))
    plan = plan_sync(sfs, dfs, exclude=["*.log"]).override("keep", "exclude")
    kinds = {a.path: a.kind for a in plan.actions}
    assert kinds == {"a.txt": "copy", "b.txt": "update", "gone.txt": "delete", "keep/c.txt": "skip", "skip.log": "skip"}
    # Nothing done yet: the plan comes back unchanged.
    assert refresh_plan(plan, sfs, dfs) == plan  # nothing done yet: the same actions
    # Half the work is done by someone (an earlier, interrupted run).
    apply_plan(plan.override(["b.txt", "gone.txt"], "exclude"), sfs, dfs, max_workers=1)
    todo = refresh_plan(plan, sfs, dfs)
    assert {a.path: a.kind for a in todo.actions} == {**kinds, "a.txt": "skip"}
    assert todo.get("a.txt").reason.startswith("already done")
    assert todo.get("keep/c.txt").overridden  # the hand-made exclusion stays
    result = apply_plan(todo, sfs, dfs, max_workers=1)
    assert result.ok and result.updated == ["b.txt"] and result.deleted == ["gone.txt"] and result.copied == []
    done = refresh_plan(plan, sfs, dfs)
    assert not done.transfers and not done.deletes
    assert not (dst / "keep").exists()


def test_refresh_against_s3_uses_native_md5(s3, local_tree):
    src = local_tree({"a.txt": b"aaa", "b.txt": b"bbb"}, "src")
    sfs, dfs = filesystem(str(src)), filesystem(s3.url("d"), s3.options)
    plan = plan_sync(sfs, dfs, compare="checksum")
    assert len(plan.transfers) == 2
    apply_plan(plan.override("b.txt", "exclude"), sfs, dfs, max_workers=1)
    todo = refresh_plan(plan, sfs, dfs)
    assert [a.path for a in todo.transfers] == ["b.txt"]
    assert "MD5" in todo.get("a.txt").reason


def test_changes_on_the_destination_since_planning_make_it_stale(trees):
    # The plan was shown (the app's confirm screen, or plan -o then apply later); meanwhile
    # someone edited files the plan overwrites or deletes. Applying it would lose those
    # edits, which nobody saw in the plan: refused, nothing written.
    src, dst = trees
    sfs, dfs = filesystem(str(src)), filesystem(str(dst))
    plan = plan_sync(sfs, dfs, exclude=["*.log"], delete=True)
    assert {a.path: a.kind for a in plan.actions if a.kind != "skip"} == {
        "a.txt": "copy", "b.txt": "update", "gone.txt": "delete", "keep/c.txt": "copy"}
    (dst / "b.txt").write_bytes(b"an edit made after the plan")
    (dst / "gone.txt").write_bytes(b"a new version, not the one the plan deletes")
    (dst / "a.txt").write_bytes(b"someone else's a.txt")
    with pytest.raises(StalePlanError, match="destination changed") as caught:
        apply_plan(plan, sfs, dfs, refresh=True)
    text = str(caught.value)
    assert "a.txt: appeared" in text and "b.txt: size changed" in text and "gone.txt: size changed" in text
    assert (dst / "b.txt").read_bytes() == b"an edit made after the plan"
    assert (dst / "gone.txt").read_bytes() == b"a new version, not the one the plan deletes"
    assert (dst / "a.txt").read_bytes() == b"someone else's a.txt"
    assert not (dst / "keep").exists(), "nothing was written"


def test_a_destination_file_that_already_holds_the_planned_version_is_not_a_change(trees):
    src, dst = trees
    sfs, dfs = filesystem(str(src)), filesystem(str(dst))
    plan = plan_sync(sfs, dfs, exclude=["*.log"], delete=True)
    apply_plan(plan.override(["b.txt", "gone.txt"], "exclude"), sfs, dfs)  # an interrupted run did part of it
    assert (dst / "a.txt").exists(), "a new file where the plan copies one, but the planned version"
    result = apply_plan(plan, sfs, dfs, refresh=True)
    assert result.ok and result.copied == [] and result.updated == ["b.txt"] and result.deleted == ["gone.txt"]
