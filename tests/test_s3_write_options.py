"""--s3-storage-class, --s3-sse, --s3-acl on uploads and server-side copies, read back with head_object on moto."""

from __future__ import annotations

import pytest

from fsspeckit import filesystem, sync_dir
from fsspeckit.exceptions import BackendError
from fsspeckit.backends.s3.options import s3_write_options, with_s3_write_options
from tui import cli


@pytest.fixture(autouse=True)
def config(tmp_path, monkeypatch):
    monkeypatch.setenv("FSKIT_CONFIG", str(tmp_path / "remotes.toml"))


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def head(s3, rel):
    return s3.fs.call_s3("head_object", Bucket=s3.bucket, Key=rel)


def acl_grants(s3, rel):
    return s3.fs.call_s3("get_object_acl", Bucket=s3.bucket, Key=rel)["Grants"]


def opts(s3, flag="--dst-option"):
    return [a for k, v in s3.options.items() if isinstance(v, str) for a in (flag, f"{k}={v}")]


def test_upload_and_server_side_copy_carry_the_options(capsys, s3, local_tree):
    src = local_tree({"a.csv": b"1,2", "big.bin": b"z" * 7_000_000}, "src")
    flags = ["--s3-storage-class", "standard_ia", "--s3-sse", "AES256", "--s3-acl", "public-read"]
    code, _, err = run(capsys, "sync", src, f"s3://{s3.bucket}/up", *flags, *opts(s3))
    assert code == 0, err
    for rel in ("up/a.csv", "up/big.bin"):
        h = head(s3, rel)
        assert h.get("StorageClass") == "STANDARD_IA" and h.get("ServerSideEncryption") == "AES256", h
        assert any(g["Grantee"].get("URI", "").endswith("AllUsers") and g["Permission"] == "READ"
                   for g in acl_grants(s3, rel))
    # bucket to bucket on one store: the store's own copy, with other options
    both = opts(s3, "--src-option") + opts(s3)
    code, _, err = run(capsys, "copy", f"s3://{s3.bucket}/up", f"s3://{s3.bucket}/copied",
                       "--s3-storage-class", "GLACIER_IR", "--s3-sse", "aws:kms", "--s3-sse-kms-key-id", "k-1", *both)
    assert code == 0, err
    h = head(s3, "copied/a.csv")
    assert h.get("StorageClass") == "GLACIER_IR" and h.get("ServerSideEncryption") == "aws:kms"
    assert h.get("SSEKMSKeyId", "").endswith("k-1")


def test_the_library_form(s3, local_tree):
    src = local_tree({"x.txt": b"x"}, "src")
    options = with_s3_write_options(s3.options, s3_write_options(storage_class="INTELLIGENT_TIERING"))
    sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/lib", storage_options=options), str(src), "")
    assert head(s3, "lib/x.txt")["StorageClass"] == "INTELLIGENT_TIERING"


@pytest.mark.parametrize("flags,message", [
    (["--s3-storage-class", "COLD"], "unknown S3 storage class"),
    (["--s3-sse", "rot13"], "unknown S3 server-side encryption"),
    (["--s3-acl", "everyone"], "unknown S3 canned ACL"),
    (["--s3-sse-kms-key-id", "k"], "needs the encryption aws:kms"),
])
def test_bad_values_exit_2(capsys, s3, local_tree, flags, message):
    src = local_tree({"x.txt": b"x"}, "src")
    code, _, err = run(capsys, "sync", src, f"s3://{s3.bucket}/bad", *flags, *opts(s3))
    assert code == 2 and message in err
    assert s3.fs.find(s3.path("bad")) == []


def test_refused_on_a_local_destination(capsys, local_tree, tmp_path):
    src = local_tree({"x.txt": b"x"}, "src")
    code, _, err = run(capsys, "sync", src, tmp_path / "d", "--s3-storage-class", "STANDARD")
    assert code == 2 and "apply to an S3 destination" in err
    assert not (tmp_path / "d").exists()


def test_merging_keeps_other_request_options():
    merged = with_s3_write_options({"s3_additional_kwargs": {"RequestPayer": "requester"}, "anon": False},
                                   s3_write_options(acl="private"))
    assert merged == {"s3_additional_kwargs": {"RequestPayer": "requester", "ACL": "private"}, "anon": False}
    with pytest.raises(BackendError):
        s3_write_options(sse="aws:kmsx")


def test_a_multipart_upload_carries_them_too(s3, local_tree, monkeypatch):
    import os

    from fsspeckit.backends.s3 import upload as s3_upload

    monkeypatch.setattr(s3_upload, "MULTIPART_FROM", 10 * 2**20)
    monkeypatch.setattr(s3_upload, "PART_SIZE", 5 * 2**20)
    src = local_tree({"big.bin": os.urandom(11 * 2**20)}, "src")
    options = with_s3_write_options(s3.options, s3_write_options(storage_class="STANDARD_IA", sse="AES256",
                                                                 acl="bucket-owner-full-control"))
    result = sync_dir(filesystem("/"), filesystem(f"s3://{s3.bucket}/mp", storage_options=options), str(src), "")
    assert result.ok
    h = head(s3, "mp/big.bin")
    assert h["ETag"].strip('"').endswith("-3")  # it went in parts
    assert h.get("StorageClass") == "STANDARD_IA" and h.get("ServerSideEncryption") == "AES256"
