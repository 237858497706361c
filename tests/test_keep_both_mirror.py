"""Keep-both copies survive the next mirror: a default sync with deletions on keeps them."""

from __future__ import annotations

import os

import fsspeckit
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import SyncOptions, kept_conflict_of, make_plan
from fsspeckit.execution.apply import apply_plan


def test_keep_both_then_mirror_keeps_the_conflict_copy(local_tree):
    src = local_tree({"conflict.txt": b"source version", "a.txt": b"a"}, name="src")
    dst = local_tree({"conflict.txt": b"destination, newer", "gone.txt": b"x"}, name="dst")
    st = os.stat(src / "conflict.txt")
    os.utime(dst / "conflict.txt", (st.st_atime + 3600, st.st_mtime + 3600))  # the destination looks newer
    src_fs, dst_fs = fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst))
    plan = make_plan(list_tree(src_fs), list_tree(dst_fs), SyncOptions(strategy="keep_both", delete=False))
    assert plan.get("conflict.txt").keep_as
    assert apply_plan(plan, src_fs, dst_fs).ok
    copies = [p.name for p in dst.iterdir() if ".conflict-" in p.name]
    assert len(copies) == 1
    # The next default mirror (deletions on) deletes what the source lacks, but not the kept copy.
    again = make_plan(list_tree(src_fs), list_tree(dst_fs), SyncOptions(delete=True))
    kept = again.get(copies[0])
    assert kept.kind == "skip" and "conflict of conflict.txt" in kept.reason
    assert again.get("gone.txt").kind == "delete"
    assert apply_plan(again, src_fs, dst_fs).ok
    assert (dst / copies[0]).read_bytes() == b"destination, newer" and not (dst / "gone.txt").exists()


def test_only_names_with_a_stamp_and_an_original_count():
    src = {"d/report.csv": object(), "notes": object()}
    assert kept_conflict_of("d/report.conflict-20261201-054206.csv", src) == "d/report.csv"
    assert kept_conflict_of("notes.conflict-20261201-054206", src) == "notes"
    assert kept_conflict_of("d/other.conflict-20261201-054206.csv", src) is None  # no original on the source
    assert kept_conflict_of("d/report.conflict-2026.csv", src) is None  # not a stamp
    assert kept_conflict_of("d/report.csv", src) is None
