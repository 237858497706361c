"""One options object per stage, passed through unchanged; one apply path behind two executors."""

from __future__ import annotations

import concurrent.futures as cf

import pytest

import fsspeckit
from fsspeckit.execution import apply as apply_module
from fsspeckit.execution.apply import apply_plan, register_executor
from fsspeckit.execution.distributed import is_dask_executor
from fsspeckit.listing.tree import list_tree
from fsspeckit.model.options import RunOptions
from fsspeckit.planning.plan import make_plan


class Recorder:
    """A remote executor for the test: records what apply_plan hands it."""

    def __init__(self):
        self.calls = []

    def accepts(self, executor) -> bool:
        return executor is self

    def run(self, plan, src_fs, dst_fs, executor, options, **kwargs):
        self.calls.append((plan, options, kwargs))
        return fsspeckit.SyncResult(src_url=plan.src_url, dst_url=plan.dst_url)


@pytest.fixture
def recorder(monkeypatch):
    rec = Recorder()
    monkeypatch.setattr(apply_module, "_REMOTE_EXECUTORS", list(apply_module._REMOTE_EXECUTORS))
    register_executor(rec.accepts, rec.run)
    return rec


def test_sync_dir_builds_the_run_options_from_its_seed_keywords(local_tree, recorder):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({}, name="dst")
    fsspeckit.sync_dir(fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst)), max_workers=3, retries=5,
                       verify="checksum", backup_dir=str(dst.parent / "bak"), executor=recorder)
    (_, options, kwargs), = recorder.calls
    assert isinstance(options, RunOptions)
    assert (options.max_workers, options.retries, options.verify) == (3, 5, "checksum")
    assert options.backup_dir == str(dst.parent / "bak") and kwargs["partials"] == []


def test_apply_plan_hands_the_same_options_object_to_the_executor(local_tree, recorder):
    src = local_tree({"a.txt": b"a"}, name="src")
    fs = fsspeckit.filesystem(str(src))
    plan = make_plan(list_tree(fs), list_tree(fsspeckit.filesystem(str(local_tree({}, name="dst")))))
    options = RunOptions(max_workers=2, retries=1)
    apply_plan(plan, fs, fs, options, executor=recorder)
    assert recorder.calls[0][1] is options
    apply_plan(plan, fs, fs, executor=recorder, retries=7)  # the keywords of before build the same object
    assert recorder.calls[1][1] == RunOptions(retries=7)


def test_the_executor_is_chosen_by_type_not_by_name(local_tree):
    class Client:  # named like distributed's, but is not one
        pass

    assert not is_dask_executor(Client()) and is_dask_executor("tcp://127.0.0.1:8786")
    src = local_tree({"a.txt": b"a"}, name="src")
    fs = fsspeckit.filesystem(str(src))
    plan = make_plan(list_tree(fs), list_tree(fsspeckit.filesystem(str(local_tree({}, name="dst")))))
    with pytest.raises(fsspeckit.OptionTypeError, match="executor must be"):
        apply_plan(plan, fs, fs, executor=Client())
    with cf.ThreadPoolExecutor(2) as pool:
        assert apply_plan(plan, fs, fsspeckit.filesystem(str(src.parent / "dst")), executor=pool).ok


def test_run_options_refuse_what_they_cannot_honour():
    with pytest.raises(fsspeckit.OptionError, match="verify"):
        RunOptions(verify="md5sum")
    with pytest.raises(fsspeckit.OptionTypeError, match="unknown run option"):
        RunOptions.of(workers=3)


def test_plan_options_are_passed_as_they_are(local_tree):
    from fsspeckit.planning.plan import SyncOptions
    from fsspeckit.verbs.sync import plan_sync
    from tui.cli import build_parser
    from tui.cli.plan_cmd import plan_options

    src = local_tree({"a.txt": b"a", "skip.tmp": b"t"}, name="src")
    dst = local_tree({"old.txt": b"o"}, name="dst")
    options = SyncOptions(compare="size", delete=False, exclude=("*.tmp",))
    plan = plan_sync(fsspeckit.filesystem(str(src)), fsspeckit.filesystem(str(dst)), options=options)
    assert plan.options is options
    assert {a.path: a.kind for a in plan.actions} == {"a.txt": "copy", "old.txt": "skip", "skip.tmp": "skip"}
    args = build_parser().parse_args(["plan", str(src), str(dst), "--compare", "size", "--no-delete",
                                      "--exclude", "*.tmp"])
    assert plan_options(args) == options  # the command line builds the same object the app holds
