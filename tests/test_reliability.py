"""Sync you can trust: faults on the wire, kills, bad credentials, full disks.

Faults come from a real HTTP proxy on loopback in front of moto's S3 server;
kills are real SIGKILLs of a sync running in a subprocess.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fsspeckit import filesystem, sync_dir, validate_file_transfer
from fsspeckit.exceptions import DeleteLimitError, DestinationError, SourceError
from fsspeckit.model.entries import PARTIAL_MARK
from fsspeckit.listing.tree import list_tree

ROOT = Path(__file__).resolve().parent.parent


def _tree(n: int, size: int = 2000) -> dict[str, bytes]:
    return {f"part={i % 7}/file-{i:04d}.bin": hashlib.sha256(str(i).encode()).digest() * (size // 32) for i in range(n)}


def _digest_local(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _digest_s3(fs, prefix: str) -> dict[str, str]:
    fs.invalidate_cache()
    return {k[len(prefix) + 1:]: hashlib.md5(fs.cat_file(k)).hexdigest() for k in fs.find(prefix)}


def _rclone_check(a: str, b: str, env: dict | None = None) -> subprocess.CompletedProcess | None:
    if shutil.which("rclone") is None:
        return None
    e = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    e.update(env or {})
    e["RCLONE_CONFIG"] = "/dev/null"
    return subprocess.run(["rclone", "check", a, b], capture_output=True, text=True, env=e, timeout=120)


def _rclone_s3_env(s3) -> dict:
    return {
        "RCLONE_CONFIG_MOTO_TYPE": "s3", "RCLONE_CONFIG_MOTO_PROVIDER": "Other",
        "RCLONE_CONFIG_MOTO_ENDPOINT": s3.endpoint, "RCLONE_CONFIG_MOTO_ACCESS_KEY_ID": "testing",
        "RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY": "testing", "RCLONE_CONFIG_MOTO_REGION": "us-east-1",
    }


# --- faults on the wire --------------------------------------------------------

def test_upload_through_faulty_proxy_completes_and_verifies(s3, fault_proxy, local_tree, fast_retries):
    files = _tree(300)
    src = local_tree(files)
    proxy = fault_proxy(fail_rate=0.15, drop_rate=0.05, seed=7)
    dst = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), dst, str(src), "/up", n_jobs=8, retries=6, backoff=0.01)
    assert result.ok, result.summary()
    assert proxy.faults_injected > 20
    assert _digest_s3(s3.fs, s3.path("up")) == _digest_local(src)
    checked = _rclone_check(str(src), f"moto:{s3.bucket}/up", _rclone_s3_env(s3))
    if checked is not None:
        assert checked.returncode == 0, checked.stderr[-2000:]
    # A rerun through the same faults has nothing left to do.
    again = sync_dir(filesystem("/"), dst, str(src), "/up", n_jobs=8, retries=6, backoff=0.01)
    assert again.ok and again.copied == [] and again.updated == []


def test_download_through_dropped_connections_leaves_no_partial_files(s3, fault_proxy, tmp_path, fast_retries):
    files = _tree(120, size=40_000)
    for rel, data in files.items():
        s3.fs.pipe_file(s3.path(f"data/{rel}"), data)
    proxy = fault_proxy(fail_rate=0.1, drop_rate=0.15, seed=3, predicate=lambda r: r.method == "GET" and bool(r.key))
    src = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    out = tmp_path / "out"
    result = sync_dir(src, filesystem("/"), "/data", str(out), n_jobs=6, retries=6, backoff=0.01,
                      verify="checksum")
    assert result.ok, result.summary()
    assert proxy.faults_injected > 10
    assert _digest_local(out) == {k: hashlib.md5(v).hexdigest() for k, v in files.items()}
    assert not [p for p in out.rglob("*") if PARTIAL_MARK in p.name]


def test_one_failing_path_does_not_stop_the_others_and_blocks_deletes(s3, fault_proxy, local_tree):
    src = local_tree({"ok/a.txt": b"a", "ok/b.txt": b"b", "bad/c.txt": b"c"})
    s3.fs.pipe_file(s3.path("d/stale.txt"), b"old")
    proxy = fault_proxy(fail_rate=1.0, predicate=lambda r: r.method == "PUT" and "bad/" in r.path,
                        errors=[(403, "AccessDenied", "Access Denied")])
    dst = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), dst, str(src), "/d", retries=3, backoff=0.01, raise_on_error=False)
    assert sorted(result.copied) == ["ok/a.txt", "ok/b.txt"]
    (bad,) = result.failed
    assert bad.path == "bad/c.txt" and bad.attempts == 1  # permanent: no retry
    assert "denied" in bad.error.lower()
    assert result.deleted == [] and "1 copy failed" in result.deletes_skipped
    assert s3.fs.exists(s3.path("d/stale.txt"))


def test_bad_credentials_are_a_clear_error_and_change_nothing(s3, fault_proxy, local_tree):
    dst_tree = local_tree({"keep.txt": b"precious"}, name="dst")
    proxy = fault_proxy(fail_rate=1.0, errors=[(403, "InvalidAccessKeyId",
                                                "The AWS Access Key Id you provided does not exist in our records.")])
    src = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    with pytest.raises(SourceError) as info:
        sync_dir(src, filesystem("/"), "/data", str(dst_tree))
    message = str(info.value)
    assert "denied" in message.lower() or "access key" in message.lower(), message
    assert "Traceback" not in message
    assert (dst_tree / "keep.txt").read_bytes() == b"precious"


def test_no_space_left_fails_cleanly(local_tree, tmp_path, monkeypatch):
    src = local_tree({"a.bin": b"a" * 5000, "b.bin": b"b" * 5000}, name="src")
    dst = local_tree({"b.bin": b"old version", "stale.txt": b"keep me"}, name="dst")
    import fsspeckit.backends.transfer as transfer

    real = transfer._kernel_copy

    def full_disk(fin, fout, *args):  # the disk fills part-way through the temporary file
        os.write(fout, b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transfer, "_kernel_copy", full_disk)
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), retries=3, backoff=0.01, raise_on_error=False)
    assert {o.path for o in result.failed} == {"a.bin", "b.bin"}
    assert all("No space left" in o.error and o.attempts == 1 for o in result.failed)
    assert (dst / "b.bin").read_bytes() == b"old version"  # the old version is untouched
    assert (dst / "stale.txt").exists()  # deletes skipped after failed copies
    assert not [p for p in dst.iterdir() if PARTIAL_MARK in p.name]
    monkeypatch.setattr(transfer, "_kernel_copy", real)
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst)).ok


def test_destination_that_is_a_file_is_a_clear_error(local_tree, tmp_path):
    src = local_tree({"a.txt": b"a"}, name="src")
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(DestinationError, match="is a file, not a folder"):
        sync_dir(filesystem("/"), filesystem("/"), str(src), str(target))


# --- deletion guards ------------------------------------------------------------

def test_max_delete_aborts_before_anything_changes(local_tree):
    src = local_tree({"a.txt": b"a"}, name="src")
    dst = local_tree({f"old{i}.txt": b"o" for i in range(10)}, name="dst")
    with pytest.raises(DeleteLimitError, match="deletes 10 files"):
        sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), max_delete=5)
    with pytest.raises(DeleteLimitError):
        sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), max_delete="50%")
    assert len(list(dst.iterdir())) == 10 and not (dst / "a.txt").exists()
    assert sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), max_delete="100%").ok


def test_backup_dir_keeps_replaced_and_deleted_versions(s3, local_tree):
    src = local_tree({"a.txt": b"new a", "b.txt": b"b"}, name="src")
    s3.fs.pipe_file(s3.path("d/a.txt"), b"old a")
    s3.fs.pipe_file(s3.path("d/gone.txt"), b"gone")
    dst = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    result = sync_dir(filesystem("/"), dst, str(src), "/d", backup_dir="/backup/run1")
    assert result.ok and result.updated == ["a.txt"] and result.deleted == ["gone.txt"]
    s3.fs.invalidate_cache()
    assert s3.fs.cat_file(s3.path("backup/run1/a.txt")) == b"old a"
    assert s3.fs.cat_file(s3.path("backup/run1/gone.txt")) == b"gone"
    assert s3.fs.cat_file(s3.path("d/a.txt")) == b"new a"


# --- verification and reports --------------------------------------------------

def test_validate_file_transfer(s3, local_tree):
    src = local_tree({"f.bin": b"x" * 1000})
    s3.fs.pipe_file(s3.path("f.bin"), b"x" * 1000)
    s3.fs.pipe_file(s3.path("g.bin"), b"y" * 1000)
    local, remote = filesystem("/"), filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    assert validate_file_transfer(local, remote, str(src / "f.bin"), "/f.bin") == (True, "Validation successful (size and MD5)")
    ok, message = validate_file_transfer(local, remote, str(src / "f.bin"), "/g.bin")
    assert not ok and message.startswith("Checksum mismatch")
    ok, message = validate_file_transfer(local, remote, str(src / "f.bin"), "/missing.bin")
    assert not ok and "missing" in message.lower()


def test_report_exports_json_and_csv(local_tree, tmp_path):
    src = local_tree({"a.txt": b"a", "b.txt": b"bb"}, name="src")
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(tmp_path / "out"))
    result.save(tmp_path / "r.json")
    result.save(tmp_path / "r.csv")
    import csv
    import json

    data = json.loads((tmp_path / "r.json").read_text())
    assert data["counts"]["copied"] == 2 and {o["path"] for o in data["outcomes"]} == {"a.txt", "b.txt"}
    rows = list(csv.DictReader((tmp_path / "r.csv").open()))
    assert {(r["path"], r["outcome"], r["bytes"], r["attempts"]) for r in rows} == {("a.txt", "copied", "1", "1"), ("b.txt", "copied", "2", "1")}


def test_source_changing_during_copy_is_reported(local_tree, tmp_path, monkeypatch):
    src = local_tree({"grow.log": b"x" * 100, "calm.txt": b"c"}, name="src")
    import fsspeckit.backends.transfer as transfer

    real = transfer._local_to_local

    def append_while_copying(s, d, *args):
        n = real(s, d, *args)
        if s.endswith("grow.log"):
            with open(s, "ab") as f:
                f.write(b"more")
        return n

    monkeypatch.setattr(transfer, "_local_to_local", append_while_copying)
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(tmp_path / "out"), raise_on_error=False)
    (failed,) = result.failed
    assert failed.path == "grow.log" and "changed" in failed.error
    assert not (tmp_path / "out" / "grow.log").exists()
    assert (tmp_path / "out" / "calm.txt").exists()


# --- kill -9 and resume -----------------------------------------------------------

SYNC_SCRIPT = textwrap.dedent("""
    import sys, json
    from fsspeckit import filesystem, sync_dir
    src, dst, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    dst_fs = filesystem(dst, storage_options=opts) if "://" in dst else filesystem("/")
    result = sync_dir(filesystem("/"), dst_fs, src, "" if "://" in dst else dst, n_jobs=2,
                      state_file=sys.argv[4])
    print(json.dumps(result.counts))
""")


def _run_and_kill(args, ready) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SYNC_SCRIPT, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    assert proc.poll() is None, f"the sync ended before it could be killed: {proc.communicate()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def test_kill_minus_9_then_rerun_finishes_the_job_locally(local_tree, tmp_path):
    files = {f"d{i % 5}/f{i:04d}.bin": os.urandom(256 * 1024) for i in range(400)}
    src = local_tree(files, name="src")
    dst = tmp_path / "dst"
    state = tmp_path / "state.jsonl"

    def some_done():
        return dst.exists() and sum(1 for _ in dst.rglob("*.bin")) >= 40

    _run_and_kill([str(src), str(dst), "{}", str(state)], some_done)
    before = {str(p.relative_to(dst)) for p in dst.rglob("*.bin") if PARTIAL_MARK not in p.name}
    assert 0 < len(before) < len(files)
    result = sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst), state_file=str(state))
    assert result.ok
    assert not set(result.copied) & before, "finished files were copied again"
    assert set(result.copied) | before == set(files)
    assert _digest_local(dst) == _digest_local(src)
    assert not [p for p in dst.rglob("*") if PARTIAL_MARK in p.name], "temporary files left behind"
    checked = _rclone_check(str(src), str(dst))
    if checked is not None:
        assert checked.returncode == 0, checked.stderr[-2000:]


def test_kill_minus_9_then_rerun_finishes_the_job_on_s3(s3, local_tree, tmp_path):
    files = {f"d{i % 5}/f{i:04d}.bin": os.urandom(64 * 1024) for i in range(300)}
    src = local_tree(files, name="src")
    url = f"s3://{s3.bucket}/dst"
    import json

    def some_done():
        s3.fs.invalidate_cache()
        try:
            return len(s3.fs.find(s3.path("dst"))) >= 30
        except FileNotFoundError:
            return False

    _run_and_kill([str(src), url, json.dumps(s3.options), str(tmp_path / "state.jsonl")], some_done)
    s3.fs.invalidate_cache()
    before = {k.split("/dst/", 1)[1] for k in s3.fs.find(s3.path("dst"))}
    assert 0 < len(before) < len(files)
    dst = filesystem(url, storage_options=s3.options)
    result = sync_dir(filesystem("/"), dst, str(src), "", state_file=str(tmp_path / "state.jsonl"))
    assert result.ok
    assert not set(result.copied) & before
    assert _digest_s3(s3.fs, s3.path("dst")) == _digest_local(src)


def test_saved_plan_applied_twice_does_the_remaining_work_only(s3, local_tree, tmp_path):
    from fsspeckit import Plan, apply_plan, plan_sync

    src = local_tree({f"f{i}.txt": f"file {i}".encode() for i in range(20)}, name="src")
    s3.fs.pipe_file(s3.path("d/stale.txt"), b"old")
    dst = filesystem(f"s3://{s3.bucket}/d", storage_options=s3.options)
    plan_sync(filesystem("/"), dst, str(src), "").save(tmp_path / "plan.json")
    # Half the work is done by a first, partial run (the plan cut to ten files).
    plan = Plan.load(tmp_path / "plan.json")
    from dataclasses import replace

    first = apply_plan(replace(plan, actions=plan.actions[:10], loaded=False), filesystem("/"), dst)
    assert len(first.copied) == 10
    second = apply_plan(Plan.load(tmp_path / "plan.json"), filesystem("/"), dst)
    assert len(second.copied) == 10 and second.deleted == ["stale.txt"]
    assert not set(second.copied) & set(first.copied)
    third = apply_plan(Plan.load(tmp_path / "plan.json"), filesystem("/"), dst)
    assert third.copied == [] and third.deleted == []


@pytest.mark.parametrize("where", ["local", "s3"])
def test_cancel_mid_run_reports_exactly_what_landed(where, request, local_tree, tmp_path):
    import threading

    src = local_tree({f"f{i:03d}.bin": os.urandom(20_000) for i in range(150)}, name="src")
    from fsspec.callbacks import Callback

    cancel = threading.Event()

    class CancelAfter(Callback):  # bytes arrive per file: cancel once 30 files' worth moved
        def call(self, *args, **kwargs):
            if self.value >= 30 * 20_000:
                cancel.set()

    if where == "s3":
        s3 = request.getfixturevalue("s3")
        dst = filesystem(f"s3://{s3.bucket}/d", storage_options=s3.options)
    else:
        dst = filesystem(str(tmp_path / "d"))
    result = sync_dir(filesystem("/"), dst, str(src), "", n_jobs=4, cancel=cancel, callback=CancelAfter())
    assert result.cancelled and not result.ok
    landed = set(list_tree(dst, "").entries)
    assert landed == set(result.copied), "the report and the destination disagree"
    assert 30 <= len(landed) < 150
    assert {o.path for o in result.outcomes if o.outcome == "cancelled"} == {f"f{i:03d}.bin" for i in range(150)} - landed


def test_a_saved_plan_whose_source_changed_is_refused_before_any_write(local_tree, tmp_path):
    from fsspeckit import Plan, StalePlanError, apply_plan, plan_sync

    src = local_tree({"a.txt": b"a", "b.txt": b"b"}, name="src")
    out = tmp_path / "out"
    fs = filesystem("/")
    plan_sync(fs, fs, str(src), str(out)).save(tmp_path / "plan.json")
    (src / "b.txt").write_bytes(b"bigger now")
    with pytest.raises(StalePlanError, match="b.txt"):
        apply_plan(Plan.load(tmp_path / "plan.json"), fs, fs)
    assert not out.exists()


def test_failed_multipart_upload_is_aborted_and_leaves_no_object(s3, fault_proxy, local_tree, monkeypatch, fast_retries):
    import fsspeckit.backends.s3.upload as s3_upload

    # Upload in 5 MiB parts from 10 MiB on (instead of 16 MiB parts from 200 MiB).
    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    src = local_tree({"big.bin": os.urandom(12 * 2**20), "small.txt": b"s"})
    proxy = fault_proxy(fail_rate=1.0, predicate=lambda r: r.method == "PUT" and "partNumber=2" in r.path)
    dst = filesystem(f"s3://{s3.bucket}/up", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), dst, str(src), "", retries=1, backoff=0.01, raise_on_error=False)
    assert result.copied == ["small.txt"]
    (failed,) = result.failed
    assert failed.path == "big.bin" and failed.attempts == 2
    s3.fs.invalidate_cache()
    assert not s3.fs.exists(s3.path("up/big.bin")), "a failed upload left an object"
    uploads = s3.fs.call_s3("list_multipart_uploads", Bucket=s3.bucket).get("Uploads", [])
    assert uploads == [], "the multipart upload was not aborted"
    assert proxy.faults_injected >= 2


def test_failed_update_puts_the_old_version_back_from_the_backup(local_tree, monkeypatch):
    import fsspeckit.backends.transfer as transfer

    src = local_tree({"a.txt": b"new version"}, name="src")
    dst = local_tree({"a.txt": b"old"}, name="dst")

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(transfer, "_local_to_local", broken)
    fs = filesystem("/")
    result = sync_dir(fs, fs, str(src), str(dst), backup_dir=str(dst.parent / "bak"), raise_on_error=False)
    (failed,) = result.failed
    assert failed.backup is None
    assert (dst / "a.txt").read_bytes() == b"old"  # not left only in the backup folder
    os.utime(src / "a.txt", (1_000_000, 1_000_000))  # the destination is newer: a conflict, keep both
    result = sync_dir(fs, fs, str(src), str(dst), strategy="keep_both", raise_on_error=False)
    assert result.failed and result.failed[0].path == "a.txt"
    assert (dst / "a.txt").read_bytes() == b"old" and sorted(p.name for p in dst.iterdir()) == ["a.txt"]


def test_s3_deletes_go_out_in_batches(s3, fault_proxy, local_tree, monkeypatch):
    from fsspeckit.backends.s3 import delete as s3_delete

    monkeypatch.setattr(s3_delete, "S3_DELETE_BATCH", 3)
    src = local_tree({"keep.txt": b"k"})
    for i in range(7):
        s3.fs.pipe_file(s3.path(f"d/old/{i}.txt"), b"x" * (i + 1))
    s3.fs.pipe_file(s3.path("d/keep.txt"), b"k")
    proxy = fault_proxy()
    dst = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), dst, str(src), "/d")
    assert result.ok, result.summary()
    assert sorted(result.deleted) == [f"old/{i}.txt" for i in range(7)]
    batches = [e for e in proxy.log if e[1] == "POST" and "delete" in e[2]]
    singles = [e for e in proxy.log if e[1] == "DELETE"]
    assert len(batches) == 3 and singles == []  # 3 + 3 + 1 keys
    s3.fs.invalidate_cache()
    assert s3.fs.find(s3.path("d")) == [s3.path("d/keep.txt")]


def test_s3_failed_batch_delete_falls_back_to_one_by_one(s3, fault_proxy, local_tree):
    src = local_tree({"keep.txt": b"k"})
    for name in ("a", "b", "bad"):
        s3.fs.pipe_file(s3.path(f"d/{name}.txt"), b"x")
    # The batch request is refused outright; then one key is refused on its own.
    proxy = fault_proxy(fail_rate=1.0, errors=[(403, "AccessDenied", "Access Denied")],
                        predicate=lambda r: r.method == "POST" or (r.method == "DELETE" and "bad" in r.path))
    dst = filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))
    result = sync_dir(filesystem("/"), dst, str(src), "/d", retries=2, backoff=0.01, raise_on_error=False)
    assert sorted(result.deleted) == ["a.txt", "b.txt"]
    (bad,) = [o for o in result.outcomes if o.outcome == "failed"]
    assert bad.path == "bad.txt" and "denied" in bad.error.lower()
    s3.fs.invalidate_cache()
    assert sorted(s3.fs.find(s3.path("d"))) == [s3.path("d/bad.txt"), s3.path("d/keep.txt")]
