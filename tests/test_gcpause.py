"""The collector pause around listings and plans: nested, concurrent, and leaving the collector as it found it."""

from __future__ import annotations

import gc
import os
import threading

import pytest

from fsspeckit import filesystem
from fsspeckit.model.gcpause import gc_paused
from fsspeckit.listing.tree import list_tree
from fsspeckit.planning.plan import make_plan


@pytest.fixture(autouse=True)
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_nested_pauses_resume_only_at_the_outermost_end():
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_resumes():
    with pytest.raises(KeyError):
        with gc_paused():
            raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads():
    first_in, second_out, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with gc_paused():
            first_in.set()
            second_out.wait(5)
            seen["after the other left"] = gc.isenabled()
        first_out.set()

    t = threading.Thread(target=first)
    t.start()
    first_in.wait(5)
    with gc_paused():
        pass
    second_out.set()
    first_out.wait(5)
    t.join(5)
    assert seen["after the other left"] is False  # the other thread's exit did not resume it early
    assert gc.isenabled()


def test_listing_and_planning_leave_the_collector_on(local_tree, monkeypatch):
    src = local_tree({"a.txt": b"a", "d/b.txt": b"bb"}, "src")
    dst = local_tree({"old.txt": b"o"}, "dst")
    plan = make_plan(list_tree(filesystem(str(src))), list_tree(filesystem(str(dst))))
    assert {a.path: a.kind for a in plan.actions} == {"a.txt": "copy", "d/b.txt": "copy", "old.txt": "delete"}
    assert gc.isenabled()

    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "scandir", broken)  # fails inside the paused scan
    with pytest.raises(OSError):
        list_tree(filesystem(str(src)))
    assert gc.isenabled()


def test_the_collector_is_paused_while_a_local_tree_and_a_plan_are_built(local_tree, monkeypatch):
    src = local_tree({"a.txt": b"a", "d/b.txt": b"bb"}, "src")
    seen = []
    real_scandir = os.scandir

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_scandir(*args, **kwargs)

    monkeypatch.setattr(os, "scandir", watching)
    listing = list_tree(filesystem(str(src)))
    assert seen and not any(seen)  # every folder was read with the collector off

    import fsspeckit.planning.plan as plan_module

    real_decide = plan_module._decide

    def deciding(*args, **kwargs):
        seen.append(gc.isenabled())
        return real_decide(*args, **kwargs)

    monkeypatch.setattr(plan_module, "_decide", deciding)
    make_plan(listing, list_tree(filesystem(str(src))))
    assert seen[-1] is False and gc.isenabled()
