"""The generic store family: what every fsspec filesystem can do, and what the others refine.

Each store family (``local``, ``s3``, ``gcs`` and this one) offers the same small
set of capabilities to the layers above: list a tree (``find``), upload a local
file and download to one its own way (``upload``, ``download``; here: not
offered, so ``transfer`` streams them), copy inside the store (``server_copy``)
and delete many keys in few requests (``delete_batches`` and ``delete_batch``;
here: not offered, so deletes go one by one). A flag says whether each offered
capability is there (``uploads``, ``downloads``, ``bulk_deletes``), so a caller
asks before it prepares anything.
``backends.stores.store_of`` picks the family of a filesystem.
"""

from __future__ import annotations

from typing import Callable

__all__ = ["Store"]


class Store:
    """The generic fsspec store. Subclasses refine what their store does better."""

    #: The family's name, as logs and tests show it.
    name = "fsspec"

    def handles(self, fs) -> bool:
        """True where ``fs`` (an unwrapped backend) belongs to this family."""
        return True

    def find(self, fs, root: str, tick: Callable[[int], None] | None = None) -> dict:
        """Every file under ``root``: ``find(root, withdirs=False, detail=True)`` (``tick`` hears counts, if it can)."""
        return fs.find(root, withdirs=False, detail=True)

    #: True where ``upload`` is offered.
    uploads = False

    def upload(self, fs, src_path: str, dst_path: str, size: int, on_bytes, cancel, listed) -> None:
        """Upload the local file ``src_path``, checked (``listed(stat, when)`` checks the open file is the listed one)."""
        raise NotImplementedError(f"the {self.name} store has no upload of its own")

    #: True where ``download`` is offered.
    downloads = False

    def download(self, fs, src_path: str, local_path: str, size: int | None, etag: str | None, md5: str | None,
                 on_bytes, on_metadata) -> int:
        """Download ``src_path`` into ``local_path``, checked against what the listing said; the bytes written."""
        raise NotImplementedError(f"the {self.name} store has no download of its own")

    def server_copy(self, fs, src_path: str, dst_path: str, size: int | None) -> None:
        """The store's own copy of one file; no bytes through this process."""
        fs.cp_file(src_path, dst_path)

    #: True where ``delete_batches``/``delete_batch`` are offered.
    bulk_deletes = False

    def delete_batches(self, fs, paths: list[str]) -> list[list[str]]:
        """``paths`` grouped into bulk delete requests; empty where the store deletes one key a request."""
        return []

    def delete_batch(self, fs, paths: list[str]) -> set[str]:
        """Delete one batch from ``delete_batches`` in one request; the paths the store refused."""
        raise NotImplementedError(f"the {self.name} store has no bulk delete")
