"""Every code example of docs/sync-and-manage-files.md runs as written and does what it prints.

The blocks run verbatim, in page order, in one namespace, as a reader pasting
them into one session would; nothing the page defines (its imports, its
``filesystem``, its functions) is replaced. The test supplies only what the
page uses and never defines:

- ``time``: the "Selective Sync" and "Batch Synchronization" blocks call
  ``time.time()``/``time.sleep()`` without importing it (only the later
  "Retry Logic" block imports it);
- ``s3_options`` and ``gcs_options``: the storage options of the
  "Cross-Cloud" block (moto's server and the GCS emulator on loopback);
- ``fs``: the filesystem of the "Partition Maintenance" usage line;
- ``file_list``: the files of the "File Validation" usage line.

Besides names, the environment: the current folder is a temporary one (the
page's ``filesystem("file")`` is rooted there, as fsspeckit 0.25 roots it, so
``"/source/"`` is ``./source``), and ``AWS_ENDPOINT_URL`` points the page's
``filesystem("s3://bucket/")`` at moto.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
import warnings
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "sync-and-manage-files.md"

SOURCE = {f"file{i}.txt": f"file {i}\n" for i in range(1, 4)} | {
    "new_file.txt": "new\n", "updated_file.txt": "updated\n"}


def code_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def block(title: str) -> str:
    """The code block under the heading ``### title``."""
    text = DOC.read_text(encoding="utf-8")
    m = re.search(rf"^### {re.escape(title)}\n.*?```python\n(.*?)```", text, flags=re.DOTALL | re.MULTILINE)
    assert m, title
    return m.group(1)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel.lstrip("/")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_doc_has_examples():
    assert len(code_blocks()) >= 15


def _tree(fs, root: str) -> dict[str, bytes]:
    fs.invalidate_cache()
    return {p[len(root) + 1:]: fs.cat_file(p) for p in fs.find(root)}


def test_examples_run_as_written(s3, gcs, tmp_path, monkeypatch):
    cwd = tmp_path / "cwd"
    _write(cwd, {
        **{f"source/{k}": v for k, v in SOURCE.items()},
        "local/data/a.csv": "a\n",
        "local/data/sub/b.csv": "b\n",
        "data/year=2023/month=01/day=15/file.parquet": "p1",
        "data/year=2023/month=02/day=01/file.parquet": "p2",
        "data/year=2022/month=12/day=31/file.parquet": "p0",
        "src/file1.txt": "src 1\n",
    })
    # The buckets the examples name.
    s3.fs.mkdir("bucket")
    s3.fs.mkdir("source-bucket")
    s3.fs.pipe_file("source-bucket/data/x.csv", b"x\n")
    s3.fs.pipe_file("source-bucket/data/y/z.csv", b"z\n")
    s3.fs.pipe_file("bucket/target/old_file.txt", b"old\n")
    s3.fs.pipe_file("bucket/target/obsolete_file.txt", b"obsolete\n")
    gcs.fs.mkdir("dest-bucket")
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3.endpoint)

    from fsspeckit import filesystem

    namespace = {
        "__name__": "__doc_examples__",
        "time": time,
        "s3_options": dict(s3.options),
        "gcs_options": dict(gcs.options),
        "fs": filesystem(str(cwd)),
        "file_list": ["/source/file1.txt", "/source/file2.txt"],
    }
    printed: list[str] = []
    caught: list[warnings.WarningMessage] = []
    for i, code in enumerate(code_blocks()):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                exec(compile(code, f"<doc example {i + 1}>", "exec"), namespace)
        except Exception as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"doc example {i + 1} failed: {type(exc).__name__}: {exc}\n{code}")
        printed.append(out.getvalue())
        caught.extend(w)
    text = "".join(printed)

    target = _tree(s3.fs, "bucket/target")
    # Basic sync copied file1-3; "Sync with Deletions" added two and removed two.
    assert target == {k: v.encode() for k, v in SOURCE.items()}
    # Directory synchronization: /local/data/ -> bucket/s3/remote-data/
    assert _tree(s3.fs, "bucket/s3/remote-data") == {"a.csv": b"a\n", "sub/b.csv": b"b\n"}
    # Cross-cloud: s3://source-bucket/data/ -> gs://dest-bucket/data/
    gcs.fs.invalidate_cache()
    assert sorted(gcs.fs.find("dest-bucket/data")) == ["dest-bucket/data/x.csv", "dest-bucket/data/y/z.csv"]
    # Batch synchronization printed one batch of the five source files.
    assert "Syncing batch 1: 5 files" in text
    # Conflict resolution: the recipe keys both sides by full names, so it asks to add and
    # to delete the same five files. It prints "Deleted: 5"; nothing was deleted and the
    # library said so (a warning naming the five files), never silently.
    assert "Added/updated: 5, Deleted: 5" in text
    both = [str(w.message) for w in caught if "both add_files and delete_files" in str(w.message)]
    assert both and both[0].startswith("5 file(s) named in both add_files and delete_files were copied and not deleted")
    # Partition extraction printed the page's documented output.
    assert "Path: data/year=2023/month=01/day=15/file.parquet\nPartitions: {'year': '2023', 'month': '01', 'day': '15'}" in text
    # Partition-based sync: only the 2023 partitions reached the destination.
    assert _tree(s3.fs, "bucket/data") == {
        "year=2023/month=01/day=15/file.parquet": b"p1", "year=2023/month=02/day=01/file.parquet": b"p2"}
    # Partition maintenance: fewer than 12 months under /data/, nothing deleted or printed.
    assert "Deleting old partition" not in text and (cwd / "data/year=2022/month=12/day=31/file.parquet").exists()
    # File validation copied the two files to the same paths on S3 and validated them.
    assert "✓ /source/file1.txt: Validation successful" in text and "✓ /source/file2.txt" in text
    assert s3.fs.cat_file("bucket/source/file2.txt") == b"file 2\n"
    # The parallel copy: 100 pairs, all copied.
    assert "Successfully copied: 100\nFailed: 0\n" in text
    # Retry logic: the sync succeeded on its first attempt; /dst/ mirrors /src/.
    assert "Attempt 1 failed" not in text and "Sync failed after retries" not in text
    assert _tree(s3.fs, "bucket/dst") == {"file1.txt": b"src 1\n"}
    # Incremental sync: the first run copied the five files and said so.
    assert "Syncing 5 changed files..." in text and "Synced 5 files" in text
    assert _tree(s3.fs, "bucket/dest") == {**{k: v.encode() for k, v in SOURCE.items()},
                                           "file1.txt": b"file 1\n", "file2.txt": b"file 2\n"}
    assert json.loads((cwd / "sync_state.json").read_text()).keys() == SOURCE.keys()

    # Run the incremental block again with nothing changed: nothing is synced (the saved
    # text of 'modified' equals the next listing's 'modified').
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code_blocks()[-1], "<incremental again>", "exec"), namespace)
    assert out.getvalue() == "Synced 0 files\n"
    # Change one file: exactly that one is synced.
    (cwd / "source" / "file2.txt").write_text("file 2, changed\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code_blocks()[-1], "<incremental after a change>", "exec"), namespace)
    assert out.getvalue() == "Syncing 1 changed files...\nSynced: file2.txt\nSynced 1 files\n"
    assert s3.fs.cat_file("bucket/dest/file2.txt") == b"file 2, changed\n"


def test_retry_recipe_retries_a_failed_sync(tmp_path, monkeypatch, capsys):
    """The page's retry recipe: a file that cannot be written makes sync_dir raise, the recipe retries."""
    _write(tmp_path, {"src/a.txt": "a\n", "src/b.txt": "b\n", "dst/old.txt": "old\n",
                      "dst/a.txt/blocker": "a folder where the file a.txt must go\n"})
    monkeypatch.chdir(tmp_path)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        import shutil

        shutil.rmtree(tmp_path / "dst" / "a.txt")  # the obstacle goes away before the retry

    monkeypatch.setattr(time, "sleep", sleep)
    from fsspeckit import filesystem

    namespace = {"__name__": "__doc_examples__", "src_fs": filesystem("file"), "dst_fs": filesystem("file"),
                 "sync_dir": __import__("fsspeckit").sync_dir}
    code = block("Retry Logic")
    exec(compile(code, "<retry recipe>", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.startswith("Attempt 1 failed: 1 path(s) failed: a.txt:"), out
    assert "Retrying in" in out and "Sync failed" not in out and len(sleeps) == 1
    assert sorted(p.name for p in (tmp_path / "dst").iterdir()) == ["a.txt", "b.txt"]
    assert (tmp_path / "dst" / "a.txt").read_text() == "a\n"
