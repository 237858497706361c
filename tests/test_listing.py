"""Listing: normalised times and checksums across backends, odd keys on object stores."""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from fsspeckit import filesystem
from fsspeckit.listing.tree import entry_from_info, list_tree


def test_s3_single_part_etag_is_md5_and_multipart_is_not():
    single = entry_from_info("a", {"size": 3, "ETag": '"900150983cd24fb0d6963f7d28e17f72"',
                                   "LastModified": datetime(2024, 1, 1, tzinfo=timezone.utc)})
    assert single.md5 == "900150983cd24fb0d6963f7d28e17f72"
    multi = entry_from_info("b", {"size": 3, "ETag": '"0f343b0931126a20f133d67c2b018a3b-2"'})
    assert multi.md5 is None and multi.etag.endswith('-2"')
    kms = entry_from_info("c", {"size": 3, "ETag": '"900150983cd24fb0d6963f7d28e17f72"', "ServerSideEncryption": "aws:kms"})
    assert kms.md5 is None


def test_gcs_hashes_and_times_are_normalised():
    e = entry_from_info("x", {"size": 5, "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==", "crc32c": "mnG7TA==",
                              "updated": "2026-11-29T08:42:04.463697Z"})
    assert e.md5 == "5d41402abc4b2a76b9719d911017c592" and e.crc32c == "mnG7TA=="
    assert e.modified == datetime(2026, 11, 29, 8, 42, 4, 463697, tzinfo=timezone.utc)


def test_times_agree_across_local_s3_gcs_memory(s3, gcs, tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    stamps = [
        list_tree(filesystem("/"), str(tmp_path)).entries["f"].mtime,
    ]
    for fs in (filesystem(f"s3://{s3.bucket}", storage_options=s3.options),
               filesystem(f"gs://{gcs.bucket}", storage_options=gcs.options),
               filesystem("memory://times-test")):
        fs.pipe_file("/d/f", b"x")
        stamps.append(list_tree(fs, "/d").entries["f"].mtime)
    now = datetime.now(timezone.utc).timestamp()
    assert all(abs(now - s) < 120 for s in stamps), stamps  # all UTC epoch seconds, none off by a timezone


def test_folder_markers_and_double_slash_keys_are_skipped_with_a_reason(s3):
    s3.fs.pipe_file(s3.path("t/real.txt"), b"r")
    s3.fs.pipe_file(s3.path("t/folder/"), b"")
    s3.fs.pipe_file(s3.path("t/a//b.txt"), b"b")
    listing = list_tree(filesystem(f"s3://{s3.bucket}", storage_options=s3.options), "/t")
    assert sorted(listing.entries) == ["real.txt"]
    assert any("folder marker" in why for why in listing.skipped.values())
    assert any("//" in why for why in listing.skipped.values())


def test_local_listing_skips_temporary_files_and_reports_them(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / ".a.txt.fsspeckit-partial-0123456789").write_text("half")
    listing = list_tree(filesystem("/"), str(tmp_path))
    assert list(listing.entries) == ["a.txt"] and len(listing.partials) == 1


def test_local_listing_follows_nested_folders_and_unicode(tmp_path):
    deep = tmp_path / "ä ö" / "x" / "y"
    deep.mkdir(parents=True)
    (deep / "ü.txt").write_text("u")
    os.utime(deep / "ü.txt", (1_500_000_000, 1_500_000_000))
    e = list_tree(filesystem("/"), str(tmp_path)).entries["ä ö/x/y/ü.txt"]
    assert e.size == 1 and e.modified == datetime.fromtimestamp(1_500_000_000, tz=timezone.utc)


def test_keys_that_map_to_no_file_are_reported_by_the_sync(s3, tmp_path):
    from fsspeckit import sync_dir

    s3.fs.pipe_file(s3.path("t/real.txt"), b"r")
    s3.fs.pipe_file(s3.path("t/a//b.txt"), b"b")
    src = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    result = sync_dir(src, filesystem("/"), "/t", str(tmp_path / "out"))
    assert result.copied == ["real.txt"]
    (note,) = [o for o in result.outcomes if o.error and "not synced" in o.error]
    assert "//" in note.error


def test_fast_listing_timestamps_agree_with_botocore(s3):
    from botocore.utils import parse_timestamp

    from fsspeckit.backends.s3.listing import _iso_utc

    for text in ("2026-11-29T10:20:01.123Z", "2026-11-29T10:20:01Z", "2026-11-29T10:20:01.123456Z",
                 "Sun, 29 Nov 2026 10:20:01 GMT", "2026-11-29T10:20:01+01:00"):
        assert _iso_utc(text) == parse_timestamp(text), text
    s3.fs.pipe_file(s3.path("t/a.txt"), b"a")
    fs = filesystem(f"s3://{s3.bucket}", storage_options=s3.options)
    entry = list_tree(fs, "/t").entries["a.txt"]
    factory = fs.fs.s3._endpoint._response_parser_factory
    assert getattr(factory, "_fsspeckit_fast_times", False)
    raw = s3.fs.info(s3.path("t/a.txt"))["LastModified"]  # another client, botocore's own parser
    assert entry.mtime == raw.timestamp()


def test_local_listing_follows_links_once_and_matches_a_walk(tmp_path):
    root = tmp_path / "src"
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_bytes(b"12345")
    (root / "top.txt").write_bytes(b"x")
    (root / "a" / "loop").symlink_to(root)  # a link back to the root: listed once, no endless walk
    (root / "elsewhere").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "s.txt").write_bytes(b"shared")
    (root / "elsewhere" / "linked").symlink_to(tmp_path / "shared")
    (root / "broken").symlink_to(tmp_path / "missing")
    listing = list_tree(filesystem("/"), str(root))
    assert sorted(listing.entries) == ["a/b/f.txt", "elsewhere/linked/s.txt", "top.txt"]
    assert listing.entries["a/b/f.txt"].size == 5
    st = os.stat(root / "a" / "b" / "f.txt")
    assert listing.entries["a/b/f.txt"].mtime == st.st_mtime
    assert listing.entries["a/b/f.txt"].ctime == st.st_ctime


LAYOUTS = {
    "hive": ["year=2023/month=01/a.csv", "year=2023/month=02/b.csv", "year=2024/month=01/c.csv", "top.txt"],
    "one-folder-chain": ["only/deeper/x=1/a", "only/deeper/x=2/b", "only/deeper/x=2/c"],
    "flat": ["a", "b", "c d.txt"],
    "markers": ["", "sub/", "sub/f", "other/g", "other/h/"],
    "double-slash": ["a//b", "c/d", "/e"],
    "unicode": ["ä ö/ü.txt", "ä ö/x/y.txt", "z/ß"],
    "deep-single": ["k/l/m/n/o/p.txt"],
}


@pytest.mark.parametrize("first_page", [1000, 1, 2, 3])
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_split_s3_listing_equals_the_plain_listing(s3, layout, first_page, monkeypatch):
    """The S3 listing (first page, then split by folder) must see exactly what one plain find sees,
    wherever the first page stops."""
    from fsspeckit.backends.s3 import listing
    from fsspeckit.backends.s3.listing import find_files

    monkeypatch.setattr(listing, "FIRST_PAGE", first_page)
    for key in LAYOUTS[layout]:
        s3.fs.pipe_file(s3.path(f"root/{key}"), b"x" * len(key))
    s3.fs.pipe_file(s3.path("root-sibling/not-mine.txt"), b"n")  # shares the prefix text, not the folder
    s3.fs.invalidate_cache()
    plain = s3.fs.find(s3.path("root"), withdirs=False, detail=True)
    s3.fs.invalidate_cache()
    split = find_files(s3.fs, s3.path("root"))
    assert sorted(split) == sorted(plain)
    assert {k: v["size"] for k, v in split.items()} == {k: v["size"] for k, v in plain.items()}


@pytest.mark.parametrize("first_page, expected", [
    (1000, [("root/", None)]),  # it all fits in the first page: one request
    (1, [("root/", None), ("root/year=2023/", None), ("root/year=2024/", None)]),
    (2, [("root/", None), ("root/year=2023/", "root/year=2023/month=01/a.csv"), ("root/year=2024/", None)]),
    (3, [("root/", None), ("root/year=2023/", "root/year=2023/month=02/b.csv"), ("root/year=2024/", None)]),
    (4, [("root/", None)]),  # exactly full: not truncated
])
def test_s3_listing_of_a_hive_tree_lists_the_folders_past_the_first_page_at_once(s3, monkeypatch, first_page,
                                                                                  expected):
    """The split happens: after the first page, one listing per top-level folder it did not
    finish (from where it stopped), not one chain of pages for all."""
    from fsspeckit.backends.s3 import listing
    from fsspeckit.backends.s3.listing import find_files

    monkeypatch.setattr(listing, "FIRST_PAGE", first_page)
    for key in LAYOUTS["hive"]:
        s3.fs.pipe_file(s3.path(f"root/{key}"), b"x")
    calls = []
    real = type(s3.fs)._call_s3

    async def recording(self, method, *args, **kwargs):
        if method == "list_objects_v2" and not kwargs.get("Delimiter"):
            calls.append((kwargs["Prefix"], kwargs.get("StartAfter")))
        return await real(self, method, *args, **kwargs)

    monkeypatch.setattr(type(s3.fs), "_call_s3", recording)
    s3.fs.invalidate_cache()
    found = find_files(s3.fs, s3.path("root"))
    assert s3.path("root") == f"{s3.bucket}/root"
    assert sorted(calls, key=str) == sorted(expected, key=str)
    assert len(found) == len(LAYOUTS["hive"])