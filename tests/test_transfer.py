"""The kernel copy of local files: copy_file_range, then sendfile, then plain reads."""

from __future__ import annotations

import errno
import os

import fsspec
import pytest

import fsspeckit.backends.transfer as transfer
from fsspeckit.backends.s3 import copy as s3_copy
from fsspeckit.backends.s3 import upload as s3_upload
from fsspeckit.backends.filesystem import unwrap


def _copy(tmp_path, data: bytes, chunk: int = 1 << 16) -> tuple[bytes, int, list[int]]:
    src, dst = tmp_path / "in.bin", tmp_path / "out.bin"
    src.write_bytes(data)
    seen: list[int] = []
    guard = transfer._Guard(seen.append, None, None)
    fin = os.open(src, os.O_RDONLY)
    fout = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        n = transfer._kernel_copy(fin, fout, guard, chunk)
    finally:
        os.close(fin)
        os.close(fout)
    return dst.read_bytes(), n, seen


@pytest.mark.parametrize("size", [0, 1, 65_536, 300_001])
def test_kernel_copy_is_exact(tmp_path, size):
    data = os.urandom(size)
    out, n, seen = _copy(tmp_path, data)
    assert out == data and n == size and sum(seen) == size


def _refuse(*_args):
    raise OSError(errno.EXDEV, "Invalid cross-device link")


@pytest.mark.parametrize("copy_file_range", [_refuse, lambda *_a: 0], ids=["refused", "copies-nothing"])
def test_kernel_copy_falls_back_to_sendfile(tmp_path, monkeypatch, copy_file_range):
    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", copy_file_range)
    calls = []
    real = os.sendfile

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(transfer.os, "sendfile", counting)
    data = os.urandom(200_000)
    out, n, _ = _copy(tmp_path, data)
    assert out == data and n == len(data) and calls


def test_kernel_copy_falls_back_to_reads(tmp_path, monkeypatch):
    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", _refuse)
    monkeypatch.setattr(transfer.os, "sendfile", lambda *a: (_ for _ in ()).throw(OSError(errno.EINVAL, "no")))
    data = os.urandom(150_000)
    out, n, seen = _copy(tmp_path, data)
    assert out == data and n == len(data) and sum(seen) == len(data)


def test_kernel_copy_error_after_bytes_moved_is_raised(tmp_path, monkeypatch):
    state = {"n": 0}

    def half(fin, fout, count):
        state["n"] += 1
        if state["n"] > 1:
            raise OSError(errno.EIO, "I/O error")
        return os.copy_file_range(fin, fout, count)

    monkeypatch.setattr(transfer, "_COPY_FILE_RANGE", half)
    with pytest.raises(OSError, match="I/O error"):
        _copy(tmp_path, os.urandom(300_000), chunk=65_536)


# -- uploads of big files to S3: read from disk as they are sent -------------------------


def _s3_dst(s3, endpoint=None):
    from fsspeckit import filesystem

    opts = dict(s3.options, endpoint_url=endpoint) if endpoint else s3.options
    return filesystem(f"s3://{s3.bucket}/up", storage_options=opts)


def _small_parts(monkeypatch, from_mib: int = 10) -> None:
    """Upload in 5 MiB parts from ``from_mib`` MiB on (instead of 16 MiB parts from 200 MiB)."""
    from fsspeckit.backends.s3 import upload as s3_upload

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", from_mib * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)


def _upload_through_proxy(s3, fault_proxy, tmp_path, name: str, data: bytes) -> list[tuple[str, str]]:
    """Upload ``data`` as ``up/NAME`` with ``copy_file``; the (method, query) of each request on it."""
    src = tmp_path / name
    src.write_bytes(data)
    proxy = fault_proxy()
    seen: list[int] = []
    n = transfer.copy_file(fsspec.filesystem("file"), str(src), *unwrap(_s3_dst(s3, proxy.endpoint), name),
                           size=len(data), mtime=src.stat().st_mtime, on_bytes=seen.append)
    assert n == len(data) and sum(seen) == len(data)
    assert s3.fs.cat(s3.path(f"up/{name}")) == data
    return [(m, p.split("?", 1)[-1]) for _i, m, p, _o in proxy.log if name in p]


def test_s3_upload_below_multipart_size_is_one_streamed_put(s3, fault_proxy, tmp_path):
    import hashlib

    data = os.urandom(s3_upload.STREAM_FROM + 5)
    calls = _upload_through_proxy(s3, fault_proxy, tmp_path, "table.csv", data)
    assert [m for m, _q in calls] == ["PUT"], calls  # no multipart POSTs, no HEAD
    info = s3.fs.info(s3.path("up/table.csv"))
    assert info["ETag"].strip('"') == hashlib.md5(data).hexdigest()
    assert info["ContentType"] == "text/csv"


def test_s3_multipart_upload_sends_ranges_of_the_file(s3, fault_proxy, tmp_path, monkeypatch):
    _small_parts(monkeypatch)
    data = os.urandom(23 * 2**20)  # 4 parts of 5 MiB and one of 3 MiB
    calls = _upload_through_proxy(s3, fault_proxy, tmp_path, "big.bin", data)
    assert sorted(m for m, _q in calls) == ["POST", "POST", "PUT", "PUT", "PUT", "PUT", "PUT"], calls
    assert sorted(int(q.split("partNumber=")[1].split("&")[0]) for m, q in calls if m == "PUT") == [1, 2, 3, 4, 5]
    assert s3.fs.info(s3.path("up/big.bin"))["ETag"].strip('"').endswith("-5")


@pytest.mark.parametrize("multipart", [False, True], ids=["one-put", "multipart"])
@pytest.mark.parametrize("through", ["copy_file", "event-alone"])
def test_cancelled_upload_leaves_no_object_and_no_open_upload(s3, tmp_path, monkeypatch, multipart, through):
    """Cancelled through copy_file (the body reads raise), or by the cancel event alone
    (they do not: the requests in flight are stopped)."""
    import threading

    from fsspeckit.backends.s3 import upload as s3_upload
    from fsspeckit.exceptions import SyncCancelled

    if multipart:
        _small_parts(monkeypatch)
    src = tmp_path / "a.bin"
    src.write_bytes(os.urandom((24 if through == "copy_file" else 64) * 2**20))
    cancel = threading.Event()
    backend, path = unwrap(_s3_dst(s3), "a.bin")
    with pytest.raises(SyncCancelled):
        if through == "copy_file":
            transfer.copy_file(fsspec.filesystem("file"), str(src), backend, path, size=src.stat().st_size,
                               on_bytes=lambda _n: cancel.set(), cancel=cancel)
        else:
            s3_upload.upload(backend, str(src), path, src.stat().st_size, lambda _n: cancel.set(), cancel)
    s3.fs.invalidate_cache()
    assert not s3.fs.exists(s3.path("up/a.bin"))
    assert s3.fs.call_s3("list_multipart_uploads", Bucket=s3.bucket).get("Uploads", []) == []


_RSS_SCRIPT = """
import json, os, resource, sys
import fsspec
from fsspeckit import filesystem
from fsspeckit.backends.s3 import copy as s3_copy
from fsspeckit.backends.s3 import upload as s3_upload
from fsspeckit.backends.filesystem import unwrap
from fsspeckit.backends.transfer import copy_file
opts, src, multipart_from = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s3_upload.MULTIPART_FROM = multipart_from
dst = filesystem(opts.pop("url"), storage_options=opts)
dst.ls("")  # client and connection made before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
copy_file(fsspec.filesystem("file"), src, *unwrap(dst, "big.bin"), size=os.path.getsize(src))
print(json.dumps({"grew_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before}))
"""


@pytest.mark.parametrize("multipart", [False, True], ids=["one-put", "multipart"])
def test_upload_does_not_hold_the_file_in_memory(s3, tmp_path, multipart):
    import json
    import subprocess
    import sys

    from fsspeckit.backends.s3 import upload as s3_upload

    size = 150 * 2**20
    multipart_from = 100 * 2**20 if multipart else s3_upload.MULTIPART_FROM  # 16 MiB parts, 4 in flight
    assert (size >= multipart_from) is multipart
    src = tmp_path / "big.bin"
    with open(src, "wb") as f:
        block = os.urandom(2**20)
        for _ in range(150):
            f.write(block)
    s3.fs.pipe(s3.path("up/keep"), b"x")
    opts = dict(s3.options, url=f"s3://{s3.bucket}/up")
    out = subprocess.run([sys.executable, "-c", _RSS_SCRIPT, json.dumps(opts), str(src), str(multipart_from)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    grew_mb = json.loads(out.stdout)["grew_kb"] / 1024
    assert grew_mb < 40, f"peak memory grew by {grew_mb:.0f} MB for a 150 MiB upload"
    assert s3.fs.size(s3.path("up/big.bin")) == size


@pytest.mark.parametrize("listed_big", [False, True], ids=["one-copy", "copy-in-parts-path"])
def test_same_bucket_copy_uses_the_listed_size(s3, fault_proxy, monkeypatch, listed_big):
    """CopyObject without a HEAD first; a file listed as too big for one CopyObject is copied
    in parts after one HEAD (for the metadata the parts must be given again)."""
    if listed_big:
        monkeypatch.setattr(s3_copy, "S3_COPY_LIMIT", 100)
    data = os.urandom(1000)
    s3.fs.pipe_file(s3.path("a/f.bin"), data)
    proxy = fault_proxy()
    backend, _ = unwrap(_s3_dst(s3, proxy.endpoint), "")
    src, dst = s3.path("a/f.bin"), s3.path("b/f.bin")
    assert transfer.copy_file(backend, src, backend, dst, size=len(data)) == len(data)
    methods = [m for _i, m, p, _o in proxy.log if "f.bin" in p]
    assert methods.count("HEAD") == (1 if listed_big else 0)
    assert s3.fs.cat(dst) == data


def test_uploads_over_https_with_the_default_checksums(tmp_path, monkeypatch):
    """Over HTTPS botocore does not hash the body for the signature and, by default, sends it
    aws-chunked with a trailing CRC32: the path real S3 takes. Every upload size, one sync."""
    import s3fs

    from fsspeckit import filesystem, sync_dir
    from tests.servers import S3Server

    monkeypatch.delenv("AWS_REQUEST_CHECKSUM_CALCULATION", raising=False)
    monkeypatch.delenv("AWS_RESPONSE_CHECKSUM_VALIDATION", raising=False)
    _small_parts(monkeypatch, from_mib=12)
    files = {"small.txt": os.urandom(1000), "mid.bin": os.urandom(s3_upload.STREAM_FROM + 1),
             "parts.bin": os.urandom(17 * 2**20)}  # in memory, one streamed PUT, 4 parts
    src = tmp_path / "src"
    src.mkdir()
    for name, data in files.items():
        (src / name).write_bytes(data)
    with S3Server(tls=True) as server:
        options = server.storage_options()
        assert options["endpoint_url"].startswith("https://")
        fs = s3fs.S3FileSystem(**options, skip_instance_cache=True)
        fs.mkdir("tls-bucket")
        result = sync_dir(filesystem("/"), filesystem("s3://tls-bucket/up", storage_options=options), str(src), "")
        assert result.ok and sorted(result.copied) == sorted(files)
        for name, data in files.items():
            assert fs.cat(f"tls-bucket/up/{name}") == data
        assert fs.info("tls-bucket/up/parts.bin")["ETag"].strip('"').endswith("-4")


@pytest.mark.parametrize("in_parts", [False, True], ids=["copyobject", "copy-in-parts"])
def test_server_side_copy_keeps_the_stored_time_and_type(s3, monkeypatch, in_parts):
    """A copy in parts carries no metadata unless it is given again: s3fs copies anything over
    150 MiB in parts, so a moved 220 MB object lost rclone's mtime (rclone then re-uploaded it)."""
    import s3fs.core

    monkeypatch.setattr(s3fs.core, "MANAGED_COPY_THRESHOLD", 100)  # s3fs's own limit plays no part
    if in_parts:
        monkeypatch.setattr(s3_copy, "S3_COPY_LIMIT", 100)  # as an object over 5 GiB would go
    bucket, key, _ = s3.fs.split_path(s3.path("meta/a.csv"))
    s3.fs.call_s3("put_object", Bucket=bucket, Key=key, Body=os.urandom(1000), ContentType="text/csv",
                  Metadata={"mtime": "1700000000.123456789"})
    backend, _ = unwrap(_s3_dst(s3), "")
    assert transfer.copy_file(backend, s3.path("meta/a.csv"), backend, s3.path("meta/b.csv"), size=1000) == 1000
    _, key_b, _ = s3.fs.split_path(s3.path("meta/b.csv"))
    head = s3.fs.call_s3("head_object", Bucket=bucket, Key=key_b)
    assert head["Metadata"] == {"mtime": "1700000000.123456789"}
    assert head["ContentType"] == "text/csv"
    assert s3.fs.cat(s3.path("meta/b.csv")) == s3.fs.cat(s3.path("meta/a.csv"))
