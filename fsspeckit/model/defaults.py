"""Defaults shared by the library and both front ends (kept here, below every module that uses them)."""

from __future__ import annotations

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_WORKERS"]

#: Files copied (or hashed) at once when the caller does not say: by ``apply_plan``,
#: ``sync_dir``, planning's hashing, and every command and the app.
DEFAULT_WORKERS = 8

#: Bytes read and written at a time by a streamed copy, and the size of an upload's part.
DEFAULT_CHUNK_SIZE = 8 * 2**20
