"""The read cache behind ``filesystem(..., cached=True)``: fsspec's SimpleCacheFileSystem.

A file read once is copied whole into a local cache folder and later reads are
served from there (no freshness check, as fsspec's ``simplecache``). With
``verbose`` each read says on stderr whether it came from the cache.
"""

from __future__ import annotations

import logging
import sys

from fsspec.implementations.cached import SimpleCacheFileSystem

logger = logging.getLogger(__name__)

__all__ = ["KitCacheFileSystem", "cached_backend"]


class KitCacheFileSystem(SimpleCacheFileSystem):
    """``SimpleCacheFileSystem`` that can report each read as a cache hit or a fetch."""

    protocol = "simplecache"

    def __init__(self, *args, verbose: bool = False, **kwargs):
        self.verbose = verbose
        super().__init__(*args, **kwargs)

    def _open(self, path, mode="rb", **kwargs):
        if self.verbose and "r" in mode:
            stripped = self._strip_protocol(path)
            hit = bool(self._check_file(stripped))
            sys.stderr.write(f"fsspeckit: {'cache hit' if hit else 'fetching into the cache'}: {stripped}\n")
        return super()._open(path, mode=mode, **kwargs)


def cached_backend(fs, cache_storage: str | None, verbose: bool) -> KitCacheFileSystem:
    """Wrap ``fs`` in the read cache; ``cache_storage`` None gives a new temporary folder."""
    if isinstance(fs, SimpleCacheFileSystem):
        return fs
    storage = cache_storage if cache_storage is not None else "TMP"
    return KitCacheFileSystem(fs=fs, cache_storage=storage, verbose=verbose, skip_instance_cache=True)
