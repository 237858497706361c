"""The public surface: imports, filesystem(), the deletion guards, plan files."""

from __future__ import annotations

import os
import subprocess
import sys
import json

import pytest

import fsspeckit
from fsspeckit import (
    BackendNotInstalledError,
    EmptySourceError,
    SourceNotFoundError,
    UnknownProtocolError,
    filesystem,
    sync_dir,
)
from fsspeckit.planning.plan import Plan, SyncOptions, make_plan
from fsspeckit.listing.tree import list_tree


def test_import_does_not_load_textual():
    code = "import sys, fsspeckit, fsspeckit.common.misc; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_all_is_sorted_and_importable():
    assert list(fsspeckit.__all__) == sorted(fsspeckit.__all__)
    for name in fsspeckit.__all__:
        assert hasattr(fsspeckit, name), name


def test_seed_names_importable_from_common_misc():
    from fsspeckit.common.misc import get_partitions_from_path, run_parallel, sync_dir, sync_files  # noqa: F401


def test_filesystem_protocols_and_roots(tmp_path):
    assert filesystem("file").fs.protocol[0] in ("file", "local")
    assert filesystem("file").path == os.getcwd() == filesystem().path  # rooted at the current folder, as 0.25
    assert filesystem().fs.protocol[0] in ("file", "local")
    mem = filesystem("memory://bucket/base")
    mem.pipe_file("/x/y.txt", b"hi")
    assert mem.fs.cat_file("/bucket/base/x/y.txt") == b"hi"
    assert mem.ls("/x", detail=False) == ["/x/y.txt"]
    local = filesystem(str(tmp_path))
    local.pipe_file("/a/b.txt", b"data")
    assert (tmp_path / "a" / "b.txt").read_bytes() == b"data"
    info = local.ls("/a", detail=True)[0]
    assert info["modified"].tzinfo is not None and "mtime" in info  # normalised key added, own keys kept


def test_filesystem_s3_root_and_options(s3):
    fs = filesystem(f"s3://{s3.bucket}/", storage_options=s3.options)
    fs.pipe_file("/target/f.txt", b"x")
    assert s3.fs.cat_file(f"{s3.bucket}/target/f.txt") == b"x"
    entry = fs.ls("/target", detail=True)[0]
    assert entry["modified"].tzinfo is not None and "LastModified" in entry


def test_filesystem_gcs_options(gcs):
    fs = filesystem(f"gs://{gcs.bucket}/data", storage_options=gcs.options)
    fs.pipe_file("/f.txt", b"x")
    assert gcs.fs.cat_file(f"{gcs.bucket}/data/f.txt") == b"x"
    assert fs.info("/f.txt")["modified"].tzinfo is not None


def test_unknown_protocol_is_one_clear_sentence():
    with pytest.raises(UnknownProtocolError, match="Unknown protocol 'nosuchproto'"):
        filesystem("nosuchproto://x/y")


def test_missing_backend_names_the_package():
    # 'abfs' is known to fsspec but its package (adlfs) is not installed here.
    pytest.importorskip("fsspec")
    try:
        import adlfs  # noqa: F401
        pytest.skip("adlfs is installed")
    except ImportError:
        pass
    with pytest.raises(BackendNotInstalledError, match="pip install adlfs"):
        filesystem("abfs://container/x")


def test_missing_source_raises_and_deletes_nothing(tmp_path, local_tree):
    dst = local_tree({"keep.txt": b"precious"}, name="dst")
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        sync_dir(filesystem("/"), filesystem("/"), str(tmp_path / "typo"), str(dst))
    assert (dst / "keep.txt").read_bytes() == b"precious"


def test_empty_source_raises_unless_asked(tmp_path, local_tree):
    dst = local_tree({"keep.txt": b"precious"}, name="dst")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmptySourceError, match="holds no files"):
        sync_dir(filesystem("/"), filesystem("/"), str(empty), str(dst))
    assert (dst / "keep.txt").exists()
    result = sync_dir(filesystem("/"), filesystem("/"), str(empty), str(dst), allow_empty_source=True)
    assert result.deleted == ["keep.txt"] and not (dst / "keep.txt").exists()


def test_typo_bucket_is_a_clear_error(s3, tmp_path, local_tree):
    dst = local_tree({"keep.txt": b"precious"}, name="dst")
    src = filesystem(f"s3://{s3.bucket}-typo", storage_options=s3.options)
    with pytest.raises(SourceNotFoundError, match="bucket .* does not exist"):
        sync_dir(src, filesystem("/"), "/data", str(dst))
    assert (dst / "keep.txt").exists()


def test_empty_s3_prefix_deletes_nothing(s3, local_tree):
    dst = local_tree({"keep.txt": b"precious"}, name="dst")
    src = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    with pytest.raises(SourceNotFoundError):
        sync_dir(src, filesystem("/"), "/no/such/prefix", str(dst))
    assert (dst / "keep.txt").exists()


def test_deletion_off_keeps_destination_only_files(local_tree):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({"b.txt": b"b"}, name="dst")
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), delete=False)
    assert result.copied == ["a.txt"] and result.deleted == []
    assert (dst / "b.txt").exists()


def test_plan_roundtrip_and_override(local_tree):
    src = local_tree({"a/1.txt": b"1", "a/2.txt": b"22", "b.txt": b"b"}, name="src")
    dst = local_tree({"old.txt": b"o"}, name="dst")
    fs = filesystem("/")
    plan = make_plan(list_tree(fs, str(src)), list_tree(fs, str(dst)), SyncOptions())
    assert plan.totals["copy"] == (3, 4) and plan.totals["delete"] == (1, 1)
    again = Plan.from_json(plan.to_json())
    assert again.actions == plan.actions and again.options == plan.options
    narrowed = plan.override("a", "exclude").override("old.txt", "keep")
    assert narrowed.totals["copy"] == (1, 1) and narrowed.totals["delete"] == (0, 0)
    assert all(a.overridden for a in narrowed.actions if a.path.startswith("a/"))
    data = json.loads(narrowed.to_json())
    assert data["format"] == "fsspeckit-plan" and data["version"] == 1


def test_include_exclude_and_modified_after(local_tree):
    src = local_tree({"a.csv": b"1", "b.json": b"2", "sub/c.csv": b"3", "tmp/d.csv": b"4"}, name="src")
    os.utime(src / "b.json", (1_000, 1_000))
    fs = filesystem("/")
    listing = list_tree(fs, str(src))
    empty = list_tree(fs, str(src / "none"))
    plan = make_plan(listing, empty, SyncOptions(include=("*.csv",), exclude=("tmp/**",)))
    assert [a.path for a in plan.transfers] == ["a.csv", "sub/c.csv"]
    plan = make_plan(listing, empty, SyncOptions(modified_after=10_000))
    assert "b.json" not in [a.path for a in plan.transfers]


@pytest.mark.parametrize("strategy,expected", [
    ("newer", "skip"), ("source_wins", "update"), ("skip", "skip"), ("larger", "update"), ("keep_both", "update"),
])
def test_strategies_on_a_conflict(local_tree, strategy, expected):
    src = local_tree({"f.txt": b"source version, longer"}, name="src")
    dst = local_tree({"f.txt": b"dest version"}, name="dst")
    os.utime(src / "f.txt", (1_000_000, 1_000_000))  # destination is newer: a conflict
    fs = filesystem("/")
    plan = make_plan(list_tree(fs, str(src)), list_tree(fs, str(dst)), SyncOptions(strategy=strategy))
    (action,) = plan.actions
    assert action.category == "conflict" and action.kind == expected
    if strategy == "keep_both":
        result = sync_dir(fs, fs, str(src), str(dst), strategy="keep_both")
        assert result.ok
        names = sorted(p.name for p in dst.iterdir())
        assert names[0] == "f.conflict-" + names[0].split("conflict-")[1] and "f.txt" in names
        assert (dst / "f.txt").read_bytes() == b"source version, longer"


def test_checksum_mode_finds_same_size_same_time_edits(local_tree):
    src = local_tree({"f.bin": b"AAAA"}, name="src")
    dst = local_tree({"f.bin": b"BBBB"}, name="dst")
    for p in (src / "f.bin", dst / "f.bin"):
        os.utime(p, (1_000_000, 1_000_000))
    fs = filesystem("/")
    assert sync_dir(fs, fs, str(src), str(dst)).updated == []  # size+mtime cannot see it
    result = sync_dir(fs, fs, str(src), str(dst), compare="checksum")
    assert result.updated == ["f.bin"] and (dst / "f.bin").read_bytes() == b"AAAA"


def test_sync_files_with_full_names_and_relative(tmp_path, local_tree):
    src = local_tree({"x.txt": b"x", "y.txt": b"y"}, name="src")
    dst = local_tree({"z.txt": b"z"}, name="dst")
    fs = filesystem("/")
    result = fsspeckit.sync_files([str(src / "x.txt"), "y.txt", "missing.txt"], ["z.txt"], fs, fs, str(src), str(dst), raise_on_error=False)
    assert sorted(result.copied) == ["x.txt", "y.txt"] and result.deleted == ["z.txt"]
    assert [o.path for o in result.failed] == ["missing.txt"]


def test_run_parallel_keeps_order():
    out = fsspeckit.run_parallel(lambda x: x * 2, range(50), max_workers=4)
    assert out == [x * 2 for x in range(50)]


def test_progress_callback_counts_bytes(local_tree, tmp_path):
    from fsspec.callbacks import Callback

    src = local_tree({f"f{i}": b"x" * 1000 for i in range(10)}, name="src")
    cb = Callback()
    seen = []
    sync_dir(filesystem("/"), filesystem("/"), str(src), str(tmp_path / "out"), callback=cb,
             progress_hook=seen.append)
    assert cb.size == 10_000 and cb.value == 10_000
    assert seen[-1].finished and seen[-1].files_done == 10 and seen[-1].bytes_done == 10_000


def test_overlapping_source_and_destination_are_refused(local_tree):
    src = local_tree({"a.txt": b"a"}, name="src")
    fs = filesystem("/")
    for dst in (src, src / "backup"):
        with pytest.raises(ValueError, match="overlap"):
            sync_dir(fs, fs, str(src), str(dst))
    assert sorted(p.name for p in src.iterdir()) == ["a.txt"]
    # Side by side is fine, and so is the same path on two different stores.
    assert sync_dir(fs, fs, str(src), str(src) + "-copy").ok
    mem = filesystem("memory://")
    assert sync_dir(fs, mem, str(src), str(src)).ok


def test_local_mixed_sizes_copy_large_files_alongside_small_ones(local_tree, tmp_path):
    """Local to local, files above the small-file limit go to threads while small ones
    are copied in the calling thread; the report keeps plan order and names a failure."""
    from fsspeckit.execution.apply import SMALL_LOCAL_FILE, apply_plan

    files = {f"small/s{i:03d}.txt": os.urandom(100 + i) for i in range(60)}
    files.update({f"large/l{i:02d}.bin": os.urandom(SMALL_LOCAL_FILE + 1 + i) for i in range(12)})
    src = local_tree(files, name="src")
    fs = filesystem("/")
    dst = tmp_path / "out"
    plan = fsspeckit.plan_sync(fs, fs, str(src), str(dst))
    os.remove(src / "large" / "l05.bin")  # vanishes between plan and copy
    os.remove(src / "small" / "s007.txt")
    result = apply_plan(plan, fs, fs)
    assert [o.path for o in result.outcomes] == [a.path for a in plan.actions]
    failed = sorted(o.path for o in result.outcomes if o.outcome == "failed")
    assert failed == ["large/l05.bin", "small/s007.txt"]
    for rel, data in files.items():
        if rel not in failed:
            assert (dst / rel).read_bytes() == data, rel
    assert not any(".fsspeckit-partial-" in p.name for p in dst.rglob("*"))


def test_progress_shows_the_last_bytes_before_a_stall(tmp_path):
    # A store that stops answering after 4 reads of 64 KiB: the progress hook
    # must still be told about those 256 KiB (a throttled update is sent at the
    # end of its interval), not stay at what the first read reported.
    import threading
    import time

    from fsspec.implementations.dirfs import DirFileSystem

    from tui.testing import ReadValve, ThrottledMemoryFileSystem

    backend = ThrottledMemoryFileSystem(skip_instance_cache=True)
    root = f"/stall-{time.monotonic_ns()}"
    backend.pipe_file(f"{root}/big.bin", b"s" * 2**20)
    valve = ReadValve(is_open=False)
    valve.allow(4)
    ThrottledMemoryFileSystem.valve = valve
    seen = []
    try:
        worker = threading.Thread(target=sync_dir, args=(DirFileSystem(path=root, fs=backend),
                                                         filesystem(str(tmp_path)), "", "out"),
                                  kwargs={"progress_hook": seen.append}, daemon=True)
        worker.start()
        deadline = time.monotonic() + 10
        while not (seen and seen[-1].bytes_done == 4 * 64 * 1024) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen and seen[-1].bytes_done == 4 * 64 * 1024 and not seen[-1].finished
    finally:
        valve.open()
        ThrottledMemoryFileSystem.valve = None
    worker.join(30)
    assert seen[-1].finished and seen[-1].bytes_done == 2**20
    assert [p.finished for p in seen].index(True) == len(seen) - 1, "nothing is sent after the final update"
    assert (tmp_path / "out/big.bin").stat().st_size == 2**20


def test_sync_dir_uses_the_settings_objects_it_is_given_unchanged(tmp_path):
    """``options=``/``run_options=`` are used as they are: the keywords of their stage are not read."""
    from fsspeckit import RunOptions, SyncOptions, filesystem, sync_dir

    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "new.txt").write_text("new")
    (dst / "only-dst.txt").write_text("keep me")
    fs = filesystem("/")
    dry = sync_dir(fs, fs, str(src), str(dst), run_options=RunOptions(dry_run=True), dry_run=False)
    assert dry.dry_run and not (dst / "new.txt").exists() and (dst / "only-dst.txt").exists()
    kept = sync_dir(fs, fs, str(src), str(dst), options=SyncOptions(delete=False), delete=True)
    assert (dst / "new.txt").read_text() == "new" and (dst / "only-dst.txt").exists()
    assert kept.deleted == []
    mirrored = sync_dir(fs, fs, str(src), str(dst), options=SyncOptions(delete=True),
                        run_options=RunOptions(max_workers=1))
    assert not (dst / "only-dst.txt").exists() and [o.path for o in mirrored.outcomes if o.outcome == "deleted"] == [
        "only-dst.txt"]
