"""Defaults shared by the library and both front ends (kept here, below every module that uses them)."""

from __future__ import annotations

__all__ = ["DEFAULT_WORKERS"]

#: Files copied (or hashed) at once when the caller does not say: by ``apply_plan``,
#: ``sync_dir``, planning's hashing, and every command and the app.
DEFAULT_WORKERS = 8
