"""Two-way sync: changes from both sides, real conflicts, per-side deletion guards, and kill -9.

Local trees on disk and a bucket on moto's S3 server on loopback; the kill is
a real SIGKILL of a run in a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fsspeckit import filesystem
from fsspeckit.verbs.bisync import bisync, plan_bisync
from fsspeckit.exceptions import DeleteLimitError

ROOT = Path(__file__).resolve().parents[1]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _write(root: Path, rel: str, data: bytes, age: float = 0.0) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    if age:
        t = time.time() - age
        os.utime(p, (t, t))


@pytest.fixture
def sides(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    return a, b


def run(a, b, **kw):
    return bisync(filesystem(str(a)), filesystem(str(b)), "", "", state_dir=a.parent / "state", **kw)


def test_first_run_merges_both_ways_and_never_deletes(sides):
    a, b = sides
    _write(a, "only-a.txt", b"a")
    _write(b, "only-b.txt", b"b")
    _write(a, "same.txt", b"same", age=100)
    _write(b, "same.txt", b"same", age=100)
    _write(a, "differs.txt", b"left version")
    _write(b, "differs.txt", b"right")
    result = run(a, b)
    assert _tree(a)["only-b.txt"] == b"b" and _tree(b)["only-a.txt"] == b"a"
    assert result.conflicts_left == ["differs.txt"] and not result.ok
    assert _tree(a)["differs.txt"] == b"left version" and _tree(b)["differs.txt"] == b"right"
    assert result.count("delete left") == result.count("delete right") == 0


def test_changes_and_deletions_travel_both_ways(sides):
    a, b = sides
    for name in ("keep.txt", "edit-a.txt", "edit-b.txt", "del-a.txt", "del-b.txt"):
        _write(a, name, name.encode(), age=500)
    assert run(a, b).ok
    _write(a, "edit-a.txt", b"edited on a")
    _write(b, "edit-b.txt", b"edited on b")
    (a / "del-a.txt").unlink()
    (b / "del-b.txt").unlink()
    _write(b, "new-b/deep.txt", b"new on b")
    plan = plan_bisync(filesystem(str(a)), filesystem(str(b)), state_dir=a.parent / "state")
    kinds = {x.path: (x.kind, x.direction, x.reason) for x in plan.actions}
    assert kinds["edit-a.txt"] == ("copy", "left->right", "changed on the left")
    assert kinds["edit-b.txt"] == ("copy", "right->left", "changed on the right")
    assert kinds["del-a.txt"] == ("delete", "right", "deleted on the left")
    assert kinds["del-b.txt"] == ("delete", "left", "deleted on the right")
    assert "keep.txt" not in kinds
    result = run(a, b)
    assert result.ok, result.summary()
    assert _tree(a) == _tree(b)
    assert sorted(_tree(a)) == ["edit-a.txt", "edit-b.txt", "keep.txt", "new-b/deep.txt"]
    assert _tree(a)["edit-b.txt"] == b"edited on b"
    again = run(a, b)  # nothing left to do
    assert again.outcomes == [] and again.ok


@pytest.mark.parametrize("resolution, want", [
    ("left", b"from a, older"), ("right", b"from b"), ("newer", b"from b"), ("larger", b"from a, older")])
def test_a_conflict_is_resolved_as_chosen(sides, resolution, want):
    a, b = sides
    _write(a, "c.txt", b"base", age=1000)
    assert run(a, b).ok
    _write(a, "c.txt", b"from a, older", age=100)
    _write(b, "c.txt", b"from b", age=10)
    skipped = run(a, b)
    assert skipped.conflicts_left == ["c.txt"]
    [x] = plan_bisync(filesystem(str(a)), filesystem(str(b)), state_dir=a.parent / "state").actions
    assert x.kind == "conflict" and x.reason == "changed on both sides"
    result = run(a, b, conflict=resolution)
    assert result.ok and _tree(a)["c.txt"] == _tree(b)["c.txt"] == want
    assert run(a, b).outcomes == []


def test_keep_both_keeps_the_other_version_on_both_sides_without_ping_pong(sides):
    a, b = sides
    _write(a, "doc.txt", b"base", age=1000)
    assert run(a, b).ok
    _write(a, "doc.txt", b"a's edit", age=100)
    _write(b, "doc.txt", b"b's edit", age=10)
    result = run(a, b, conflict="keep_both")
    assert result.ok, result.summary()
    ta, tb = _tree(a), _tree(b)
    assert ta == tb and ta["doc.txt"] == b"b's edit"
    [aside] = [k for k in ta if k != "doc.txt"]
    assert aside.startswith("doc.conflict-left-") and aside.endswith(".txt") and ta[aside] == b"a's edit"
    for _ in range(2):  # later runs neither delete it nor copy anything back and forth
        assert run(a, b).outcomes == []
    assert _tree(a) == ta


def test_deleted_on_one_side_and_changed_on_the_other_is_a_conflict(sides):
    a, b = sides
    _write(a, "x.txt", b"base", age=1000)
    _write(a, "other.txt", b"o", age=1000)
    assert run(a, b).ok
    (a / "x.txt").unlink()
    _write(b, "x.txt", b"changed on b")
    result = run(a, b)
    assert result.conflicts_left == ["x.txt"] and (b / "x.txt").read_bytes() == b"changed on b"
    assert run(a, b, conflict="newer").ok  # the change wins over the older deletion state
    assert (a / "x.txt").read_bytes() == b"changed on b"


def test_a_side_that_lists_empty_or_lost_most_files_aborts(sides):
    a, b = sides
    for i in range(10):
        _write(a, f"f{i}.txt", b"x", age=100)
    assert run(a, b).ok
    for p in b.iterdir():
        p.unlink()
    with pytest.raises(DeleteLimitError, match="lists no files"):
        run(a, b)
    assert len(_tree(a)) == 10  # nothing deleted on the other side


def test_a_side_that_lost_more_than_max_delete_aborts(sides):
    a, b = sides
    for i in range(10):
        _write(a, f"f{i}.txt", b"x", age=100)
    assert run(a, b).ok
    for i in range(6):
        (a / f"f{i}.txt").unlink()
    with pytest.raises(DeleteLimitError, match="6 of the 10 files"):
        run(a, b)
    assert len(_tree(b)) == 10
    assert run(a, b, max_delete=60).ok and len(_tree(b)) == 4


def test_dry_run_changes_nothing(sides):
    a, b = sides
    _write(a, "a.txt", b"a")
    result = run(a, b, dry_run=True)
    assert [o[2] for o in result.outcomes] == ["skipped"] and not (b / "a.txt").exists()


def test_deletes_never_follow_a_symlink_out_of_a_side(sides, tmp_path):
    a, b = sides
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "p.txt").write_text("keep me")
    _write(a, "shared/p.txt", b"keep me", age=100)
    _write(a, "other.txt", b"o", age=100)
    (b / "shared").symlink_to(precious, target_is_directory=True)
    run(a, b)
    (a / "shared" / "p.txt").unlink()
    result = run(a, b)
    assert (precious / "p.txt").read_text() == "keep me"
    assert any(o[2] == "failed" and "symbolic link" in (o[3] or "") for o in result.outcomes)


def test_two_way_between_disk_and_s3(s3, tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    _write(a, "year=2024/m.csv", b"disk")
    s3.fs.pipe_file(s3.path("b/year=2023/old.csv"), b"bucket")
    right = filesystem(f"s3://{s3.bucket}/b", storage_options=s3.options)
    state = tmp_path / "state"
    first = bisync(filesystem(str(a)), right, state_dir=state)
    assert first.ok, first.summary()
    assert s3.fs.cat(s3.path("b/year=2024/m.csv")) == b"disk" and (a / "year=2023/old.csv").read_bytes() == b"bucket"
    assert bisync(filesystem(str(a)), right, state_dir=state).outcomes == []  # upload times are not changes
    s3.fs.pipe_file(s3.path("b/year=2024/m.csv"), b"edited in the bucket")
    (a / "year=2023/old.csv").unlink()
    result = bisync(filesystem(str(a)), right, state_dir=state, max_delete=100)
    assert result.ok, result.summary()
    assert (a / "year=2024/m.csv").read_bytes() == b"edited in the bucket"
    s3.fs.invalidate_cache()
    assert not s3.fs.exists(s3.path("b/year=2023/old.csv"))


def test_a_plan_applied_later_on_s3_checks_the_bucket_side_first(s3, tmp_path):
    # Same attack with the right side a bucket: the plan uploads a.txt over the bucket's
    # version; the bucket's a.txt is rewritten after the plan (same size, new bytes).
    a = tmp_path / "a"
    _write(a, "a.txt", b"v1", age=100)
    _write(a, "same.txt", b"same", age=100)
    s3.fs.pipe_file(s3.path("two/a.txt"), b"v1")
    s3.fs.pipe_file(s3.path("two/same.txt"), b"same")
    right = filesystem(f"s3://{s3.bucket}/two", storage_options=s3.options)
    state = tmp_path / "state"
    left = filesystem(str(a))
    assert bisync(left, right, state_dir=state).ok
    _write(a, "a.txt", b"v2", age=10)
    _write(a, "new.txt", b"new on the left", age=10)
    plan = plan_bisync(left, right, state_dir=state)
    s3.fs.pipe_file(s3.path("two/a.txt"), b"v3")  # same size, other bytes: only the hash tells
    result = bisync(left, right, plan=plan, state_dir=state)
    s3.fs.invalidate_cache()
    assert [o[0] for o in result.failed] == ["a.txt"]
    assert s3.fs.cat(s3.path("two/a.txt")) == b"v3"
    assert s3.fs.cat(s3.path("two/new.txt")) == b"new on the left", "what nobody touched is still done"


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    import fsspeckit.backends.transfer as t
    from fsspeckit import filesystem
    from fsspeckit.verbs.bisync import bisync
    real = t.copy_file
    def slow(*a, **k):
        time.sleep(0.05)
        return real(*a, **k)
    import fsspeckit.verbs.bisync as b
    b.copy_file = slow
    bisync(filesystem(sys.argv[1]), filesystem(sys.argv[2]), state_dir=sys.argv[3], max_workers=1)
""")


def test_a_run_killed_half_way_is_finished_by_the_next_and_deletes_nothing(sides):
    a, b = sides
    state = a.parent / "state"
    for i in range(60):
        _write(a, f"a{i:02d}.txt", b"a" * 100, age=100)
        _write(b, f"b{i:02d}.txt", b"b" * 100, age=100)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(a), str(b), str(state)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(b.iterdir())) < 80:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 60 < len(list(b.iterdir())) < 120
    result = bisync(filesystem(str(a)), filesystem(str(b)), state_dir=state)
    assert result.ok, result.summary()
    assert result.count("delete left") == result.count("delete right") == 0
    assert sorted(_tree(a)) == sorted(_tree(b)) and len(_tree(a)) == 120
    assert bisync(filesystem(str(a)), filesystem(str(b)), state_dir=state).outcomes == []


def test_cli_bisync(sides, capsys, monkeypatch):
    from tui.cli import main

    a, b = sides
    monkeypatch.setenv("FSKIT_DATA_DIR", str(a.parent / "data"))
    _write(a, "a.txt", b"a")
    assert main(["bisync", str(a), str(b), "--dry-run"]) == 0
    assert "copy →" in capsys.readouterr().out and not (b / "a.txt").exists()
    assert main(["bisync", str(a), str(b)]) == 0 and (b / "a.txt").exists()
    capsys.readouterr()
    _write(a, "a.txt", b"edit a")
    _write(b, "a.txt", b"edit b!")
    assert main(["bisync", str(a), str(b), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["conflicts_unresolved"] == ["a.txt"]
    assert main(["bisync", str(a), str(b), "--conflict", "larger"]) == 0
    assert (a / "a.txt").read_bytes() == b"edit b!"
    assert main(["bisync", str(a), str(b), "--max-delete", "150"]) == 2


def test_progress_hears_of_each_path_as_it_ends_not_in_plan_order(tmp_path):
    # The first path in plan order is held: the others, done, must be reported meanwhile
    # (reported in plan order, a slow first file hid every finished one behind it).
    import threading

    from fsspec.implementations.dirfs import DirFileSystem
    from fsspec.implementations.memory import MemoryFileSystem

    release = threading.Event()

    class HeldFirst(MemoryFileSystem):
        protocol = ("heldfirst",)

        def _open(self, path, mode="rb", **kwargs):
            if "r" in mode and path.endswith("00.bin"):
                release.wait(30)
            return super()._open(path, mode, **kwargs)

    backend = HeldFirst(skip_instance_cache=True)
    root = f"/held-{os.getpid()}-{time.monotonic_ns()}"
    for i in range(6):
        backend.pipe_file(f"{root}/{i:02d}.bin", bytes([i]) * 1000)
    local = tmp_path / "left"
    local.mkdir()
    heard: list[str] = []

    def progress(outs):
        heard.extend(o[0] for o in outs)
        if len(heard) == 5:
            release.set()

    result = bisync(filesystem(str(local)), DirFileSystem(path=root, fs=backend), state_dir=tmp_path / "state",
                    max_workers=2, progress=progress)
    release.set()
    assert result.ok and heard[-1] == "00.bin" and sorted(heard) == [f"{i:02d}.bin" for i in range(6)]
    assert [o[0] for o in result.outcomes] == sorted(heard), "the result keeps plan order"
    assert sorted(p.name for p in local.iterdir()) == sorted(heard)


def _planned_then_edited(tmp_path, edit):
    """A synced pair, a change on the left, a plan; then ``edit(L, R)`` before the plan is applied."""
    L, R = tmp_path / "L", tmp_path / "R"
    for root in (L, R):
        _write(root, "a.txt", b"v1", age=100)
        _write(root, "b.txt", b"b1", age=100)
    state = tmp_path / "state"
    lf, rf = filesystem(str(L)), filesystem(str(R))
    assert bisync(lf, rf, state_dir=state).ok
    _write(L, "a.txt", b"left edit v2", age=50)
    os.remove(L / "b.txt")
    plan = plan_bisync(lf, rf, state_dir=state)
    assert {(a.kind, a.direction, a.path) for a in plan.actions if a.kind != "record"} == {
        ("copy", "left->right", "a.txt"), ("delete", "right", "b.txt")}
    edit(L, R)
    return L, R, bisync(lf, rf, plan=plan, state_dir=state), (lf, rf, state)


def test_a_plan_applied_later_never_overwrites_an_edit_made_since(tmp_path):
    # The app's confirm screen stayed open; meanwhile a.txt and b.txt were edited on the
    # right. Copying over a.txt and deleting b.txt would lose those edits: both fail,
    # nothing is recorded for them, and the next run plans them as the conflicts they are.
    def edit(L, R):
        _write(R, "a.txt", b"right edit after the plan, precious")
        _write(R, "b.txt", b"b2, edited on the right after the plan")

    L, R, result, (lf, rf, state) = _planned_then_edited(tmp_path, edit)
    assert not result.ok and {o[0] for o in result.failed} == {"a.txt"}
    assert (R / "a.txt").read_bytes() == b"right edit after the plan, precious"
    assert (R / "b.txt").read_bytes() == b"b2, edited on the right after the plan"
    assert "since the plan" in dict((o[0], o[3]) for o in result.outcomes)["a.txt"]
    again = plan_bisync(lf, rf, state_dir=state)
    assert {a.path for a in again.conflicts} == {"a.txt", "b.txt"}


def test_a_plan_applied_later_still_does_what_nobody_touched(tmp_path):
    def edit(L, R):
        os.remove(R / "b.txt")  # deleted meanwhile: what the plan would do anyway

    L, R, result, _ = _planned_then_edited(tmp_path, edit)
    assert result.ok, result.outcomes
    assert (R / "a.txt").read_bytes() == b"left edit v2" and not (R / "b.txt").exists()


def test_keep_both_never_writes_over_a_file_with_the_kept_name(tmp_path):
    from fsspeckit.verbs.bisync import conflict_name

    L, R = tmp_path / "L", tmp_path / "R"
    for root in (L, R):
        _write(root, "c.txt", b"base", age=100)
    state = tmp_path / "state"
    lf, rf = filesystem(str(L)), filesystem(str(R))
    assert bisync(lf, rf, state_dir=state).ok
    _write(L, "c.txt", b"left wins, newer", age=10)
    _write(R, "c.txt", b"right loses", age=50)
    loser_time = (R / "c.txt").stat().st_mtime
    kept = conflict_name("c.txt", "right", loser_time)
    _write(L, kept, b"a file of the user that happens to have that name")
    os.utime(L / kept, (time.time() - 200, time.time() - 200))
    _write(R, kept, b"a file of the user that happens to have that name")
    os.utime(R / kept, (time.time() - 200, time.time() - 200))
    bisync(lf, rf, state_dir=state, conflict="skip")  # records the look-alike files, leaves the conflict
    result = bisync(lf, rf, state_dir=state, conflict="keep_both")
    assert (L / kept).read_bytes() == (R / kept).read_bytes() == b"a file of the user that happens to have that name"
    assert not result.ok and "appeared" in " ".join(o[3] or "" for o in result.failed)
    assert (R / "c.txt").read_bytes() == b"right loses", "the losing version is not overwritten unkept"
