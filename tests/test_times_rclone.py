"""File times on S3 the way rclone keeps them, so the two tools agree about a tree.

Against moto's S3 server on loopback and rclone itself (skipped where rclone
is not installed). Debian's rclone 1.60 fails while ``AWS_CA_BUNDLE`` is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.backends.s3 import upload as s3_upload


def _rclone(s3, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    env.update({"RCLONE_CONFIG": "/dev/null", "RCLONE_CONFIG_MOTO_TYPE": "s3", "RCLONE_CONFIG_MOTO_PROVIDER": "Other",
                "RCLONE_CONFIG_MOTO_ENDPOINT": s3.server.endpoint, "RCLONE_CONFIG_MOTO_ACCESS_KEY_ID": "testing",
                "RCLONE_CONFIG_MOTO_SECRET_ACCESS_KEY": "testing", "RCLONE_CONFIG_MOTO_REGION": "us-east-1"})
    return subprocess.run(["rclone", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("size", [1000, s3_upload.STREAM_FROM + 10])
def test_uploads_store_the_file_time_in_rclone_format(s3, tmp_path, size):
    src = tmp_path / "src"
    src.mkdir()
    f = src / "a.bin"
    f.write_bytes(b"x" * size)
    os.utime(f, ns=(1_600_000_000_123_456_001, 1_600_000_000_123_456_001))
    assert sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options),
                    str(src), "").ok
    head = s3.fs.call_s3("head_object", Bucket=s3.bucket, Key="t/a.bin")
    assert head["Metadata"] == {"mtime": "1600000000.123456001"}


def test_multipart_uploads_store_the_file_time_too(s3, tmp_path, monkeypatch):
    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    f = tmp_path / "big.bin"
    f.write_bytes(os.urandom(11 * 2**20))
    os.utime(f, (1_500_000_000.5, 1_500_000_000.5))
    assert sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options),
                    str(tmp_path), "", include=["big.bin"]).ok
    meta = s3.fs.call_s3("head_object", Bucket=s3.bucket, Key="t/big.bin")["Metadata"]
    assert meta["mtime"] == "1500000000.500000000" and set(meta) == {"mtime", "md5chksum"}


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_rclone_reads_the_md5_of_our_multipart_uploads(s3, tmp_path, monkeypatch):
    # rclone keeps a multipart object's MD5 in md5chksum; so do we: `rclone md5sum` and
    # `rclone check` see a hash for our big uploads instead of none.
    import hashlib

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    src = tmp_path / "src"
    src.mkdir()
    body = os.urandom(11 * 2**20)
    (src / "big.bin").write_bytes(body)
    assert sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/mp", storage_options=s3.options),
                    str(src), "").ok
    out = _rclone(s3, "md5sum", f"moto:{s3.bucket}/mp")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [hashlib.md5(body).hexdigest(), "big.bin"]
    check = _rclone(s3, "check", str(src), f"moto:{s3.bucket}/mp")
    assert check.returncode == 0 and "1 matching files" in check.stderr, check.stderr
    assert "could not be checked" not in check.stderr and "hashes" not in check.stderr.replace("0 hashes", ""), check.stderr


@pytest.mark.skipif(shutil.which("rclone") is None, reason="rclone is not installed")
def test_a_tree_we_uploaded_is_a_no_op_for_rclone_sync(s3, tmp_path):
    src = tmp_path / "src"
    for i in range(20):
        p = src / f"d{i % 3}" / f"f{i}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"file {i}")
        os.utime(p, (1_650_000_000 + i, 1_650_000_000 + i))
    assert sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/t", storage_options=s3.options),
                    str(src), "").ok
    done = _rclone(s3, "sync", str(src), f"moto:{s3.bucket}/t", "--dry-run", "-v")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Skipped update modification time" not in done.stderr, done.stderr[-2000:]
    assert "Skipped copy" not in done.stderr and "Skipped delete" not in done.stderr, done.stderr[-2000:]
    listed = _rclone(s3, "lsl", f"moto:{s3.bucket}/t/d0")
    assert "2022-04-15" in listed.stdout, listed.stdout  # the files' own dates, not today's
