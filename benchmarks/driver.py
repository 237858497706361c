"""Run one Python contender once, in its own process, and print what it did as JSON.

Started by ``benchmarks.run`` with the interpreter that has the contender
installed (this project's venv, or the venv holding the public fsspeckit
release), so every contender's CPU time and peak memory are measured the same
way: from outside, for the whole process. Needs only the standard library and
fsspec (+ s3fs for S3 URLs); it never imports the benchmark package.

Usage: python driver.py '{"tool": ..., "src": URL, "dst": URL, "s3": {...}}'
tools: ours, public (fsspeckit 0.25.0 sync_dir), fsspec_rsync, fs_copy.
"""

from __future__ import annotations

import json
import os
import sys
import time


def _split(url: str) -> tuple[str, str]:
    if "://" in url:
        proto, path = url.split("://", 1)
        return proto, path
    return "file", url


def _fs(proto: str, s3: dict):
    import fsspec

    return fsspec.filesystem(proto, **(s3 if proto == "s3" else {}))


def run_ours(src: str, dst: str, s3: dict) -> dict:
    import fsspeckit

    sfs = fsspeckit.filesystem(src, s3 if src.startswith("s3://") else None)
    dfs = fsspeckit.filesystem(dst, s3 if dst.startswith("s3://") else None)
    res = fsspeckit.sync_dir(sfs, dfs, "", "")
    counts = dict(res.counts)
    if res.failed:
        counts["first_error"] = res.failed[0].error
    return counts


def run_public(src: str, dst: str, s3: dict) -> dict:
    from fsspeckit.common.sync import sync_dir

    sp, spath = _split(src)
    dp, dpath = _split(dst)
    sfs, dfs = _fs(sp, s3), _fs(dp, s3)
    if dp == "file":
        os.makedirs(dpath, exist_ok=True)
    # parallel=True fails in 0.25.0 (run_parallel: "All iterables must have the same length"),
    # so the release runs with its default, sequential copies.
    out = sync_dir(sfs, dfs, spath, dpath, parallel=False, verbose=False)
    return {"added": len(out["added_files"]), "deleted": len(out["deleted_files"])}


def run_fsspec_rsync(src: str, dst: str, s3: dict) -> dict:
    import fsspec
    from fsspec.generic import rsync

    fsspec.config.conf["s3"] = dict(s3)  # GenericFileSystem builds instances from the protocol alone
    sp, spath = _split(src)
    dp, dpath = _split(dst)
    out = rsync(f"{sp}://{spath}", f"{dp}://{dpath}", delete_missing=True)
    return {"copied": len(out or {})}


def run_fs_copy(src: str, dst: str, s3: dict) -> dict:
    """Plain fsspec: find the source files, then one put/get/copy call with explicit path lists."""
    sp, spath = _split(src)
    dp, dpath = _split(dst)
    sfs, dfs = _fs(sp, s3), _fs(dp, s3)
    found = sfs.find(spath)
    root = sfs._strip_protocol(spath).rstrip("/")
    rels = [f[len(root) + 1:] for f in found]
    srcs = [f"{root}/{r}" for r in rels]
    dsts = [f"{dpath.rstrip('/')}/{r}" for r in rels]
    if sp == "file" and dp == "file":
        for d in {os.path.dirname(p) for p in dsts}:
            os.makedirs(d, exist_ok=True)
        sfs.copy(srcs, dsts)
    elif sp == "file":
        dfs.put(srcs, dsts)
    elif dp == "file":
        sfs.get(srcs, dsts)
    else:
        sfs.copy(srcs, dsts)
    return {"copied": len(rels)}


TOOLS = {"ours": run_ours, "public": run_public, "fsspec_rsync": run_fsspec_rsync, "fs_copy": run_fs_copy}


def main() -> None:
    args = json.loads(sys.argv[1])
    t0 = time.perf_counter()
    info = TOOLS[args["tool"]](args["src"], args["dst"], args.get("s3") or {})
    info["inner_seconds"] = round(time.perf_counter() - t0, 4)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
