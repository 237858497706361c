"""Which store family a filesystem belongs to: ``store_of(fs)``."""

from __future__ import annotations

from fsspec.implementations.local import LocalFileSystem

from .gcs import GCSStore
from .generic import Store
from .local import LocalStore
from .s3 import S3Store

__all__ = ["FAMILIES", "store_of"]

#: The families, most specific first; the generic store takes every other filesystem.
FAMILIES: tuple[Store, ...] = (LocalStore(), S3Store(), GCSStore())
_GENERIC = Store()


def store_of(fs) -> Store:
    """The store family of ``fs`` (an unwrapped backend)."""
    if isinstance(fs, LocalFileSystem):
        return FAMILIES[0]
    for family in FAMILIES[1:]:
        if family.handles(fs):
            return family
    return _GENERIC
