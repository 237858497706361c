"""fsspeckit: sync, mirror and inspect files across fsspec filesystems.

List → plan → apply: ``list_tree`` lists a side, ``make_plan``/``plan_sync``
decide one action per path, ``apply_plan`` carries it out and reports every
path's outcome. ``sync_dir`` and ``sync_files`` do all three.
"""

from importlib import import_module

from fsspec import AbstractFileSystem
from fsspec.implementations.dirfs import DirFileSystem

from . import distributed as _distributed  # noqa: F401 - registers the Dask executor with apply_plan
from .apply import Progress, apply_plan
from .exceptions import (
    BackendError,
    BackendNotInstalledError,
    DeleteLimitError,
    DestinationError,
    EmptySourceError,
    FilterError,
    EndpointTimeoutError,
    FsspeckitError,
    OptionError,
    OptionTypeError,
    ParquetFooterError,
    MoveRefused,
    PeekError,
    PlanError,
    PredicateError,
    ProfileError,
    SourceChangedError,
    SourceError,
    SourceNotFoundError,
    StalePlanError,
    SyncCancelled,
    SyncError,
    TomlWriteError,
    UnknownProtocolError,
    UnsafePathError,
    UploadStoppedError,
    VerificationError,
    describe_error,
)
from .filesystem import filesystem, get_filesystem
from .filters import Filters
from .listing import Entry, Listing, list_tree
from .options import RunOptions
from .plan import Action, Plan, SyncOptions, make_plan
from .result import Outcome, SyncResult
from .sync import plan_sync, sync_dir, sync_files

# Loaded on first use, so that a plain sync does not pay for them at start-up.
_LAZY = {
    "cleanup_old_partitions": "partition_ops",
    "sync_partitions": "partition_ops",
    "diff_partitions": "partitions",
    "get_partitions_from_path": "partitions",
    "partition_index": "partitions",
    "compile_predicate": "predicates",
    "run_parallel": "parallel",
    "validate_file_transfer": "verify",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fsspeckit' has no attribute {name!r}")

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__version__ = "0.1.0"

__all__ = [
    "AbstractFileSystem",
    "Action",
    "BackendError",
    "BackendNotInstalledError",
    "DeleteLimitError",
    "DestinationError",
    "DirFileSystem",
    "EmptySourceError",
    "EndpointTimeoutError",
    "Entry",
    "FilterError",
    "Filters",
    "FsspeckitError",
    "Listing",
    "MoveRefused",
    "OptionError",
    "OptionTypeError",
    "Outcome",
    "ParquetFooterError",
    "PeekError",
    "Plan",
    "PlanError",
    "PredicateError",
    "ProfileError",
    "Progress",
    "RunOptions",
    "SourceChangedError",
    "SourceError",
    "SourceNotFoundError",
    "StalePlanError",
    "SyncCancelled",
    "SyncError",
    "SyncOptions",
    "SyncResult",
    "TomlWriteError",
    "UnknownProtocolError",
    "UnsafePathError",
    "UploadStoppedError",
    "VerificationError",
    "apply_plan",
    "cleanup_old_partitions",
    "compile_predicate",
    "describe_error",
    "diff_partitions",
    "filesystem",
    "get_filesystem",
    "get_partitions_from_path",
    "list_tree",
    "make_plan",
    "partition_index",
    "plan_sync",
    "run_parallel",
    "sync_dir",
    "sync_files",
    "sync_partitions",
    "validate_file_transfer",
]
