"""Hive partition parsing, checked against pyarrow's own HivePartitioning parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fsspeckit.common.misc import get_partitions_from_path
from fsspeckit.partitions.hive import _FILE_EXTENSION, as_date, partition_path, value_sort_key

pa = pytest.importorskip("pyarrow")
pds = pytest.importorskip("pyarrow.dataset")


def arrow_keys(path: str, keys) -> dict:
    """What pyarrow makes of ``path`` (its parse() drops the last segment unless the path ends in '/')."""
    schema = pa.schema([(k, pa.string()) for k in dict.fromkeys(keys)])
    expr = pds.partitioning(schema, flavor="hive").parse(path)
    return pds.get_partition_keys(expr)


# -- examples -----------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("data/year=2023/month=01/day=15/file.parquet", {"year": "2023", "month": "01", "day": "15"}),
    ("data/category=sales/region=us-east/data.parquet", {"category": "sales", "region": "us-east"}),
    ("data/year=2023/month=01", {"year": "2023", "month": "01"}),  # a folder, as find(directories=True) gives it
    ("data/year=2023/month=01/", {"year": "2023", "month": "01"}),
    ("s3://bucket/data/year=2023/part-0.parquet", {"year": "2023"}),
    ("gs://bucket/v1.2/year=2023//month=1/x.csv", {"year": "2023", "month": "1"}),
    ("/abs/k=a%2Fb/k2=%C3%A9t%C3%A9/f", {"k": "a/b", "k2": "été"}),
    ("x=a=b/f.txt", {"x": "a=b"}),
    ("=://", {"": ":"}),  # not a protocol prefix
    ("simplecache::s3://b/y=1/f.csv", {"y": "1"}),
    ("year=__HIVE_DEFAULT_PARTITION__/f.csv", {"year": None}),
    ("year=2023/year=2024/f.csv", {"year": "2023"}),  # first wins, like pyarrow's get_partition_keys
    ("score=1.5", {"score": "1.5"}),  # no extension: a folder
    ("a/part=0.parquet", {}),  # an extension: a file name
    ("year=%FF/f", {"year": "%FF"}),  # undecodable: kept as written
    ("plain/path/file.csv", {}),
    ("", {}),
])
def test_examples(path, expected):
    assert get_partitions_from_path(path) == expected


def test_directory_flag_overrides_the_guess():
    assert get_partitions_from_path("a/k=v.csv", directory=True) == {"k": "v.csv"}
    assert get_partitions_from_path("a/k=v/j=w", directory=False) == {"k": "v"}


def test_partition_path():
    assert partition_path("year=2023/month=01/_tmp/f.parquet") == "year=2023/month=01"
    assert partition_path("data/year=2023/f.parquet") == "data/year=2023"
    assert partition_path("_SUCCESS") == ""
    assert partition_path("a/b/c.csv") == ""


def test_value_order():
    values = ["10", "9", "2023-01-15", "2023-1-5", "20230110", "abc", None, "1.5"]
    assert sorted(values, key=value_sort_key) == [None, "2023-1-5", "20230110", "2023-01-15", "1.5", "9", "10", "abc"]
    assert as_date("2023-02-30") is None


# -- properties against pyarrow -----------------------------------------------

_plain = st.text(alphabet="abcXYZ019._-+ %~", min_size=1, max_size=8).filter(lambda s: "=" not in s)
_key = st.text(alphabet="abcdefxyz_019-.", min_size=0, max_size=6)
_escape = st.sampled_from(["%2F", "%3D", "%20", "%C3%A9", "%41", "%25", "%", "%2", "%zz", "__HIVE_DEFAULT_PARTITION__"])
_value = st.lists(st.one_of(st.text(alphabet="abc019.-_=+ ~:", max_size=4), _escape), max_size=4).map("".join)
_partition = st.tuples(_key, _value).map(lambda kv: f"{kv[0]}={kv[1]}")
_segments = st.lists(st.one_of(_partition, _plain, st.just("v1.2"), st.just("")), max_size=7)


def _keys(segments):
    return [s.partition("=")[0] for s in segments if "=" in s]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=_segments, prefix=st.sampled_from(["", "/", "s3://bucket/", "memory://"]),
       name=st.sampled_from(["part-0.parquet", "data.csv", "x=1.snappy.parquet", "_SUCCESS"]))
def test_file_paths_match_pyarrow(segments, prefix, name):
    path = prefix + "/".join(segments) + "/" + name
    try:
        expected = arrow_keys("/".join(segments) + "/" + name, _keys(segments))
    except pa.ArrowInvalid:
        assume(False)  # invalid UTF-8 after decoding: pyarrow refuses, we keep the raw text
    assert get_partitions_from_path(path) == expected
    assert get_partitions_from_path(path, directory=False) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segments=_segments, trailing=st.booleans())
def test_folder_paths_match_pyarrow(segments, trailing):
    """A folder path (trailing slash, or a last segment holding '=' without an extension)."""
    folder = "/".join(segments)
    try:
        expected = arrow_keys(folder + "/", _keys(segments))
    except pa.ArrowInvalid:
        assume(False)
    assert get_partitions_from_path(folder + "/") == expected
    assert get_partitions_from_path(folder, directory=True) == expected
    if not trailing:
        # Without a trailing slash the last segment is guessed: a folder when it holds
        # '=' and no file extension, else a file name (which pyarrow's parse() drops).
        last = ([s for s in segments if s] or [""])[-1]
        if "=" in last and not _FILE_EXTENSION.search(last):
            assert get_partitions_from_path(folder) == expected
        else:
            assert get_partitions_from_path(folder) == arrow_keys(folder, _keys(segments))


@settings(max_examples=100, deadline=None)
@given(segments=_segments)
def test_invalid_utf8_is_kept_raw(segments):
    """Where pyarrow raises on an undecodable value, we still parse every other key like it does."""
    path = "/".join(segments + ["bad=%FF%FE"]) + "/f.csv"
    parts = get_partitions_from_path(path)
    if "bad" not in _keys(segments):
        assert parts["bad"] == "%FF%FE"
