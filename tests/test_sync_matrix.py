"""One sync scenario over every pair of backends, on real endpoints.

A tree with unicode and spaces in names, empty files, deep folders and hive
partitions is mirrored; a rerun copies nothing; files are then changed in place
(same size, new content), deleted and added, and a second sync converges again.
"""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.backends.filesystem import unwrap
from fsspeckit.listing.tree import list_tree

TREE = {
    "a.txt": b"alpha\n",
    "empty.bin": b"",
    "dir with space/naïve café.txt": "unicodé ✓\n".encode(),
    "deep/1/2/3/4/5/leaf.json": b'{"leaf": true}\n',
    "sales/year=2023/month=01/part-0.csv": b"id,amount\n1,10\n",
    "sales/year=2023/month=02/part-0.csv": b"id,amount\n2,20\n",
    "sales/year=2024/month=01/region=eu%20west/part-0.csv": b"id,amount\n3,30\n",
    "same/size.dat": b"0123456789",
}


def _digest_tree(fs, path) -> dict[str, tuple[int, str]]:
    """{relative path: (size, md5)} by reading every file back."""
    listing = list_tree(fs, path)
    backend, _ = unwrap(fs, path)
    out = {}
    for rel, entry in listing.entries.items():
        data = backend.cat_file(listing.root.rstrip("/") + "/" + rel if listing.root else rel)
        out[rel] = (entry.size, hashlib.md5(data).hexdigest())
    return out


class Side:
    """One end of a sync: a filesystem rooted somewhere, plus a writer for setup."""

    def __init__(self, fs, path: str, label: str):
        self.fs, self.path, self.label = fs, path, label

    def write(self, rel: str, data: bytes) -> None:
        backend, root = unwrap(self.fs, self.path)
        full = (root.rstrip("/") + "/" + rel) if root else rel
        if backend.protocol in ("file", "local") or "file" in backend.protocol:
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
        else:
            backend.pipe_file(full, data)
            backend.invalidate_cache()

    def remove(self, rel: str) -> None:
        backend, root = unwrap(self.fs, self.path)
        backend.rm_file((root.rstrip("/") + "/" + rel) if root else rel)
        backend.invalidate_cache()

    def digest(self):
        backend, _ = unwrap(self.fs, self.path)
        backend.invalidate_cache()
        return _digest_tree(self.fs, self.path)


def make_side(kind: str, request, tmp_path, name: str) -> Side:
    if kind == "local":
        return Side(filesystem("/"), str(tmp_path / name), "local")
    if kind == "memory":
        fs = filesystem(f"memory://{name}-{time.monotonic_ns()}")
        return Side(fs, "/tree", "memory")
    if kind == "s3":
        h = request.getfixturevalue("s3")
        return Side(filesystem(f"s3://{h.bucket}", storage_options=h.options), f"/{name}", "s3")
    if kind == "s3_same":  # second side in the same bucket as the first s3 side
        h = request.getfixturevalue("s3")
        return Side(filesystem(f"s3://{h.bucket}", storage_options=h.options), f"/{name}", "s3")
    if kind == "gcs":
        h = request.getfixturevalue("gcs")
        return Side(filesystem(f"gs://{h.bucket}", storage_options=h.options), f"/{name}", "gcs")
    raise AssertionError(kind)


PAIRS = [
    ("local", "local"),
    ("memory", "local"),
    ("local", "s3"),
    ("s3", "local"),
    ("s3", "s3_same"),
    ("s3", "gcs"),
    ("local", "gcs"),
    ("gcs", "local"),
]


def _workers(src: Side, dst: Side) -> int:
    return 2 if "gcs" in (src.label, dst.label) else 8


@pytest.mark.parametrize("src_kind,dst_kind", PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_mirror_converges(src_kind, dst_kind, request, tmp_path):
    src = make_side(src_kind, request, tmp_path, "src")
    dst = make_side(dst_kind, request, tmp_path, "dst")
    for rel, data in TREE.items():
        src.write(rel, data)
    # Something only on the destination, to be deleted by the mirror.
    dst.write("stale/old.txt", b"old")
    n = _workers(src, dst)

    first = sync_dir(src.fs, dst.fs, src.path, dst.path, n_jobs=n)
    assert first.ok, first.errors
    assert sorted(first.copied) == sorted(TREE)
    assert first.deleted == ["stale/old.txt"]
    assert dst.digest() == src.digest()

    again = sync_dir(src.fs, dst.fs, src.path, dst.path, n_jobs=n)
    assert again.copied == [] and again.updated == [] and again.deleted == [], again.summary()

    src.write("same/size.dat", b"abcdefghij")  # same size, new content
    src.write("a.txt", b"ALPHA\n")
    src.remove("empty.bin")
    src.write("sales/year=2024/month=02/part-0.csv", b"id,amount\n4,40\n")
    second = sync_dir(src.fs, dst.fs, src.path, dst.path, n_jobs=n)
    assert second.ok, second.errors
    assert sorted(second.updated) == ["a.txt", "same/size.dat"], second.summary()
    assert second.copied == ["sales/year=2024/month=02/part-0.csv"]
    assert second.deleted == ["empty.bin"]
    assert dst.digest() == src.digest()

    third = sync_dir(src.fs, dst.fs, src.path, dst.path, n_jobs=n)
    assert third.copied == [] and third.updated == [] and third.deleted == [], third.summary()


def test_local_destination_keeps_source_times(tmp_path, local_tree):
    src = local_tree({"x/y.txt": b"data"})
    os.utime(src / "x/y.txt", (1_000_000_000, 1_000_000_000))
    dst = tmp_path / "out"
    sync_dir(filesystem("/"), filesystem("/"), str(src), str(dst))
    assert os.stat(dst / "x/y.txt").st_mtime == pytest.approx(1_000_000_000, abs=1e-3)


def test_same_bucket_copy_is_server_side(s3, tmp_path, fault_proxy):
    """S3 -> S3 in one bucket sends CopyObject, never the bytes through the client."""
    proxy = fault_proxy()
    options = dict(s3.options, endpoint_url=proxy.endpoint)
    for i in range(5):
        s3.fs.pipe_file(s3.path(f"src/f{i}.bin"), os.urandom(100_000))
    fs = filesystem(f"s3://{s3.bucket}", storage_options=options)
    proxy.reset_counters()
    result = sync_dir(fs, fs, "/src", "/dst")
    assert result.ok and len(result.copied) == 5
    log = [(method, path) for _index, method, path, _outcome in proxy.log]
    object_gets = [p for m, p in log if m == "GET" and "/src/f" in p]
    assert object_gets == [], "object bytes were read through the client"
    puts = [p for m, p in log if m == "PUT" and "/dst/f" in p]
    assert len(puts) == 5  # one CopyObject per file
    assert [p for m, p in log if m == "HEAD" and "/src/f" in p] == []  # the listing's sizes are used
    assert proxy.requests_seen <= 5 + 6  # listings + one request per file


def test_local_to_s3_rerun_needs_no_hashing_when_times_are_clear(s3, local_tree, monkeypatch):
    src = local_tree({f"f{i}.txt": b"x" * 10 for i in range(5)})
    old = time.time() - 3600
    for i in range(5):
        os.utime(src / f"f{i}.txt", (old, old))
    dst = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    assert sync_dir(filesystem("/"), dst, str(src), "/d").ok
    import fsspeckit.planning.hashing as hashing

    calls = []
    monkeypatch.setattr(hashing, "file_md5", lambda *a, **k: calls.append(a) or "0" * 32)
    again = sync_dir(filesystem("/"), dst, str(src), "/d")
    assert again.copied == [] and again.updated == [] and calls == []
    # the counter is where hashing happens: a checksum comparison goes through it
    sync_dir(filesystem("/"), dst, str(src), "/d", compare="checksum", dry_run=True)
    assert len(calls) == 5
