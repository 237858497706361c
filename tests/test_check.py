"""check_trees: differences like rclone check, with the hash each comparison used."""

from __future__ import annotations

import pytest

from fsspeckit import filesystem
from fsspeckit.verbs.check import check_trees
from fsspeckit.exceptions import SourceNotFoundError

SRC = {"same.txt": b"same", "sub/deep.bin": b"\x00" * 100, "only_src.txt": b"s",
       "size.txt": b"short", "content.txt": b"AAAA"}
DST = {"same.txt": b"same", "sub/deep.bin": b"\x00" * 100, "only_dst.txt": b"d",
       "size.txt": b"longer!", "content.txt": b"BBBB"}


def _kinds(result):
    return {d.path: d.kind for d in result.differences}


def test_local_trees(local_tree):
    src, dst = local_tree(SRC, "src"), local_tree(DST, "dst")
    r = check_trees(filesystem(str(src)), filesystem(str(dst)))
    assert _kinds(r) == {"only_src.txt": "missing_on_dst", "only_dst.txt": "missing_on_src",
                         "size.txt": "differ", "content.txt": "differ"}
    reasons = {d.path: d.reason for d in r.differences}
    assert reasons["size.txt"] == "sizes differ (5 vs 7 bytes)"
    assert reasons["content.txt"] == "MD5 differs"
    assert r.matching == ["same.txt", "sub/deep.bin"]
    assert r.methods == {"MD5 (streamed)": 3}
    assert not r.ok
    assert "4 differences found" in r.summary() and "2 matching files" in r.summary()
    d = r.to_dict()
    assert d["counts"] == {"differences": 4, "missing_on_dst": 1, "missing_on_src": 1, "differ": 2,
                           "errors": 0, "matching": 2}


def test_size_only_and_one_way(local_tree):
    src, dst = local_tree(SRC, "src"), local_tree(DST, "dst")
    r = check_trees(filesystem(str(src)), filesystem(str(dst)), size_only=True, one_way=True)
    assert _kinds(r) == {"only_src.txt": "missing_on_dst", "size.txt": "differ"}
    assert r.matching == ["content.txt", "same.txt", "sub/deep.bin"]
    assert r.methods == {"size": 3}


def test_identical_trees_and_rooted_paths(local_tree):
    root = local_tree({"a/x.txt": b"1", "b/x.txt": b"1"}, "t")
    fs = filesystem(str(root))
    r = check_trees(fs, fs, "a", "b")
    assert r.ok and r.matching == ["x.txt"]


def test_missing_source_raises_and_missing_destination_lists_all(local_tree, tmp_path):
    src = local_tree({"a.txt": b"1"}, "src")
    with pytest.raises(SourceNotFoundError, match="does not exist"):
        check_trees(filesystem(str(tmp_path / "nope")), filesystem(str(src)))
    r = check_trees(filesystem(str(src)), filesystem(str(tmp_path / "nope")))
    assert not r.dst_exists and _kinds(r) == {"a.txt": "missing_on_dst"}


def test_s3_native_md5_against_local(s3, local_tree):
    src = local_tree(SRC, "src")
    for rel, data in DST.items():
        s3.fs.pipe(s3.path(f"d/{rel}"), data)
    dst_fs = filesystem(s3.url("d"), s3.options)
    r = check_trees(filesystem(str(src)), dst_fs)
    assert _kinds(r) == {"only_src.txt": "missing_on_dst", "only_dst.txt": "missing_on_src",
                         "size.txt": "differ", "content.txt": "differ"}
    # The S3 side has its ETag MD5: only the local side is read.
    assert r.methods == {"MD5 (native + streamed on source)": 3}
    # S3 to S3: both MD5s come from the listing, nothing is downloaded.
    for rel, data in SRC.items():
        s3.fs.pipe(s3.path(f"s/{rel}"), data)
    r2 = check_trees(filesystem(s3.url("s"), s3.options), dst_fs)
    assert _kinds(r2) == _kinds(r) and r2.methods == {"MD5 (native)": 3}
