"""Listings say how many files they found so far: local folders and S3 pages."""

from __future__ import annotations

import pytest

from fsspeckit.backends.s3 import listing as s3_listing
from fsspeckit.listing import tree as listing
from fsspeckit.backends.filesystem import filesystem
from fsspeckit.listing.tree import list_tree


def test_local_listing_reports_files_found_as_it_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(listing, "PROGRESS_INTERVAL", 0.0)
    for d in range(5):
        (tmp_path / f"d{d}").mkdir()
        for f in range(4):
            (tmp_path / f"d{d}" / f"f{f}.txt").write_bytes(b"x")
    seen: list[int] = []
    result = list_tree(filesystem(str(tmp_path)), progress=seen.append)
    assert len(result) == 20
    assert len(seen) >= 5 and seen == sorted(seen) and seen[-1] == 20  # counts move, per folder


def test_a_failing_progress_callback_does_not_stop_the_listing(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"a")

    def broken(n):
        raise RuntimeError("drawing failed")

    assert len(list_tree(filesystem(str(tmp_path)), progress=broken)) == 1


@pytest.mark.parametrize("first_page", [1, 1000])
def test_s3_listing_reports_pages_as_they_come(s3, monkeypatch, first_page):
    monkeypatch.setattr(listing, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(s3_listing, "FIRST_PAGE", first_page)
    for year in (2023, 2024, 2025):
        for i in range(3):
            s3.fs.pipe_file(s3.path(f"root/year={year}/{i}.bin"), b"x")
    s3.fs.invalidate_cache()
    seen: list[int] = []
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    result = list_tree(fs, "root", progress=seen.append)
    assert len(result) == 9 and seen and seen[-1] == 9 and seen == sorted(seen)
    if first_page == 1:
        assert len(seen) >= 3  # the first page, then each folder's listing


def test_whole_bucket_listing_is_counted_and_equals_a_plain_find(s3, monkeypatch):
    monkeypatch.setattr(listing, "PROGRESS_INTERVAL", 0.0)
    for key in ("a.txt", "sub/b.txt", "sub/deeper/c.txt", "marker/", "x//y"):
        s3.fs.pipe_file(s3.path(key), b"z")
    s3.fs.invalidate_cache()
    seen: list[int] = []
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    result = list_tree(fs, "", progress=seen.append)
    s3.fs.invalidate_cache()
    plain = s3.fs.find(s3.bucket, withdirs=False, detail=True)
    s3.fs.invalidate_cache()
    assert sorted(s3_listing.find_files(s3.fs, s3.bucket)) == sorted(plain)
    assert sorted(result.entries) == ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]
    assert seen and seen[-1] == 5


def test_hashing_reports_each_file_and_starts_at_once(tmp_path):
    """fill_hashes tells (done, total) per file, and queues only a few hashes at a time."""
    import concurrent.futures as cf
    import os
    import threading

    from fsspeckit.planning.hashing import _bounded_map
    from fsspeckit.verbs.sync import fill_hashes

    for side in ("src", "dst"):
        (tmp_path / side).mkdir()
        for i in range(30):
            (tmp_path / side / f"f{i}.txt").write_bytes(b"same")
    for i in range(30):
        st = os.stat(tmp_path / "src" / f"f{i}.txt")
        os.utime(tmp_path / "dst" / f"f{i}.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    src_fs, dst_fs = filesystem(str(tmp_path / "src")), filesystem(str(tmp_path / "dst"))
    src, dst = list_tree(src_fs), list_tree(dst_fs, role="destination")
    seen: list[tuple[int, int]] = []
    assert fill_hashes(src_fs, dst_fs, src, dst, "checksum", max_workers=2, progress=lambda d, t: seen.append((d, t))) == 60
    assert seen == [(i, 60) for i in range(1, 61)]
    assert all(e.md5 for e in src.entries.values()) and all(e.md5 for e in dst.entries.values())

    # At most `window` calls are queued; results come in order; an error stops the rest.
    started: list[int] = []
    lock = threading.Lock()

    def work(i):
        with lock:
            started.append(i)
        if i == 5:
            raise ValueError("boom")
        return i * 10

    with cf.ThreadPoolExecutor(2) as pool:
        results = _bounded_map(pool, work, list(range(1000)), 4)
        assert [next(results) for _ in range(5)] == [0, 10, 20, 30, 40]
        with pytest.raises(ValueError):
            next(results)
        results.close()
    assert len(started) < 20, "the items past the window were never submitted"
