"""fsspeckit 0.25's signatures and behaviours, as a script written for it meets them here.

Each test names the 0.25 behaviour it holds (or the deliberate difference,
listed in docs/work-with-filesystems.md).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path, PureWindowsPath

import pytest
from fsspec.callbacks import Callback
from fsspec.implementations.dirfs import DirFileSystem
from fsspec.implementations.local import LocalFileSystem

import fsspeckit
from fsspeckit import SyncError, filesystem, sync_dir, sync_files
from fsspeckit.common.misc import get_partitions_from_path, run_parallel


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def _mem(name: str, files: dict[str, bytes]):
    fs = filesystem(f"memory://{name}")
    for rel, data in files.items():
        fs.pipe_file(rel, data)
    return fs


# --- sync_dir / sync_files: raising, results, signatures ---------------------------------------

def _blocked(tmp_path: Path) -> tuple[Path, Path]:
    """A source of two files and a destination where a folder stands in a.txt's way."""
    src = _write(tmp_path / "src", {"a.txt": "a\n", "b.txt": "b\n"})
    dst = _write(tmp_path / "dst", {"stale.txt": "stale\n", "a.txt/blocker": "x\n"})
    return src, dst


def test_sync_dir_raises_a_runtime_error_carrying_the_result_after_all_work(tmp_path):
    src, dst = _blocked(tmp_path)
    fs = filesystem("/")
    with pytest.raises(RuntimeError) as info:
        sync_dir(fs, fs, str(src), str(dst), retries=0)
    err = info.value
    assert isinstance(err, SyncError) and isinstance(err, fsspeckit.FsspeckitError)
    result = err.result
    assert [o.path for o in result.failed] == ["a.txt"] and "a.txt" in str(err)
    assert result.copied == ["b.txt"] and (dst / "b.txt").read_text() == "b\n"  # the rest was done
    assert (dst / "stale.txt").exists() and result.deletes_skipped == "1 copy failed"  # deletes skipped, as before
    assert result["added_files"] == ["b.txt"] and result["deleted_files"] == []
    # Asked for, the result comes back instead.
    again = sync_dir(fs, fs, str(src), str(dst), retries=0, raise_on_error=False)
    assert [o.path for o in again.failed] == ["a.txt"]


def test_sync_files_raises_for_a_missing_file_after_copying_the_others(tmp_path):
    src = _write(tmp_path / "src", {"a.txt": "a\n"})
    fs = filesystem("/")
    with pytest.raises(SyncError) as info:
        sync_files(["a.txt", "missing.txt"], [], fs, fs, str(src), str(tmp_path / "dst"))
    assert info.value.result.copied == ["a.txt"] and (tmp_path / "dst" / "a.txt").exists()
    assert "missing.txt" in str(info.value)


def test_result_answers_the_peer_keys_and_keeps_its_api(tmp_path):
    src = _mem("r-src", {"a.txt": b"a", "sub/b.txt": b"b"})
    dst = _mem("r-dst", {"old.txt": b"o", "a.txt": b"x"})
    result = sync_dir(src, dst)
    assert result["added_files"] == ["a.txt", "sub/b.txt"] and result["deleted_files"] == ["old.txt"]
    assert dict(result) == {"added_files": ["a.txt", "sub/b.txt"], "deleted_files": ["old.txt"]}
    assert "added_files" in result and result.get("nope", 7) == 7 and list(result.keys()) == ["added_files", "deleted_files"]
    json.dumps(dict(result))
    with pytest.raises(KeyError, match="added_files"):
        result["added"]
    # The result's own API is unchanged.
    assert result.copied == ["sub/b.txt"] and result.updated == ["a.txt"] and result.deleted == ["old.txt"]
    assert len(result) == len(result.outcomes) and all(o in result for o in result.outcomes)
    assert result.to_dict()["warnings"] == []


def test_a_file_both_added_and_deleted_is_copied_and_the_result_says_so(tmp_path):
    src = _mem("b-src", {"a.txt": b"a", "c.txt": b"c"})
    dst = _mem("b-dst", {"a.txt": b"old", "d.txt": b"d"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sync_files(["a.txt", "c.txt"], ["/a.txt", "d.txt"], src, dst)
    assert dst.cat_file("a.txt") == b"a" and not dst.exists("d.txt")
    (warning,) = result.warnings
    assert warning == "1 file(s) named in both add_files and delete_files were copied and not deleted: a.txt"
    assert [str(w.message) for w in caught] == [warning] and caught[0].category is UserWarning
    assert "warning: 1 file(s)" in result.summary() and result.to_dict()["warnings"] == [warning]


def test_sync_dir_takes_the_peer_positional_order():
    # 0.25: sync_dir(src_fs, dst_fs, src_path, dst_path, server_side, chunk_size, parallel, n_jobs, verbose)
    src = _mem("p-src", {"d/a.txt": b"aaaa"})
    dst = _mem("p-dst", {})
    result = sync_dir(src, dst, "d", "out", False, 1024, False, 1, False)
    assert result["added_files"] == ["a.txt"] and dst.cat_file("out/a.txt") == b"aaaa"
    # 0.25: sync_files(add, delete, src_fs, dst_fs, src_path, dst_path, server_side, chunk_size, parallel, n_jobs, verbose)
    result = sync_files(["a.txt"], [], src, dst, "d", "out2", True, 2048, True, -1, False)
    assert result["added_files"] == ["a.txt"] and dst.cat_file("out2/a.txt") == b"aaaa"


class _Chunks(Callback):
    def __init__(self):
        super().__init__()
        self.updates: list[int] = []

    def relative_update(self, inc=1):
        self.updates.append(inc)


@pytest.mark.parametrize("func", ["sync_dir", "sync_files"])
def test_server_side_and_chunk_size_are_honoured(func, monkeypatch):
    import fsspeckit.backends.transfer as transfer

    store_copies: list[str] = []
    real = transfer.store_copy
    monkeypatch.setattr(transfer, "store_copy", lambda fs, a, b, size: (store_copies.append(a), real(fs, a, b, size)))
    src = _mem(f"s-{func}", {"in/f.bin": b"0123456789"})

    def run(dst_path, **kw):
        cb = _Chunks()
        if func == "sync_dir":
            sync_dir(src, src, "in", dst_path, callback=cb, **kw)
        else:
            sync_files(["f.bin"], [], src, src, "in", dst_path, callback=cb, **kw)
        assert src.cat_file(f"{dst_path}/f.bin") == b"0123456789"
        return cb.updates

    # Same store, server_side=True (the default): the store copies, no bytes through us.
    assert run("a") == [10] and len(store_copies) == 1
    # server_side=False: the bytes come through this process, chunk_size at a time.
    assert run("b", server_side=False, chunk_size=3) == [3, 3, 3, 1] and len(store_copies) == 1
    with pytest.raises(ValueError, match="chunk_size must be a whole number"):
        run("c", chunk_size=0)
    with pytest.raises(TypeError, match="server_side must be True or False"):
        run("c", server_side="no")


def test_n_jobs_reads_as_joblib(monkeypatch):
    from fsspeckit.verbs.sync import _workers

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert _workers(True, -1, None) == 8 and _workers(True, -2, None) == 3 and _workers(True, 3, None) == 3
    assert _workers(False, 5, None) == 1
    with pytest.raises(ValueError, match="n_jobs must be a whole number other than 0"):
        _workers(True, 0, None)


# --- listing entries: 'modified' survives a JSON round trip ----------------------------------

def test_modified_equals_its_saved_text(tmp_path):
    fs = filesystem(str(_write(tmp_path, {"a.txt": "a"})))
    (entry,) = fs.ls("/", detail=True)
    saved = json.loads(json.dumps({"m": entry["modified"]}, default=str))["m"]
    assert saved == entry["modified"] and not (saved != entry["modified"]) and not (entry["modified"] != saved)
    assert fs.info("/a.txt")["modified"] == saved == fs.ls("/", detail=True)[0]["modified"]
    assert entry["modified"] == entry["modified"].isoformat() and entry["modified"] != "not a time"
    os.utime(tmp_path / "a.txt", (1, 1))
    assert fs.ls("/", detail=True)[0]["modified"] != saved


# --- filesystem() -------------------------------------------------------------------------------

def test_filesystem_first_parameter_is_protocol_or_path(tmp_path):
    fs = filesystem(protocol_or_path="memory://b/x")
    assert fs.root_url == "memory:///b/x"
    assert filesystem(protocol_or_url="memory://b/y").root_url == "memory:///b/y"  # the earlier name still works
    assert filesystem(Path(tmp_path)).path == str(tmp_path)  # pathlib
    _write(tmp_path, {"d/f.csv": "x"})
    assert filesystem(str(tmp_path / "d" / "f.csv")).path == str(tmp_path / "d")  # a file: its folder, as 0.25
    assert filesystem("bucket/data", protocol="memory").root_url == "memory:///bucket/data"
    assert isinstance(filesystem(str(tmp_path)), DirFileSystem)


def test_filesystem_local_is_rooted_at_the_current_folder(tmp_path, monkeypatch):
    _write(tmp_path, {"source/a.txt": "a"})
    monkeypatch.chdir(tmp_path)
    for spec in ("file", "local", "", None):
        fs = filesystem(spec)
        assert fs.path == str(tmp_path) and fs.ls("/source/", detail=False) == ["/source/a.txt"], spec
    raw = filesystem("file", dirfs=False)
    assert type(raw) is LocalFileSystem and raw.exists(str(tmp_path / "source" / "a.txt"))
    with pytest.raises(ValueError, match="dirfs=False returns the local backend itself"):
        filesystem(str(tmp_path), dirfs=False)
    with pytest.raises(ValueError, match="dirfs=False returns the s3 backend itself"):
        filesystem("s3://bucket/x", dirfs=False)


def test_filesystem_cached_reads_through_a_cache_and_verbose_says_so(tmp_path, capsys):
    root = _write(tmp_path / "data", {"a.txt": "first"})
    cache = tmp_path / "cache"
    fs = filesystem(str(root), cached=True, cache_storage=str(cache), verbose=True)
    assert fs.is_cache_fs is True and filesystem(str(root)).is_cache_fs is False
    assert fs.cat_file("a.txt") == b"first"
    (root / "a.txt").write_text("second")
    assert fs.cat_file("a.txt") == b"first"  # served from the cache
    assert any(cache.iterdir())
    err = capsys.readouterr().err
    assert f"filesystem file://{root}, reads cached in {cache}" in err
    assert f"fetching into the cache: {root}/a.txt" in err and f"cache hit: {root}/a.txt" in err
    # A sync from a cached filesystem works.
    out = filesystem(str(tmp_path / "out"))
    assert sync_dir(fs, out)["added_files"] == ["a.txt"]
    with pytest.raises(ValueError, match="cache_storage is only used with cached=True"):
        filesystem(str(root), cache_storage=str(cache))


def test_filesystem_verbose_without_cache_reports_the_filesystem(tmp_path, capsys):
    filesystem("memory://v", verbose=True)
    assert capsys.readouterr().err == "fsspeckit: filesystem memory:///v, no cache\n"


def test_filesystem_s3_takes_the_peer_parameters(s3):
    # These fell into S3FileSystem(**kwargs) and raised TypeError before.
    fs = filesystem(f"s3://{s3.bucket}/x", storage_options=s3.options, cached=True, use_listings_cache=False,
                    skip_instance_cache=True, verify=True)
    s3.fs.pipe_file(f"{s3.bucket}/x/f.txt", b"one")
    assert fs.cat_file("f.txt") == b"one" and fs.is_cache_fs
    s3.fs.pipe_file(f"{s3.bucket}/x/f.txt", b"two")
    assert fs.cat_file("f.txt") == b"one"  # the cache
    backend = fs.fs.fs
    assert backend.dircache.use_listings_cache is False and backend.client_kwargs["verify"] is True
    assert filesystem("s3", storage_options=s3.options, skip_instance_cache=True).fs is not \
        filesystem("s3", storage_options=s3.options, skip_instance_cache=True).fs
    insecure = filesystem("s3", storage_options=s3.options, allow_invalid_certificates=True, use_ssl=False)
    assert insecure.fs.client_kwargs["verify"] is False and insecure.fs.use_ssl is False
    assert filesystem("s3", storage_options=s3.options, allow_invalid_certs=True).fs.client_kwargs["verify"] is False


def test_filesystem_refuses_what_it_cannot_honour_in_one_sentence(tmp_path):
    cases = [
        (dict(protocol_or_path="memory://m", verify=False), "verify applies to s3 and http(s) only"),
        (dict(protocol_or_path=str(tmp_path), allow_invalid_certificates=True), "applies to s3 and http(s) only"),
        (dict(protocol_or_path="s3", allow_invalid_certificates=True, allow_invalid_certs=False), "disagree"),
        (dict(protocol_or_path="s3", allow_invalid_certificates=True, verify=True), "contradict"),
        (dict(protocol_or_path="https://example.com", use_ssl=True), "use_ssl does not apply to HTTP"),
        (dict(protocol_or_path="memory://m", cached="yes"), "cached must be True or False"),
        (dict(protocol_or_path="memory://m", protocol_or_url="memory://n"), "both protocol_or_path and protocol_or_url"),
    ]
    for kwargs, message in cases:
        with pytest.raises((ValueError, TypeError)) as info:
            filesystem(**kwargs)
        assert message in str(info.value), (kwargs, str(info.value))
        assert str(info.value).count(". ") <= 1


def test_filesystem_base_fs_roots_inside_it(tmp_path):
    # The peer's DirFileSystem semantics for base_fs.
    root = tmp_path / "ewn" / "mms2" / "stage1"
    (root / "SC").mkdir(parents=True)
    (root / "nested").mkdir()
    base = filesystem(root.as_posix())
    child = filesystem("nested", base_fs=base)
    assert isinstance(child, DirFileSystem) and child.fs is base.fs and child.path == str(root / "nested")
    assert filesystem(f"file://{root}", base_fs=base) is base and filesystem("", base_fs=base) is base
    assert filesystem(f"file://{root}/SC", base_fs=base).path == str(root / "SC")
    assert filesystem("stage1/SC", base_fs=base).path == str(root / "SC")  # 0.25 drops the repeated tail
    (root / "stage1" / "SC").mkdir(parents=True)
    assert filesystem("stage1/SC", base_fs=base).path == str(root / "stage1" / "SC")  # unless it exists
    with pytest.raises(ValueError, match="leaves base_fs's root"):
        filesystem("../escape", base_fs=base)
    with pytest.raises(ValueError, match="outside base_fs's root"):
        filesystem(f"file://{tmp_path}/other", base_fs=base)
    with pytest.raises(ValueError, match="protocol 's3' does not match base_fs"):
        filesystem("s3://bucket/path", base_fs=base)
    with pytest.raises(ValueError, match="needs dirfs=True"):
        filesystem("nested", base_fs=base, dirfs=False)
    mem = filesystem("memory://base17")
    assert filesystem("sub", base_fs=mem).root_url == "memory:///base17/sub"


def test_package_root_exports_the_peer_names():
    from fsspeckit import AbstractFileSystem, DirFileSystem as D, get_filesystem  # noqa: F401
    from fsspeckit.common import get_partitions_from_path as g, run_parallel as r, sync_dir as s  # noqa: F401
    from fsspeckit.common.parallel import run_parallel as r2
    from fsspeckit.common.partitions import get_partitions_from_path as g2
    from fsspeckit.common.sync import sync_dir as s2, sync_files  # noqa: F401
    from fsspeckit.utils import run_parallel as r3, sync_dir as s3  # noqa: F401
    from fsspeckit.utils.misc import get_partitions_from_path as g3, sync_files as f3  # noqa: F401

    assert (r3, s3, g3, f3) == (run_parallel, sync_dir, get_partitions_from_path, sync_files)

    assert D is DirFileSystem and get_filesystem is filesystem and (r, g, s) == (r2, g2, s2) == (
        run_parallel, get_partitions_from_path, sync_dir)


# --- run_parallel -------------------------------------------------------------------------------

def _add(x, y, scale=1):
    return (x + y) * scale


def test_run_parallel_zips_iterables_and_broadcasts_scalars(capsys):
    assert run_parallel(_add, [1, 2, 3], [10, 20, 30]) == [11, 22, 33]
    assert run_parallel(_add, [1, 2], y=[5, 6], scale=10) == [60, 80]
    assert run_parallel(_add, x=[1, 2], y=(y for y in (3, 4))) == [4, 6]  # generators, keywords only
    assert run_parallel(_add, [1, 2], 100) == [101, 102]  # a scalar positional keeps its place
    assert run_parallel(_add, 100, [1, 2]) == [101, 102]
    assert run_parallel(len, ["ab", "c"], n_jobs=-1) == [2, 1]
    assert run_parallel(_add, [], []) == []
    assert run_parallel(func=len, data=["ab", "c"], max_workers=2, progress=False) == [2, 1]  # the page's form
    with pytest.raises(ValueError, match="same length"):
        run_parallel(_add, [1], [1, 2])
    with pytest.raises(ValueError, match="at least one iterable"):
        run_parallel(_add, 1, 2)


def test_run_parallel_strings_and_mappings_are_broadcast():
    got = run_parallel(lambda name, opts, i: (name, opts["k"], i), "same", {"k": 1}, [1, 2])
    assert got == [("same", 1, 1), ("same", 1, 2)]


@pytest.mark.parametrize("backend", ["threading", "sequential", "multiprocessing", "loky"])
def test_run_parallel_backends(backend):
    assert run_parallel(_add, [1, 2, 3], 1, backend=backend, n_jobs=2) == [2, 3, 4]


def test_run_parallel_sequential_runs_in_order_in_this_thread():
    import threading

    seen = []
    run_parallel(lambda i: seen.append((i, threading.current_thread().name)), range(5), backend="sequential")
    assert seen == [(i, threading.current_thread().name) for i in range(5)]


def test_run_parallel_verbose_counts_on_stderr(capsys):
    run_parallel(len, ["a", "b"], verbose=True)
    assert capsys.readouterr().err.endswith("2/2 done\n")
    with pytest.raises(ValueError, match="backend must be one of"):
        run_parallel(len, ["a"], backend="dask")


def test_run_parallel_runs_every_call_then_raises_the_first_error():
    done = []

    def f(i):
        done.append(i)
        if i in (1, 3):
            raise KeyError(i)
        return i

    with pytest.raises(KeyError) as info:
        run_parallel(f, range(5), backend="threading")
    assert info.value.args == (1,) and sorted(done) == [0, 1, 2, 3, 4]


# --- get_partitions_from_path -------------------------------------------------------------------

def test_get_partitions_peer_forms():
    # The peer's own examples: a list of tuples when a partitioning is named.
    assert get_partitions_from_path("data/year=2023/month=01/day=15/file.parquet", "hive") == [
        ("year", "2023"), ("month", "01"), ("day", "15")]
    assert get_partitions_from_path("data/2023/file.parquet", "year") == [("year", "2023")]
    assert get_partitions_from_path("data/2023/01/15/file.parquet", ["year", "month", "day"]) == [
        ("year", "2023"), ("month", "01"), ("day", "15")]
    assert get_partitions_from_path("data/file.parquet", None) == []
    assert get_partitions_from_path("", "hive") == [] and get_partitions_from_path("file.parquet", "year") == []
    # The page's form: a dict.
    assert get_partitions_from_path("data/year=2023/month=01/day=15/file.parquet") == {
        "year": "2023", "month": "01", "day": "15"}
    with pytest.raises(TypeError, match="partitioning must be"):
        get_partitions_from_path("a/b=1/f", 3)


def test_get_partitions_decoding_pathlib_and_windows():
    # Values are URI-decoded (pyarrow); 0.25 keeps "New%20York" and splits "a=b=c" in three.
    assert get_partitions_from_path("t/city=New%20York/k=a=b/f.csv") == {"city": "New York", "k": "a=b"}
    assert get_partitions_from_path("t/city=New%20York/f.csv", "hive") == [("city", "New York")]
    # pathlib paths (0.25 raises TypeError on them).
    assert get_partitions_from_path(Path("data/year=2023/f.parquet")) == {"year": "2023"}
    assert get_partitions_from_path(PureWindowsPath(r"C:\data\year=2023\f.parquet")) == {"year": "2023"}
    # Windows separators (0.25 finds nothing): a drive letter, or backslashes and no "/".
    assert get_partitions_from_path(r"C:\data\year=2023\month=01\f.parquet") == {"year": "2023", "month": "01"}
    assert get_partitions_from_path(r"data\year=2023\f.parquet", "hive") == [("year", "2023")]
    # A dotted folder does not hide the partitions after it (0.25 drops the last folder of any dotted path).
    assert get_partitions_from_path("v1.2/year=2023/month=01") == {"year": "2023", "month": "01"}
    with pytest.raises(TypeError, match="needs a path"):
        get_partitions_from_path(42)


def test_bad_arguments_are_one_sentence_and_change_nothing(tmp_path):
    src = _mem("bad-src", {"a.txt": b"a"})
    dst = _mem("bad-dst", {"keep.txt": b"k"})
    cases = [
        (lambda: sync_files("a.txt", [], src, dst), TypeError, "add_files must be a list of file names"),
        (lambda: sync_files([1], [], src, dst), TypeError, "add_files must hold file names"),
        (lambda: sync_dir(src, dst, "", "", True, "8MB"), ValueError, "chunk_size must be a whole number"),
        (lambda: sync_dir(src, dst, parallel="yes"), TypeError, "parallel must be True or False"),
        (lambda: sync_dir(src, dst, n_jobs=0), ValueError, "n_jobs must be a whole number other than 0"),
        (lambda: run_parallel(None, [1]), TypeError, "needs a function"),
        (lambda: filesystem(123), fsspeckit.UnknownProtocolError, "needs a protocol name"),
        (lambda: filesystem("memory://x", storage_options="k=v"), TypeError, "storage_options must be a dict"),
    ]
    for fn, kind, message in cases:
        with pytest.raises(kind, match=message):
            fn()
    assert dst.find("/") == ["/keep.txt"] and src.find("/") == ["/a.txt"]
