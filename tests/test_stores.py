"""Store families: each offers the same capabilities (list, server-side copy, bulk delete), each the way its store does."""

from __future__ import annotations

import pytest
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from fsspeckit.backends import generic
from fsspeckit.backends.gcs import GCSStore
from fsspeckit.backends.local import LocalStore
from fsspeckit.backends.s3 import S3Store
from fsspeckit.backends.s3 import delete as s3_delete
from fsspeckit.backends.stores import FAMILIES, store_of

CAPABILITIES = ("find", "upload", "download", "server_copy", "delete_batches", "delete_batch")


def test_every_family_offers_the_same_capabilities():
    for family in (*FAMILIES, generic.Store()):
        assert isinstance(family, generic.Store), family
        for name in CAPABILITIES:
            assert callable(getattr(family, name)), (family.name, name)


def test_each_filesystem_gets_its_family(tmp_path):
    assert isinstance(store_of(LocalFileSystem()), LocalStore)
    assert type(store_of(MemoryFileSystem())) is generic.Store


def test_s3_deletes_many_keys_in_few_requests(s3, monkeypatch):
    monkeypatch.setattr(s3_delete, "S3_DELETE_BATCH", 2)
    store = store_of(s3.fs)
    assert isinstance(store, S3Store)
    paths = [s3.path(f"d/{i}.txt") for i in range(5)]
    for p in paths:
        s3.fs.pipe_file(p, b"x")
    s3.fs.pipe_file(s3.path("keep.txt"), b"k")
    batches = store.delete_batches(s3.fs, paths)
    assert [len(b) for b in batches] == [2, 2, 1] and sorted(sum(batches, [])) == sorted(paths)
    for batch in batches:
        assert store.delete_batch(s3.fs, batch) == set()
    assert s3.fs.find(s3.bucket) == [s3.path("keep.txt")]


def test_s3_lists_and_copies_inside_the_store(s3):
    store = store_of(s3.fs)
    s3.fs.pipe_file(s3.path("a/f.bin"), b"0123456789")
    found = store.find(s3.fs, s3.path("a"))
    assert list(found) == [s3.path("a/f.bin")] and found[s3.path("a/f.bin")]["size"] == 10
    store.server_copy(s3.fs, s3.path("a/f.bin"), s3.path("b/f.bin"), 10)
    assert s3.fs.cat_file(s3.path("b/f.bin")) == b"0123456789"


def test_gcs_is_its_own_family_and_has_no_bulk_delete(gcs):
    store = store_of(gcs.fs)
    assert isinstance(store, GCSStore)
    gcs.fs.pipe_file(gcs.path("a.txt"), b"a")
    assert store.delete_batches(gcs.fs, [gcs.path("a.txt")]) == []
    assert list(store.find(gcs.fs, gcs.bucket)) == [gcs.path("a.txt")]
    with pytest.raises(NotImplementedError):
        store.delete_batch(gcs.fs, [gcs.path("a.txt")])


def test_only_s3_uploads_its_own_way_the_others_are_streamed(s3, tmp_path):
    assert store_of(s3.fs).uploads and not store_of(MemoryFileSystem()).uploads
    with pytest.raises(NotImplementedError):
        generic.Store().upload(MemoryFileSystem(), "a", "b", 1, None, None, None)
    src = tmp_path / "f.bin"
    src.write_bytes(b"abc")
    seen = []
    store_of(s3.fs).upload(s3.fs, str(src), s3.path("up/f.bin"), 3, seen.append, None, None)
    assert s3.fs.cat_file(s3.path("up/f.bin")) == b"abc" and sum(seen) == 3


def test_s3_downloads_its_own_way_and_checks_the_bytes(s3, tmp_path):
    from fsspeckit.exceptions import VerificationError

    store = store_of(s3.fs)
    assert store.downloads and not store_of(MemoryFileSystem()).downloads
    assert store.bulk_deletes and not store_of(MemoryFileSystem()).bulk_deletes
    s3.fs.pipe_file(s3.path("f.bin"), b"abc")
    seen = []
    n = store.download(s3.fs, s3.path("f.bin"), str(tmp_path / "f.bin"), 3, None,
                       "900150983cd24fb0d6963f7d28e17f72", seen.append, None)
    assert n == 3 and (tmp_path / "f.bin").read_bytes() == b"abc" and sum(seen) == 3
    with pytest.raises(VerificationError):  # the listing's MD5 is not the bytes' MD5: not a copy
        store.download(s3.fs, s3.path("f.bin"), str(tmp_path / "g.bin"), 3, None, "0" * 32, seen.append, None)
