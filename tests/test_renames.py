"""Moves and renames (``track_renames``, rclone's ``--track-renames``): on local disks and S3 (moto).

A file moved on the source is moved on the destination, never copied again;
ambiguous matches stay a copy and a delete; a move deletes the old file only
once the new one verified; a hand-edited plan cannot move files outside its root.
"""

from __future__ import annotations

import json
import os

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.execution.apply import apply_plan
from fsspeckit.exceptions import PlanError
from fsspeckit.planning.plan import Plan
from fsspeckit.verbs.sync import plan_sync

T0 = 1_700_000_000


def _write(root, files: dict) -> None:
    for i, (rel, data) in enumerate(sorted(files.items())):
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (T0 + i, T0 + i))


def _tree(root) -> dict:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rename(root, old: str, new: str) -> None:
    (root / new).parent.mkdir(parents=True, exist_ok=True)
    os.rename(root / old, root / new)


@pytest.fixture
def mirrored(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    files = {f"year=2024/month=0{m}/part-{i}.parquet": os.urandom(2000 + 10 * m + i) for m in (1, 2) for i in range(3)}
    files["notes/readme.txt"] = b"read me"
    _write(src, files)
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst)).ok
    return src, dst


def test_a_renamed_file_is_renamed_locally(mirrored):
    src, dst = mirrored
    inode = (dst / "notes/readme.txt").stat().st_ino
    _rename(src, "notes/readme.txt", "notes/README.md")
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    assert result.moved == ["notes/README.md"] and result.copied == [] and result.deleted == []
    assert _tree(dst) == _tree(src)
    assert (dst / "notes/README.md").stat().st_ino == inode  # renamed, not copied
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True).counts["skipped"] == 7


def test_without_the_flag_a_rename_stays_a_copy_and_a_delete(mirrored):
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst))
    assert result.moved == [] and result.copied == ["notes/README.md"] and result.deleted == ["notes/readme.txt"]


def test_a_whole_partition_folder_renamed_moves_every_file(mirrored):
    src, dst = mirrored
    _rename(src, "year=2024/month=01", "year=2024/month=1")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    moves = plan.by_kind("move")
    assert sorted((a.move_from, a.path) for a in moves) == [
        (f"year=2024/month=01/part-{i}.parquet", f"year=2024/month=1/part-{i}.parquet") for i in range(3)]
    assert plan.transfers == [] and plan.deletes == []
    assert "move 3 (no bytes copied)" in plan.summary()
    result = apply_plan(plan, filesystem("/"), filesystem("/"))
    assert len(result.moved) == 3 and result.bytes_transferred == 0
    assert _tree(dst) == _tree(src)


def test_ambiguous_duplicates_are_not_renames(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    same = b"same bytes"
    _write(src, {"a.txt": same, "b.txt": same, "c.txt": b"unique"})
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst)).ok
    _rename(src, "a.txt", "x.txt")
    _rename(src, "b.txt", "y.txt")
    os.utime(src / "y.txt", (T0, T0))  # same time as x.txt too: nothing tells the two apart
    _rename(src, "c.txt", "z.txt")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    assert [(a.move_from, a.path) for a in plan.by_kind("move")] == [("c.txt", "z.txt")]
    assert sorted(a.path for a in plan.transfers) == ["x.txt", "y.txt"]
    assert sorted(a.path for a in plan.deletes) == ["a.txt", "b.txt"]
    apply_plan(plan, filesystem("/"), filesystem("/"))
    assert _tree(dst) == _tree(src)


def test_same_size_and_time_but_other_bytes_is_not_a_rename(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    _write(src, {"a.txt": b"aaaa"})
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst)).ok
    os.unlink(src / "a.txt")
    _write(src, {"b.txt": b"bbbb"})
    os.utime(src / "b.txt", (T0, T0))
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    assert plan.by_kind("move") == []  # hashed: the MD5s differ


def test_a_move_in_the_plan_file_and_its_decisions(mirrored, tmp_path):
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    saved = json.loads(plan.to_json())
    [move] = [a for a in saved["actions"] if a["kind"] == "move"]
    assert move["path"] == "notes/README.md" and move["move_from"] == "notes/readme.txt"
    assert saved["options"]["track_renames"] is True
    back = Plan.from_json(plan.to_json())
    assert back.by_kind("move")[0].move_from == "notes/readme.txt"
    split = back.override("notes/README.md", "copy")
    assert [(a.kind, a.path) for a in split.actions if a.path.startswith("notes/")] == [
        ("copy", "notes/README.md"), ("delete", "notes/readme.txt")]
    left = back.override("notes/README.md", "exclude")
    assert left.by_kind("move") == [] and left.get("notes/README.md").kind == "skip"
    result = apply_plan(left, filesystem("/"), filesystem("/"))
    assert result.ok and (dst / "notes/readme.txt").exists() and not (dst / "notes/README.md").exists()
    assert left.override("notes/README.md", "move").by_kind("move")[0].move_from == "notes/readme.txt"


@pytest.mark.parametrize("hostile", ["../outside.txt", "/etc/passwd", "a/../../b", ""])
def test_a_plan_moving_files_outside_the_root_is_refused(mirrored, hostile):
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    data = json.loads(plan.to_json())
    for a in data["actions"]:
        if a["kind"] == "move":
            a["move_from"] = hostile
    with pytest.raises(PlanError):
        Plan.from_dict(data)
    data = json.loads(plan.to_json())
    for a in data["actions"]:
        if a["kind"] == "move":
            a["path"] = hostile
    with pytest.raises(PlanError):
        Plan.from_dict(data)
    from dataclasses import replace

    built = replace(plan, actions=tuple(replace(a, move_from=hostile) if a.kind == "move" else a for a in plan.actions))
    with pytest.raises(PlanError):
        apply_plan(built, filesystem("/"), filesystem("/"))
    assert (dst / "notes/readme.txt").exists()


def test_a_move_never_replaces_a_file_at_its_new_path(mirrored):
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    (dst / "notes/README.md").write_bytes(b"written meanwhile")
    result = apply_plan(plan, filesystem("/"), filesystem("/"))
    assert [o.outcome for o in result.outcomes if o.action == "move"] == ["failed"]
    assert (dst / "notes/README.md").read_bytes() == b"written meanwhile"
    assert (dst / "notes/readme.txt").read_bytes() == b"read me"


# -- S3 -----------------------------------------------------------------------

@pytest.fixture
def uploaded(s3, tmp_path):
    src = tmp_path / "src"
    files = {f"year=2024/month=01/part-{i}.bin": os.urandom(256 * 1024 + i) for i in range(4)}
    files["keep.txt"] = b"keep"
    _write(src, files)
    remote = filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options)
    assert sync_dir(filesystem("/"), remote, str(src), "").ok
    return src, remote


def _objects(s3) -> dict:
    return {k.split("/t/", 1)[1]: s3.fs.cat_file(k) for k in s3.fs.find(f"{s3.bucket}/t")}


def test_a_renamed_partition_moves_server_side_on_s3(s3, uploaded):
    src, remote = uploaded
    _rename(src, "year=2024/month=01", "year=2024/month=1")
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True)
    assert len(result.moved) == 4 and result.copied == [] and result.bytes_transferred == 0
    assert _objects(s3) == _tree(src)
    head = s3.fs.call_s3("head_object", Bucket=s3.bucket, Key="t/year=2024/month=1/part-2.bin")
    mtime = (src / "year=2024/month=1/part-2.bin").stat().st_mtime_ns // 10**9
    assert head["Metadata"] == {"mtime": f"{mtime}.000000000"}  # the stored time moved with it
    again = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True)
    assert again.copied == [] and again.moved == [] and again.deleted == []


def test_an_interrupted_move_on_s3_loses_nothing(s3, uploaded, monkeypatch):
    from fsspeckit.backends.filesystem import unwrap

    src, remote = uploaded
    _rename(src, "keep.txt", "kept.txt")
    backend, _ = unwrap(remote, "")

    def no_delete(path, **kw):
        raise PermissionError("delete denied")

    monkeypatch.setattr(backend, "rm_file", no_delete)
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True, raise_on_error=False, retries=0)
    assert [o.outcome for o in result.outcomes if o.action == "move"] == ["failed"]
    objects = _objects(s3)
    assert objects["keep.txt"] == b"keep" and objects["kept.txt"] == b"keep"  # copied and verified, old kept
    monkeypatch.undo()
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True)
    assert result.deleted == ["keep.txt"] and result.copied == []
    assert _objects(s3) == _tree(src)


def test_a_move_whose_copy_fails_keeps_the_old_object(s3, uploaded, monkeypatch):
    import fsspeckit.execution.renames as renames

    src, remote = uploaded
    _rename(src, "keep.txt", "kept.txt")

    def broken_copy(fs, a, b, size):
        raise OSError("copy refused by the store")

    monkeypatch.setattr(renames, "store_copy", broken_copy)
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True, raise_on_error=False, retries=0)
    assert [o.outcome for o in result.outcomes if o.action == "move"] == ["failed"]
    objects = _objects(s3)
    assert objects["keep.txt"] == b"keep" and "kept.txt" not in objects


# -- the command line -----------------------------------------------------------

def test_plan_and_sync_with_track_renames_on_the_command_line(mirrored, run, tmp_path):
    src, dst = mirrored
    _rename(src, "year=2024/month=02", "year=2024/month=2")
    code, out, err = run("plan", str(src), str(dst), "--list")
    assert code == 0 and "move" not in out  # off by default: copies and deletes
    code, out, err = run("plan", str(src), str(dst), "--track-renames", "--list", "--json")
    data = json.loads(out)
    assert code == 0 and data["totals"]["move"]["files"] == 3 and data["totals"]["copy"]["files"] == 0
    assert {a["move_from"] for a in data["actions"]} == {f"year=2024/month=02/part-{i}.parquet" for i in range(3)}
    code, out, err = run("plan", str(src), str(dst), "--track-renames", "--list")
    assert "move    year=2024/month=02/part-0.parquet → year=2024/month=2/part-0.parquet" in out
    code, out, err = run("sync", str(src), str(dst), "--track-renames", "--dry-run")
    assert code == 0 and "move 3" in out and _tree(dst) != _tree(src)
    code, out, err = run("sync", str(src), str(dst), "--track-renames")
    assert code == 0 and "moved 3" in out, out + err
    assert _tree(dst) == _tree(src) and not (dst / "year=2024/month=02").exists()


def test_a_saved_plan_applied_twice_moves_once(mirrored, tmp_path):
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    saved = tmp_path / "plan.json"
    plan.save(saved)
    first = apply_plan(Plan.load(saved), filesystem("/"), filesystem("/"))
    assert first.moved == ["notes/README.md"]
    second = apply_plan(Plan.load(saved), filesystem("/"), filesystem("/"))
    assert second.ok and second.failed == []
    assert _tree(dst) == _tree(src)


def test_a_plan_is_stale_when_the_moved_file_left_the_source(mirrored):
    from fsspeckit.exceptions import StalePlanError

    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    plan = Plan.from_json(plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True).to_json())
    os.unlink(src / "notes/README.md")
    with pytest.raises(StalePlanError):
        apply_plan(plan, filesystem("/"), filesystem("/"))
    assert (dst / "notes/readme.txt").exists()


def test_a_renamed_multipart_object_matches_by_size_and_stored_time(s3, tmp_path, monkeypatch):
    from fsspeckit.backends.s3 import upload as s3_upload

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    src = tmp_path / "src"
    _write(src, {"big/a.bin": os.urandom(11 * 2**20)})
    remote = filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options)
    assert sync_dir(filesystem("/"), remote, str(src), "").ok
    assert "-" in s3.fs.info(f"{s3.bucket}/t/big/a.bin")["ETag"]  # multipart: no MD5 to match by
    _rename(src, "big/a.bin", "big/renamed.bin")
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True)
    assert result.moved == ["big/renamed.bin"] and result.bytes_transferred == 0
    assert _objects(s3) == _tree(src)


def test_moves_run_on_the_caller_when_the_copies_go_to_a_cluster(mirrored):
    distributed = pytest.importorskip("distributed")
    src, dst = mirrored
    _rename(src, "notes/readme.txt", "notes/README.md")
    (src / "notes/new.txt").write_bytes(b"a new file")
    plan = plan_sync(filesystem("/"), filesystem("/"), str(src), str(dst), track_renames=True)
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None) as client:
        result = apply_plan(plan, filesystem("/"), filesystem("/"), executor=client)
    assert result.moved == ["notes/README.md"] and result.copied == ["notes/new.txt"]
    assert _tree(dst) == _tree(src)


def test_a_renamed_folder_sends_no_object_bytes_through_the_client(s3, tmp_path, fault_proxy):
    src = tmp_path / "src"
    _write(src, {f"day=01/part-{i}.bin": os.urandom(2 * 2**20 + i) for i in range(4)})
    assert sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options), str(src), "").ok
    _rename(src, "day=01", "day=1")
    seen = []

    def record(req):
        headers = {k.lower(): v for k, v in req.headers.items()}
        seen.append((req.method, req.key, "x-amz-copy-source" in headers, int(headers.get("content-length") or 0)))
        return False

    proxy = fault_proxy(predicate=record)
    remote = filesystem(f"s3://{s3.bucket}/t", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True)
    assert len(result.moved) == 4 and result.bytes_transferred == 0
    puts = [r for r in seen if r[0] == "PUT"]
    assert len(puts) == 4 and all(copy and length == 0 for _, _, copy, length in puts), puts
    assert not [r for r in seen if r[0] == "GET" and r[1].startswith("t/")], seen  # no object read
    assert _objects(s3) == _tree(src)


def test_a_renamed_file_moves_server_side_on_gcs(gcs, tmp_path):
    src = tmp_path / "src"
    _write(src, {"a/one.csv": b"1,2,3\n" * 50, "a/two.csv": b"4,5,6\n" * 60})
    remote = filesystem(f"gs://{gcs.bucket}/t", storage_options=gcs.options)
    assert sync_dir(filesystem("/"), remote, str(src), "", max_workers=2).ok
    _rename(src, "a/one.csv", "b/uno.csv")
    result = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True, max_workers=2)
    assert result.moved == ["b/uno.csv"] and result.copied == [] and result.bytes_transferred == 0
    gcs.fs.invalidate_cache()
    assert sorted(k.split("/t/", 1)[1] for k in gcs.fs.find(f"{gcs.bucket}/t")) == ["a/two.csv", "b/uno.csv"]
    meta = gcs.fs.info(f"{gcs.bucket}/t/b/uno.csv")["metadata"]
    assert meta["goog-reserved-file-mtime"] == str(int((src / "b/uno.csv").stat().st_mtime))
    again = sync_dir(filesystem("/"), remote, str(src), "", track_renames=True, max_workers=2)
    assert again.copied == [] and again.moved == [] and again.updated == []
