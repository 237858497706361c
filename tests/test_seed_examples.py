"""Every code example of docs/sync-and-manage-files.md runs as written.

The examples use absolute local paths ("/source/", "/data/"), "s3://bucket/",
and S3 and GCS storage options. Here the local filesystem is rooted in a
temporary folder (a chroot: "/source/" lives under it), S3 is moto's server and
GCS the emulator, both on loopback. The blocks run in page order in one
namespace, as a reader pasting them into one session would.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import fsspeckit
from fsspeckit.filesystem import filesystem as real_filesystem

DOC = Path(__file__).resolve().parent.parent / "docs" / "sync-and-manage-files.md"


def code_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_doc_has_examples():
    assert len(code_blocks()) >= 15


def test_examples_run_as_written(s3, gcs, tmp_path, monkeypatch):
    chroot = tmp_path / "root"
    _write(chroot, {
        **{f"/source/file{i}.txt": f"file {i}\n" for i in range(1, 4)},
        "/source/new_file.txt": "new\n",
        "/source/updated_file.txt": "updated\n",
        "/local/data/a.csv": "a\n",
        "/local/data/sub/b.csv": "b\n",
        "/data/year=2023/month=01/day=15/file.parquet": "p1",
        "/data/year=2023/month=02/day=01/file.parquet": "p2",
        "/data/year=2022/month=12/day=31/file.parquet": "p0",
        "/src/file1.txt": "src 1\n",
    })
    # The buckets the examples name.
    s3.fs.mkdir("bucket")
    s3.fs.mkdir("source-bucket")
    s3.fs.pipe_file("source-bucket/data/x.csv", b"x\n")
    s3.fs.pipe_file("source-bucket/data/y/z.csv", b"z\n")
    s3.fs.pipe_file("bucket/target/old_file.txt", b"old\n")
    s3.fs.pipe_file("bucket/target/obsolete_file.txt", b"obsolete\n")
    gcs.fs.mkdir("dest-bucket")

    def chrooted(protocol_or_url="file", storage_options=None, **kwargs):
        if protocol_or_url in ("file", "local"):
            return real_filesystem(str(chroot))
        return real_filesystem(protocol_or_url, storage_options, **kwargs)

    monkeypatch.setattr(fsspeckit, "filesystem", chrooted)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)  # plain filesystem("s3://bucket/") reaches moto
    monkeypatch.chdir(tmp_path)  # the incremental example writes sync_state.json here
    monkeypatch.setattr(time, "sleep", lambda s: None)  # the batch examples pause between batches

    namespace = {
        "__name__": "__doc_examples__",
        "time": time,  # the selective-sync example uses time without importing it
        "s3_options": dict(s3.options),
        "gcs_options": dict(gcs.options),
        "fs": real_filesystem(str(chroot)),
        "file_list": ["/source/file1.txt", "/source/file2.txt"],
    }
    for i, block in enumerate(code_blocks()):
        try:
            exec(compile(block, f"<doc example {i + 1}>", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"doc example {i + 1} failed: {type(exc).__name__}: {exc}\n{block}")

    s3.fs.invalidate_cache()
    target = {p.split("bucket/target/", 1)[1] for p in s3.fs.find("bucket/target")}
    # Basic sync copied file1-3, "Sync with Deletions" added two and removed two.
    assert {"file1.txt", "file2.txt", "file3.txt", "new_file.txt", "updated_file.txt"} <= target
    assert "old_file.txt" not in target and "obsolete_file.txt" not in target
    assert s3.fs.cat_file("bucket/target/file1.txt") == b"file 1\n"
    # Directory synchronization: /local/data/ -> bucket/s3/remote-data/
    assert s3.fs.cat_file("bucket/s3/remote-data/sub/b.csv") == b"b\n"
    # Cross-cloud: s3://source-bucket/data/ -> gs://dest-bucket/data/
    gcs.fs.invalidate_cache()
    assert sorted(gcs.fs.find("dest-bucket/data")) == ["dest-bucket/data/x.csv", "dest-bucket/data/y/z.csv"]
    # Incremental sync kept its state file.
    assert (tmp_path / "sync_state.json").exists()
    # The parallel copy reported its outcome per pair.
    assert len(namespace["successful"]) + len(namespace["failed"]) == 100
    # The partition example printed the seed's documented output.
    assert namespace["get_partitions_from_path"]("data/year=2023/month=01/day=15/file.parquet") == {
        "year": "2023", "month": "01", "day": "15"}
