"""How a run carries out a plan: ``RunOptions``, the one settings object of the apply stage.

The plan stage has ``SyncOptions`` (what to compare and decide); the run stage
has ``RunOptions`` (how the writes are done and guarded). ``sync_dir``, the
headless commands and the app build one and pass it unchanged to
``apply_plan``, which hands the same object to the Dask executor and, through
it, to every shard a worker runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..exceptions import OptionError, OptionTypeError
from .defaults import DEFAULT_CHUNK_SIZE, DEFAULT_WORKERS

__all__ = ["RunOptions", "VERIFY_MODES"]

#: How each copy is checked: bytes counted, the content hash compared afterwards, or not at all.
VERIFY_MODES = ("size", "checksum", "none")


@dataclass(frozen=True)
class RunOptions:
    """The settings of one run of ``apply_plan`` (see its docstring for each)."""

    max_workers: int | None = None
    retries: int = 3
    backoff: float = 0.5
    verify: str = "size"
    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_delete: Any = None
    backup_dir: str | None = None
    allow_delete_all: bool = False
    dry_run: bool = False
    refresh: bool | None = None
    server_side: bool = True
    backup_suffix: str = ""
    suffix_keep_extension: bool = False
    bwlimit: float | None = None
    max_transfer: int | None = None

    def __post_init__(self):
        if self.verify not in VERIFY_MODES:
            raise OptionError("verify must be 'size', 'checksum' or 'none'.")

    @property
    def workers(self) -> int:
        """Files copied at once: ``max_workers``, or the default."""
        return max(1, int(self.max_workers or DEFAULT_WORKERS))

    @classmethod
    def of(cls, options: "RunOptions | None" = None, **settings: Any) -> "RunOptions":
        """``options`` (or the defaults) with ``settings`` given by keyword (the names of the fields)."""
        unknown = set(settings) - {f.name for f in fields(cls)}
        if unknown:
            raise OptionTypeError(f"unknown run option{'s' if len(unknown) > 1 else ''}: {', '.join(sorted(unknown))}.")
        if options is not None and not isinstance(options, cls):
            raise OptionTypeError(f"options must be a RunOptions, not {type(options).__name__}.")
        base = options or cls()
        return replace(base, **settings) if settings else base
