"""S3's bulk delete: DeleteObjects, up to 1,000 keys of one bucket a request."""

from __future__ import annotations

__all__ = ["S3_DELETE_BATCH", "delete_batch", "delete_batches"]

#: S3's DeleteObjects takes at most this many keys per request.
S3_DELETE_BATCH = 1000


def delete_batches(fs, paths: list[str]) -> list[list[str]]:
    """``paths`` (``bucket/key``) grouped by bucket, at most ``S3_DELETE_BATCH`` a group."""
    groups: dict[str, list[str]] = {}
    for path in paths:
        groups.setdefault(fs.split_path(path)[0], []).append(path)
    return [items[i:i + S3_DELETE_BATCH] for items in groups.values() for i in range(0, len(items), S3_DELETE_BATCH)]


def delete_batch(fs, paths: list[str]) -> set[str]:
    """One DeleteObjects request for ``paths`` (one bucket); the paths S3 reports as not deleted."""
    bucket = fs.split_path(paths[0])[0]
    keys = {fs.split_path(p)[1]: p for p in paths}
    request = {"Objects": [{"Key": key} for key in keys], "Quiet": True}
    try:
        out = fs.call_s3("delete_objects", Bucket=bucket, Delete=request)
    finally:
        fs.invalidate_cache()
    return {keys[e["Key"]] for e in out.get("Errors") or () if e.get("Key") in keys}
