"""S3's own copy: one CopyObject up to 5 GiB, a multipart copy that keeps the metadata above it."""

from __future__ import annotations

from fsspec.asyn import sync

__all__ = ["S3_COPY_LIMIT", "server_copy"]

#: The largest object one S3 CopyObject may copy; above it the copy goes in parts.
S3_COPY_LIMIT = 5 * 2**30


def server_copy(fs, src_path: str, dst_path: str, size: int | None) -> None:
    """The store's own copy; no path expansion, no bytes through us.

    The listing's size chooses between one CopyObject (which keeps the object's
    metadata: rclone's mtime, its content type) and a copy in parts, which S3
    starts with no metadata at all: it is given the source's again. s3fs would
    copy in parts from 150 MiB and drop it, so it does not decide.
    """
    if size is None:
        size = fs.info(src_path)["size"]
    if size <= S3_COPY_LIMIT:
        sync(fs.loop, fs._copy_basic, src_path, dst_path)
        return
    bucket, key, version = fs.split_path(src_path)
    head = sync(fs.loop, fs._call_s3, "head_object", Bucket=bucket, Key=key,
                **({"VersionId": version} if version else {}))
    kept = {"Metadata": head.get("Metadata") or {}}
    for name in ("ContentType", "ContentEncoding", "ContentDisposition", "ContentLanguage", "CacheControl"):
        if head.get(name):
            kept[name] = head[name]
    sync(fs.loop, fs._copy_managed, src_path, dst_path, head["ContentLength"], **kept)
