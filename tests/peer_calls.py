"""The same seed-API calls, run by either fsspeckit: this package or the public 0.25.

Run as ``python peer_calls.py WORKDIR OUT.json [S3_ENDPOINT BUCKET PREFIX]``
by tests/test_peer_side_by_side.py, once with each interpreter. It builds the
same trees under WORKDIR, makes the same calls through the names both
packages export (``fsspeckit.filesystem``, ``fsspeckit.common.*``), and writes
each call's return value (or error) and the resulting tree as JSON. It uses
only what both packages have, so it is also a script written for 0.25 that
must run here unchanged.
"""

from __future__ import annotations

import json
import operator
import os
import sys
import traceback

from fsspeckit import filesystem
from fsspeckit.common import get_partitions_from_path, run_parallel, sync_dir, sync_files

T0 = 1_700_000_000  # every file gets this modification time unless a scenario says otherwise


def write(root: str, files: dict[str, str], mtime: float = T0) -> None:
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.utime(path, (mtime, mtime))


def tree(root: str) -> dict[str, str]:
    out = {}
    for base, _, files in os.walk(root):
        for name in files:
            path = os.path.join(base, name)
            with open(path) as f:
                out[os.path.relpath(path, root).replace(os.sep, "/")] = f.read()
    return dict(sorted(out.items()))


def plain(value):
    """A return value as JSON: sync results as the dict 0.25 returned."""
    if hasattr(value, "keys") and "added_files" in value:
        return {k: list(value[k]) for k in ("added_files", "deleted_files")}
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def call(fn):
    try:
        return {"return": plain(fn())}
    except Exception as exc:  # noqa: BLE001 - reported, compared by the test
        # ``caught_as``: the built-in class a caller writes in ``except`` (fsspeckit's own errors
        # derive from one, e.g. its OptionError from ValueError).
        caught_as = next(c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins")
        return {"error": type(exc).__name__, "caught_as": caught_as, "runtime_error": isinstance(exc, RuntimeError),
                "message": str(exc).splitlines()[0] if str(exc) else "", "where": traceback.format_exc(limit=-1)}


SRC = {"a.txt": "alpha\n", "sub/b.txt": "bravo\n", "sub/deep/c.txt": "charlie\n"}


def scale(x, y, factor=1):
    return (x + y) * factor


def main() -> None:
    work, out_path = sys.argv[1], sys.argv[2]
    os.chdir(work)
    fs = filesystem(work)
    results: dict[str, dict] = {}

    # 1. sync_dir into an empty folder, 0.25's positional order:
    #    (src_fs, dst_fs, src_path, dst_path, server_side, chunk_size, parallel, n_jobs, verbose)
    write(os.path.join(work, "s1/src"), SRC)
    os.makedirs(os.path.join(work, "s1/dst"))
    r = call(lambda: sync_dir(fs, fs, "s1/src", "s1/dst", True, 1024, False, 1, False))
    results["sync_dir_fresh"] = {**r, "tree": tree(os.path.join(work, "s1/dst"))}

    # 2. sync_dir onto a destination holding one identical file and one stale file.
    write(os.path.join(work, "s2/src"), SRC)
    write(os.path.join(work, "s2/dst"), {"a.txt": "alpha\n", "stale.txt": "old\n"})
    os.makedirs(os.path.join(work, "s2/dst/sub/deep"))  # 0.25 writes no folders in a streamed copy (see 5b)
    r = call(lambda: sync_dir(src_fs=fs, dst_fs=fs, src_path="s2/src", dst_path="s2/dst",
                              server_side=False, chunk_size=4, parallel=False, verbose=False))
    results["sync_dir_stale"] = {**r, "tree": tree(os.path.join(work, "s2/dst"))}

    # 3. A file changed on the source since the last sync (same name on both sides).
    write(os.path.join(work, "s3/src"), {"a.txt": "alpha, changed\n"}, mtime=T0 + 100)
    write(os.path.join(work, "s3/dst"), {"a.txt": "alpha\n"})
    r = call(lambda: sync_dir(fs, fs, "s3/src", "s3/dst", verbose=False))
    results["sync_dir_changed"] = {**r, "tree": tree(os.path.join(work, "s3/dst"))}

    # 4. An empty source folder.
    os.makedirs(os.path.join(work, "s4/src"))
    write(os.path.join(work, "s4/dst"), {"keep.txt": "keep\n"})
    r = call(lambda: sync_dir(fs, fs, "s4/src", "s4/dst", verbose=False))
    results["sync_dir_empty_source"] = {**r, "tree": tree(os.path.join(work, "s4/dst"))}

    # 5. sync_files with explicit lists, 0.25's positional order:
    #    (add, delete, src_fs, dst_fs, src_path, dst_path, server_side, chunk_size, parallel, n_jobs, verbose)
    write(os.path.join(work, "s5/src"), SRC)
    write(os.path.join(work, "s5/dst"), {"stale.txt": "old\n", "other.txt": "other\n"})
    os.makedirs(os.path.join(work, "s5/dst/sub"))
    r = call(lambda: sync_files(["a.txt", "sub/b.txt"], ["stale.txt"], fs, fs, "s5/src", "s5/dst",
                                False, 8 * 1024 * 1024, False, 1, False))
    results["sync_files"] = {**r, "tree": tree(os.path.join(work, "s5/dst"))}

    # 5b. The same into a destination without the "sub" folder: a streamed copy (server_side=False).
    write(os.path.join(work, "s5b/src"), SRC)
    os.makedirs(os.path.join(work, "s5b/dst"))
    r = call(lambda: sync_files(["a.txt", "sub/b.txt"], [], fs, fs, "s5b/src", "s5b/dst", False, 1024, False, 1, False))
    results["sync_files_new_folder"] = {**r, "tree": tree(os.path.join(work, "s5b/dst"))}

    # 6. run_parallel: iterables zipped, scalars broadcast, keyword iterables, backends.
    results["run_parallel_zip"] = call(lambda: run_parallel(operator.add, [1, 2, 3], [10, 20, 30], verbose=False))
    results["run_parallel_kwargs"] = call(lambda: run_parallel(scale, [1, 2], y=[5, 6], factor=10, n_jobs=2,
                                                               verbose=False))
    results["run_parallel_scalar"] = call(lambda: run_parallel(scale, [1, 2], 100, verbose=False))
    results["run_parallel_sequential"] = call(lambda: run_parallel(str, (i for i in range(4)), backend="sequential",
                                                                   verbose=False))
    results["run_parallel_empty"] = call(lambda: run_parallel(str, [], verbose=False))
    results["run_parallel_mismatch"] = call(lambda: run_parallel(operator.add, [1], [1, 2], verbose=False))

    # 7. get_partitions_from_path with 0.25's partitioning argument.
    paths = ["data/year=2023/month=01/day=15/file.parquet", "data/year=2023/file.parquet",
             "s3://bucket/t/region=eu/part-0.parquet", "data/file.parquet", ""]
    results["partitions_hive"] = {"return": [get_partitions_from_path(p, "hive") for p in paths]}
    results["partitions_named"] = {"return": [get_partitions_from_path("data/2023/01/15/file.parquet",
                                                                       ["year", "month", "day"]),
                                              get_partitions_from_path("data/2023/file.parquet", "year"),
                                              get_partitions_from_path("file.parquet", "year"),
                                              get_partitions_from_path("data/file.parquet", None)]}
    results["partitions_encoded"] = call(lambda: get_partitions_from_path("t/city=New%20York/f.csv", "hive"))
    results["partitions_windows"] = call(lambda: get_partitions_from_path("C:\\data\\year=2023\\f.parquet", "hive"))

    # 8. filesystem(): where each is rooted.
    write(os.path.join(work, "fs/root/nested"), {"f.csv": "x\n"})
    base = filesystem(os.path.join(work, "fs/root"))
    results["filesystem_roots"] = {"return": {
        "cwd": filesystem("file").path == work,
        "dir": filesystem(os.path.join(work, "fs/root")).path == os.path.join(work, "fs/root"),
        "file": filesystem(os.path.join(work, "fs/root/nested/f.csv")).path == os.path.join(work, "fs/root/nested"),
        "memory": filesystem("memory://b/x").path,
        "child": filesystem("nested", base_fs=base).path == os.path.join(work, "fs/root/nested"),
        "same": filesystem("file://" + os.path.join(work, "fs/root"), base_fs=base) is base,
        "cached": bool(getattr(filesystem(os.path.join(work, "fs/root"), cached=True), "is_cache_fs", False)),
        "ls": sorted(p.rsplit("/", 1)[-1] for p in filesystem(os.path.join(work, "fs/root")).ls("nested")),
    }}
    results["filesystem_escape"] = call(lambda: filesystem("../escape", base_fs=base))

    # 9. To S3 and back (when an endpoint is given): local -> s3://bucket/prefix, then s3 -> local.
    if len(sys.argv) > 3:
        endpoint, bucket, prefix = sys.argv[3:6]
        s3 = filesystem(f"s3://{bucket}/{prefix}", storage_options={"endpoint_url": endpoint})
        write(os.path.join(work, "s9/src"), SRC)
        r = call(lambda: sync_dir(fs, s3, "s9/src", "up", verbose=False))
        s3.invalidate_cache()
        up = {k.split(f"{prefix}/up/", 1)[1]: v.decode() for k, v in
              s3.fs.cat(s3.fs.find(f"{bucket}/{prefix}/up")).items()} if hasattr(s3, "fs") else {}
        results["sync_dir_to_s3"] = {**r, "tree": dict(sorted(up.items()))}
        os.makedirs(os.path.join(work, "s9/back/sub/deep"))  # 0.25 makes no folders here (see 5b)
        r = call(lambda: sync_dir(s3, fs, "up", "s9/back", verbose=False))
        results["sync_dir_from_s3"] = {**r, "tree": tree(os.path.join(work, "s9/back"))}

    with open(out_path, "w") as f:
        json.dump(results, f, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
