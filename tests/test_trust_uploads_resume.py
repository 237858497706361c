"""A run killed with SIGKILL mid multipart upload leaves nothing billed once the next run is done.

The upload runs in a subprocess against moto's S3 server on loopback and is
killed for real while its parts are in flight; the rerun must abort the open
upload (S3 keeps and bills its parts otherwise), say so, and never touch an
upload that another tool has open under the same prefix.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from fsspeckit import filesystem, sync_dir
from fsspeckit.backends import uploads

ROOT = Path(__file__).resolve().parents[1]

UPLOAD_SCRIPT = textwrap.dedent("""
    import sys, json
    from fsspeckit import filesystem, sync_dir
    from fsspeckit.backends.s3 import upload as s3_upload
    s3_upload.MULTIPART_FROM = 10 * 2**20
    s3_upload.PART_SIZE = 5 * 2**20
    s3_upload.PARTS_IN_FLIGHT = 1
    src, url, opts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    sync_dir(filesystem("/"), filesystem(url, storage_options=opts), src, "", max_workers=1)
""")


def _open_uploads(s3) -> list[dict]:
    return s3.fs.call_s3("list_multipart_uploads", Bucket=s3.bucket).get("Uploads", [])


def test_uploads_left_open_by_a_killed_run_are_aborted_by_the_next(s3, fault_proxy, tmp_path, monkeypatch):
    from fsspeckit.backends.s3 import upload as s3_upload

    src = tmp_path / "src"
    src.mkdir()
    big = os.urandom(40 * 2**20)
    (src / "big.bin").write_bytes(big)
    # another tool's upload in progress under the same prefix: not ours, never aborted
    foreign = s3.fs.call_s3("create_multipart_upload", Bucket=s3.bucket, Key="dst/other-tool.bin")["UploadId"]

    proxy = fault_proxy()
    slow = lambda req: time.sleep(0.5) if req.method == "PUT" and "partNumber" in req.path else None  # noqa: E731
    proxy.on_forward = slow
    opts = dict(s3.options, endpoint_url=proxy.endpoint)
    proc = subprocess.Popen([sys.executable, "-c", UPLOAD_SCRIPT, str(src), f"s3://{s3.bucket}/dst", json.dumps(opts)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any("partNumber=2" in p for _i, m, p, _o in proxy.log if m == "PUT"):
            break
        time.sleep(0.02)
    assert proc.poll() is None, proc.communicate()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    open_now = {u["UploadId"] for u in _open_uploads(s3)}
    assert foreign in open_now and len(open_now) == 2, "the killed run should have left its upload open"

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    result = sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/dst", storage_options=s3.options),
                      str(src), "")
    assert result.ok, result.summary()
    assert result.aborted_uploads == 1
    assert "aborted 1 unfinished upload of an interrupted run" in result.summary()
    assert {u["UploadId"] for u in _open_uploads(s3)} == {foreign}
    assert hashlib.md5(s3.fs.cat(s3.path("dst/big.bin"))).hexdigest() == hashlib.md5(big).hexdigest()
    # the journal holds nothing open any more, and a further run aborts nothing
    again = sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/dst", storage_options=s3.options),
                     str(src), "")
    assert again.aborted_uploads == 0 and again.ok


def test_the_journal_ignores_live_runs_other_prefixes_and_torn_lines(s3):
    upload = s3.fs.call_s3("create_multipart_upload", Bucket=s3.bucket, Key="a/x.bin")["UploadId"]
    elsewhere = s3.fs.call_s3("create_multipart_upload", Bucket=s3.bucket, Key="ab/y.bin")["UploadId"]
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options).fs
    uploads.opened(fs, s3.bucket, "a/x.bin", upload)  # opened by this (live) process
    uploads.opened(fs, s3.bucket, "ab/y.bin", elsewhere)
    with open(uploads.journal_path(), "a") as f:
        f.write('{"op":"open","endpoint":"x","bu')  # a line torn by a kill
    assert uploads.abort_stale(fs, f"{s3.bucket}/a") == 0  # ours is alive; "ab/" is not under "a/"
    # the same entries from a process that is gone
    lines = uploads.journal_path().read_text().splitlines()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    rewritten = [ln.replace(f'"pid":{os.getpid()}', f'"pid":{pid}') for ln in lines]
    uploads.journal_path().write_text("\n".join(rewritten) + "\n")
    assert uploads.abort_stale(fs, f"{s3.bucket}/a") == 1
    assert {u["UploadId"] for u in _open_uploads(s3)} == {elsewhere}
    assert uploads.abort_stale(fs, f"{s3.bucket}/ab") == 1
    assert _open_uploads(s3) == []
