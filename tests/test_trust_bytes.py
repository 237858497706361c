"""Damaged, torn, short and stalled bytes are never called copied, and the good copy stays.

Every attack goes through a real HTTP proxy on loopback in front of moto's S3
server: it flips a byte of a body, answers a consistent but short body,
stalls half-way, or lets the object be rewritten between the ranges of one
download.
"""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.model.entries import PARTIAL_MARK


def _files(n: int, size: int) -> dict[str, bytes]:
    return {f"d/f{i:03d}.bin": hashlib.sha256(str(i).encode()).digest() * (size // 32) for i in range(n)}


def _md5s(root) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.md5(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def _through(s3, proxy):
    return filesystem(f"s3://{s3.bucket}", storage_options=dict(s3.options, endpoint_url=proxy.endpoint))


def _object_gets(req) -> bool:
    return req.method == "GET" and bool(req.key) and "list-type" not in req.path


@pytest.mark.parametrize("verify", ["size", "checksum"])
def test_flipped_bytes_in_downloads_are_never_called_copied(s3, fault_proxy, tmp_path, fast_retries, verify):
    files = _files(40, 20_000)
    for rel, data in files.items():
        s3.fs.pipe_file(s3.path(rel), data)  # single PUTs: the ETag is the MD5
    out = tmp_path / "out"
    # The old, good versions of a few files are already there.
    out.joinpath("d").mkdir(parents=True)
    old = {rel: b"old good version " + rel.encode() for rel in list(files)[:10]}
    for rel, data in old.items():
        (out / rel).write_bytes(data)
    proxy = fault_proxy(flip_rate=0.3, seed=11, predicate=_object_gets)
    src = _through(s3, proxy)
    result = sync_dir(src, filesystem("/"), "/", str(out), n_jobs=4, retries=0, verify=verify, delete=False, raise_on_error=False)
    flipped = proxy.failed
    assert flipped >= 5
    damaged = {o.path for o in result.outcomes if o.outcome == "failed"}
    assert len(damaged) == flipped  # each flipped body failed its file (no retries here)
    assert all("MD5" in o.error for o in result.outcomes if o.outcome == "failed")
    got = _md5s(out)
    for rel in files:
        if rel in damaged:
            # never renamed over the old version; a new file is simply not there
            expect = hashlib.md5(old[rel]).hexdigest() if rel in old else None
            assert got.get(rel) == expect, rel
        else:
            assert got[rel] == hashlib.md5(files[rel]).hexdigest(), rel
    assert not [p for p in out.rglob("*") if PARTIAL_MARK in p.name]
    # A clean rerun copies exactly the damaged files; nothing is "skipped forever".
    proxy.flip_rate = 0
    again = sync_dir(src, filesystem("/"), "/", str(out), n_jobs=4, verify=verify, delete=False)
    assert again.ok and sorted(again.copied + again.updated) == sorted(damaged)
    assert _md5s(out) == {k: hashlib.md5(v).hexdigest() for k, v in files.items()}


def test_flipped_bytes_are_retried_until_they_arrive_intact(s3, fault_proxy, tmp_path, fast_retries):
    files = _files(30, 10_000)
    for rel, data in files.items():
        s3.fs.pipe_file(s3.path(rel), data)
    proxy = fault_proxy(flip_rate=0.3, seed=5, predicate=_object_gets)
    out = tmp_path / "out"
    result = sync_dir(_through(s3, proxy), filesystem("/"), "/", str(out), n_jobs=3, retries=8, backoff=0.01)
    assert result.ok, result.summary()
    assert proxy.failed >= 5
    assert _md5s(out) == {k: hashlib.md5(v).hexdigest() for k, v in files.items()}


def test_object_rewritten_while_its_download_resumes_is_never_torn(s3, fault_proxy, tmp_path, fast_retries):
    old, new = b"O" * 3_000_000, b"N" * 3_000_000
    s3.fs.pipe_file(s3.path("big.bin"), old)
    out = tmp_path / "out"
    out.mkdir()
    (out / "big.bin").write_bytes(b"the destination's previous version")
    proxy = fault_proxy(drop_rate=1.0, seed=1, predicate=lambda r: _object_gets(r) and "big.bin" in r.path)
    rewritten = []

    def rewrite(req):
        # the first GET is dropped half-way; before the resumed range, the object is rewritten
        if _object_gets(req) and "big.bin" in req.path and req.headers.get("Range") and not rewritten:
            s3.fs.pipe_file(s3.path("big.bin"), new)
            rewritten.append(req.headers.get("Range"))
            proxy.drop_rate = 0

    proxy.on_forward = rewrite
    result = sync_dir(_through(s3, proxy), filesystem("/"), "/", str(out), retries=2, backoff=0.01, raise_on_error=False)
    assert rewritten, "the download never resumed"
    data = (out / "big.bin").read_bytes()
    assert data in (b"the destination's previous version", new), "a torn file: half old, half new"
    outcome = {o.path: o for o in result.outcomes}["big.bin"]
    if data != new:
        assert outcome.outcome == "failed" and "rewritten" in outcome.error
    # the next run copies the new version whole
    again = sync_dir(_through(s3, proxy), filesystem("/"), "/", str(out))
    assert again.ok and (out / "big.bin").read_bytes() == new


def test_short_but_well_formed_bodies_are_retried(s3, fault_proxy, tmp_path, fast_retries):
    files = _files(20, 30_000)
    for rel, data in files.items():
        s3.fs.pipe_file(s3.path(rel), data)
    proxy = fault_proxy(short_rate=0.4, seed=2, predicate=_object_gets)
    out = tmp_path / "out"
    result = sync_dir(_through(s3, proxy), filesystem("/"), "/", str(out), n_jobs=3, retries=8, backoff=0.01)
    assert proxy.failed >= 4
    assert result.ok, result.summary()
    assert _md5s(out) == {k: hashlib.md5(v).hexdigest() for k, v in files.items()}


def test_a_stalled_download_ends_with_a_clear_error_within_the_timeout(s3, fault_proxy, tmp_path, fast_retries,
                                                                      monkeypatch):
    from fsspeckit.backends.s3 import download as s3_download

    s3.fs.pipe_file(s3.path("stuck.bin"), b"x" * 500_000)
    monkeypatch.setattr(s3_download, "STALL_TIMEOUT", 1.0)
    proxy = fault_proxy(stall_rate=1.0, stall_seconds=60, predicate=_object_gets)
    out = tmp_path / "out"
    t0 = time.monotonic()
    result = sync_dir(_through(s3, proxy), filesystem("/"), "/", str(out), retries=1, backoff=0.01, raise_on_error=False)
    took = time.monotonic() - t0
    assert took < 20, took
    [o] = [o for o in result.outcomes if o.path == "stuck.bin"]
    assert o.outcome == "failed" and "no byte for 1 s" in o.error
    assert not out.joinpath("stuck.bin").exists()
    assert not [p for p in out.rglob("*") if PARTIAL_MARK in p.name] if out.exists() else True


def test_multipart_objects_are_verified_by_the_md5_their_upload_kept(s3, fault_proxy, tmp_path, fast_retries,
                                                                     monkeypatch):
    # A multipart object's ETag is no MD5 (it ends in -N): before, its download was checked
    # by size only, and a flipped byte was called copied. Our multipart uploads keep the
    # whole file's MD5 as rclone does (md5chksum); a download checks the bytes against it.
    import base64

    from fsspeckit.backends.s3 import upload as s3_upload

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    src = tmp_path / "src"
    src.mkdir()
    data = {f"big{i}.bin": hashlib.sha256(str(i).encode()).digest() * (12 * 2**20 // 32) for i in range(3)}
    for rel, body in data.items():
        (src / rel).write_bytes(body)
    up = sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}", storage_options=s3.options), str(src), "mp")
    assert up.ok
    for rel, body in data.items():
        head = s3.fs.call_s3("head_object", Bucket=s3.bucket, Key=f"mp/{rel}")
        assert head["ETag"].strip('"').endswith("-3"), "uploaded in parts"
        assert head["Metadata"]["md5chksum"] == base64.b64encode(hashlib.md5(body).digest()).decode()
    out = tmp_path / "out"
    out.mkdir()
    (out / "big0.bin").write_bytes(b"the old, good version")
    proxy = fault_proxy(flip_rate=1.0, seed=3, predicate=_object_gets)
    down = sync_dir(_through(s3, proxy), filesystem("/"), "/mp", str(out), n_jobs=2, retries=0, delete=False,
                    raise_on_error=False)
    assert proxy.failed >= 3
    assert not down.copied and not down.updated and len(down.failed) == 3
    assert all("MD5" in o.error for o in down.failed)
    assert sorted(p.name for p in out.iterdir()) == ["big0.bin"] and (out / "big0.bin").read_bytes() == b"the old, good version"
    proxy.flip_rate = 0
    again = sync_dir(_through(s3, proxy), filesystem("/"), "/mp", str(out), n_jobs=2, delete=False)
    assert again.ok and _md5s(out) == {k: hashlib.md5(v).hexdigest() for k, v in data.items()}


@pytest.mark.parametrize("value", ["not base64!", "c2hvcnQ=", ""])
def test_a_bad_md5chksum_is_not_taken_for_a_hash(value):
    from fsspeckit.backends.s3.download import whole_file_md5

    assert whole_file_md5({"md5chksum": value}) is None
    assert whole_file_md5({"Md5chksum": "1B2M2Y8AsgTpgAmY7PhCfg=="}) == "d41d8cd98f00b204e9800998ecf8427e"


def test_downloads_without_an_md5_are_checked_by_the_crc32c_the_store_lists(tmp_path):
    # A store that lists a CRC32C and no MD5 (a composite GCS object): a download whose
    # bytes do not match it fails and the old version stays; intact bytes are copied.
    import base64

    import google_crc32c
    from fsspec.implementations.memory import MemoryFileSystem

    class CrcOnly(MemoryFileSystem):
        protocol = ("crconly",)
        flip = True

        def _crc(self, path):
            return base64.b64encode(google_crc32c.Checksum(self.store[self._strip_protocol(path)].getvalue()).digest()).decode()

        def find(self, path, maxdepth=None, withdirs=False, detail=False, **kwargs):
            out = super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
            if detail:
                for name, d in out.items():
                    if d["type"] == "file":
                        d["crc32c"] = self._crc(name)
            return out

        def info(self, path, **kwargs):
            d = super().info(path, **kwargs)
            if d["type"] == "file":
                d["crc32c"] = self._crc(path)
            return d

        def _open(self, path, mode="rb", **kwargs):
            f = super()._open(path, mode, **kwargs)
            if "r" in mode and self.flip:
                read = f.read

                def flipped(n=-1):  # memory files may be reused: ask the class at each read
                    data = read(n)
                    return bytes([data[0] ^ 1]) + data[1:] if data and CrcOnly.flip else data

                f.read = flipped
            return f

    from fsspec.implementations.dirfs import DirFileSystem

    backend = CrcOnly(skip_instance_cache=True)
    root = f"/crc-{os.getpid()}-{time.monotonic_ns()}"
    backend.pipe_file(f"{root}/a.bin", b"the new version " * 100)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.bin").write_bytes(b"old good")
    src = DirFileSystem(path=root, fs=backend)
    result = sync_dir(src, filesystem(str(out)), "", "", retries=0, raise_on_error=False)
    assert [o.outcome for o in result.outcomes] == ["failed"] and "CRC32C" in result.outcomes[0].error
    assert (out / "a.bin").read_bytes() == b"old good"
    assert not [p for p in out.rglob("*") if PARTIAL_MARK in p.name]
    CrcOnly.flip = False
    assert sync_dir(src, filesystem(str(out)), "", "").ok
    assert (out / "a.bin").read_bytes() == b"the new version " * 100
