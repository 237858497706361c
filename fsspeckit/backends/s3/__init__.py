"""S3: listing split by folder, the store's own copy, bulk deletes, uploads, checked downloads, write options.

``S3Store`` offers the capabilities every store family has (see
``backends.generic``) the S3 way; ``upload``, ``download`` and ``options`` hold
what only S3 does.
"""

from __future__ import annotations

from ..generic import Store
from . import copy, delete, download, listing, upload

__all__ = ["S3Store"]


class S3Store(Store):
    name = "s3"

    def handles(self, fs) -> bool:
        return type(fs).__module__.startswith("s3fs") and hasattr(fs, "call_s3")

    def find(self, fs, root, tick=None) -> dict:
        listing.fast_listing_times(fs)
        return listing.find_files(fs, root, tick)

    uploads = True

    def upload(self, fs, src_path, dst_path, size, on_bytes, cancel, listed) -> None:
        upload.upload(fs, src_path, dst_path, size, on_bytes, cancel, listed)

    downloads = True

    def download(self, fs, src_path, local_path, size, etag, md5, on_bytes, on_metadata) -> int:
        return download.download(fs, src_path, local_path, size=size, etag=etag, md5=md5, on_bytes=on_bytes,
                                 on_metadata=on_metadata)

    def server_copy(self, fs, src_path, dst_path, size) -> None:
        copy.server_copy(fs, src_path, dst_path, size)

    bulk_deletes = True

    def delete_batches(self, fs, paths):
        return delete.delete_batches(fs, paths)

    def delete_batch(self, fs, paths):
        return delete.delete_batch(fs, paths)
