"""Uploads to S3: a damaged body never passes for a copy, and a source that changes on the way
never costs the good copy already on the destination.

Against moto's S3 server on loopback, through a real HTTP proxy that flips a
byte of request bodies (moto, unlike S3, checks no Content-MD5: it stores the
damaged bytes, so only our own check stands between them and a "copied").
Three sizes take three paths: read into memory and one PUT, one PUT streamed
from disk, and a multipart upload (made small here by shrinking the parts).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time

import fsspec
import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.backends.s3 import upload as s3_upload
from fsspeckit.exceptions import SourceChangedError
from fsspeckit.backends.filesystem import unwrap
from fsspeckit.backends.transfer import copy_file

SIZES = {"memory": 300_000, "streamed": s3_upload.STREAM_FROM + 4096, "multipart": 11 * 2**20}


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)


def _data(seed: int, size: int) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def _through(s3, proxy, prefix: str = ""):
    return filesystem(f"s3://{s3.bucket}/{prefix}".rstrip("/"), storage_options=dict(s3.options, endpoint_url=proxy.endpoint))


def _object_puts(req) -> bool:
    return req.method == "PUT" and bool(req.key)


def test_damaged_upload_bodies_are_never_called_copied(s3, fault_proxy, tmp_path, fast_retries, small_parts):
    src = tmp_path / "src"
    src.mkdir()
    files = {f"{kind}-{i}.bin": _data(i * 7 + len(kind), size) for kind, size in SIZES.items() for i in range(3)}
    files.update({f"small-{i}.txt": _data(100 + i, 2000) for i in range(30)})
    for name, data in files.items():
        (src / name).write_bytes(data)
    proxy = fault_proxy(put_flip_rate=0.3, predicate=_object_puts, seed=3)
    result = sync_dir(filesystem("/"), _through(s3, proxy), str(src), "", retries=0, raise_on_error=False)
    assert proxy.failed >= 5, proxy.failed
    stored = {p.rsplit("/", 1)[-1]: s3.fs.cat(p) for p in s3.fs.find(s3.bucket)}
    for o in result.outcomes:
        if o.outcome == "copied":
            assert stored[o.path] == files[o.path], f"{o.path} was reported copied with damaged bytes"
        else:
            assert o.outcome == "failed" and "damaged" in o.error, (o.path, o.outcome, o.error)
    # no damaged object stays behind to pass for a copy on the next run
    assert all(stored[name] == files[name] for name in stored), sorted(n for n in stored if stored[n] != files[n])
    failed = [o for o in result.outcomes if o.outcome == "failed"]
    assert failed and not result.ok
    # and with retries, every file arrives intact
    again = sync_dir(filesystem("/"), _through(s3, proxy), str(src), "", retries=10, backoff=0.01)
    assert again.ok, again.summary()
    assert {p.rsplit("/", 1)[-1]: hashlib.md5(s3.fs.cat(p)).hexdigest() for p in s3.fs.find(s3.bucket)} == {
        k: hashlib.md5(v).hexdigest() for k, v in files.items()}


def test_every_upload_request_carries_the_md5_of_its_body(s3, fault_proxy, tmp_path, small_parts):
    seen: list[tuple[str, str | None]] = []
    proxy = fault_proxy(predicate=_object_puts)
    proxy.on_forward = lambda req: seen.append((req.path, req.headers.get("Content-MD5"))) if _object_puts(req) else None
    src = tmp_path / "src"
    src.mkdir()
    for kind, size in SIZES.items():
        (src / f"{kind}.bin").write_bytes(_data(len(kind), size))
    result = sync_dir(filesystem("/"), _through(s3, proxy), str(src), "")
    assert result.ok, result.summary()
    assert len(seen) == 1 + 1 + 3, seen  # one PUT, one PUT, three parts
    assert all(md5 for _path, md5 in seen), seen
    small = (src / "memory.bin").read_bytes()
    [md5] = [m for p, m in seen if "memory.bin" in p]
    assert md5 == base64.b64encode(hashlib.md5(small).digest()).decode()


@pytest.mark.parametrize("kind", list(SIZES))
def test_a_source_changed_during_its_upload_never_costs_the_old_copy(s3, tmp_path, small_parts, kind):
    size = SIZES[kind]
    old, new = _data(1, size), _data(2, size)
    s3.fs.pipe_file(s3.path("t/f.bin"), old)
    src = tmp_path / "f.bin"
    src.write_bytes(new)
    st = src.stat()
    changed = threading.Event()

    def rewrite_once(n):  # the file changes while its bytes are being read
        if n and not changed.is_set():
            changed.set()
            with open(src, "r+b") as f:
                f.seek(size // 2)
                f.write(b"CHANGED!")
            os.utime(src, (st.st_mtime + 5, st.st_mtime + 5))

    dst_fs, dst_path = unwrap(filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options), "f.bin")
    if kind == "memory":
        # read whole before any request: the change comes too late to matter, and what is
        # stored is exactly the listed version, never a mix
        copy_file(fsspec.filesystem("file"), str(src), dst_fs, dst_path, size=size, mtime=st.st_mtime,
                  on_bytes=rewrite_once)
        assert s3.fs.cat(s3.path("t/f.bin")) == new
        return
    with pytest.raises(SourceChangedError, match="changed"):
        copy_file(fsspec.filesystem("file"), str(src), dst_fs, dst_path, size=size, mtime=st.st_mtime,
                  on_bytes=rewrite_once)
    assert changed.is_set()
    assert s3.fs.cat(s3.path("t/f.bin")) == old, "the old, good object was lost"
    uploads = s3.fs.call_s3("list_multipart_uploads", Bucket=s3.bucket).get("Uploads", [])
    assert not uploads


def test_a_source_rewritten_during_a_sync_keeps_old_or_listed_bytes_on_the_destination(s3, tmp_path, small_parts):
    """A writer keeps rewriting the source files while an update runs: every destination
    object ends either as it was or as one whole version of its source, never missing."""
    src = tmp_path / "src"
    src.mkdir()
    names = [f"{kind}.bin" for kind in SIZES] + [f"s{i}.txt" for i in range(20)]
    sizes = {n: SIZES.get(n[:-4], 5000) for n in names}
    old = {n: _data(hash(n) % 1000, sizes[n]) for n in names}
    for n in names:
        s3.fs.pipe_file(s3.path(f"t/{n}"), old[n])
    versions = {n: [_data(1000 + i, sizes[n]) for i in range(2)] for n in names}
    for n in names:
        (src / n).write_bytes(versions[n][0])
        os.utime(src / n, (time.time() + 60, time.time() + 60))  # newer than the objects
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            for n in names:
                (src / n).write_bytes(versions[n][1])
            time.sleep(0.005)

    t = threading.Thread(target=writer)
    t.start()
    try:
        result = sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options),
                          str(src), "", retries=0, raise_on_error=False)
    finally:
        stop.set()
        t.join()
    for n in names:
        got = s3.fs.cat(s3.path(f"t/{n}"))
        assert got in (old[n], *versions[n]), f"{n}: the destination holds a mix or nothing"
    for o in result.outcomes:
        if o.outcome == "failed":
            assert "changed" in o.error, o.error


def test_damaged_uploads_to_gcs_are_never_called_copied(gcs, tmp_path):
    """gcsfs compares the MD5 GCS reports for an upload with the bytes sent (we turn that on);
    a damaged object is removed, so it never passes for a copy on the next run."""
    from tests.servers import FaultProxy

    src = tmp_path / "src"
    src.mkdir()
    files = {f"f{i}.txt": _data(200 + i, 3000) for i in range(12)}
    for name, data in files.items():
        (src / name).write_bytes(data)
    uploads = lambda req: req.method == "POST" and "upload" in req.path  # noqa: E731
    with FaultProxy(gcs.server.endpoint, put_flip_rate=0.4, predicate=uploads, seed=5) as proxy:
        opts = dict(gcs.options, endpoint_url=proxy.endpoint)
        dst = filesystem(f"gs://{gcs.bucket}/up", storage_options=opts)
        result = sync_dir(filesystem("/"), dst, str(src), "", retries=0, max_workers=1, raise_on_error=False)
        assert proxy.failed >= 2
    stored = {p.rsplit("/", 1)[-1]: gcs.fs.cat(p) for p in gcs.fs.find(f"{gcs.bucket}/up")}
    assert all(stored[n] == files[n] for n in stored), "a damaged object was left on the bucket"
    for o in result.outcomes:
        if o.outcome == "copied":
            assert stored[o.path] == files[o.path]
        else:
            assert o.outcome == "failed" and "damaged" in o.error, (o.path, o.error)
    assert result.failed


@pytest.mark.parametrize("kind", ["streamed", "multipart"])
def test_upload_progress_follows_the_pass_on_the_wire(s3, tmp_path, small_parts, kind):
    """botocore reads a body once to hash it before sending it (plain http): that pass is taken
    back when the body is rewound, so progress never runs ahead to 100 % before the send."""
    size = SIZES[kind]
    src = tmp_path / "f.bin"
    src.write_bytes(_data(9, size))
    steps: list[int] = []
    dst_fs, dst_path = unwrap(filesystem(f"s3://{s3.bucket}/p", storage_options=s3.options), "f.bin")
    copy_file(fsspec.filesystem("file"), str(src), dst_fs, dst_path, size=size, mtime=src.stat().st_mtime,
              on_bytes=steps.append)
    running, peak = 0, 0
    for n in steps:
        running += n
        peak = max(peak, running)
        assert running >= 0
    assert running == size and peak <= size
    assert any(n < 0 for n in steps), "the hashing pass was counted as sent"
