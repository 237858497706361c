"""Listings say how many files they found so far: local folders and S3 pages."""

from __future__ import annotations

import pytest

from fsspeckit import listing
from fsspeckit.filesystem import filesystem
from fsspeckit.listing import list_tree


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
    monkeypatch.setattr(listing, "FIRST_PAGE", first_page)
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
    assert sorted(listing._find_files(s3.fs, s3.bucket)) == sorted(plain)
    assert sorted(result.entries) == ["a.txt", "sub/b.txt", "sub/deeper/c.txt"]
    assert seen and seen[-1] == 5
