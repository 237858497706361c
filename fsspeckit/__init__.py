"""fsspeckit: sync, mirror and inspect files across fsspec filesystems.

List → plan → apply: ``list_tree`` lists a side, ``make_plan``/``plan_sync``
decide one action per path, ``apply_plan`` carries it out and reports every
path's outcome. ``sync_dir`` and ``sync_files`` do all three.

The supported surface is this module's ``__all__`` (and, for the seed page and
fsspeckit 0.25, ``fsspeckit.common`` and ``fsspeckit.utils``). The subpackages
are the implementation, one layer each, from the bottom up: ``model`` (entries,
options, results), ``backends`` (one module per store family), ``remotes``,
``listing``, ``partitions``, ``planning``, ``execution`` and ``verbs``; a layer
imports only from the layers below it.
"""

from importlib import import_module

from fsspec import AbstractFileSystem
from fsspec.implementations.dirfs import DirFileSystem

from .execution.distributed import apply_plan_distributed  # importing it registers the Dask executor
from .execution.apply import Progress, apply_plan
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
from .backends.filesystem import filesystem, get_filesystem
from .planning.filters import Filters
from .model.entries import Entry, Listing
from .listing.tree import list_tree
from .model.options import RunOptions
from .planning.plan import Action, Plan, SyncOptions, make_plan
from .model.result import Outcome, SyncResult
from .verbs.sync import plan_sync, sync_dir, sync_files

# Loaded on first use, so that a plain sync does not pay for them at start-up.
_LAZY = {
    "cleanup_old_partitions": "verbs.partition_ops",
    "sync_partitions": "verbs.partition_ops",
    "diff_partitions": "planning.partition_diff",
    "get_partitions_from_path": "partitions.hive",
    "partition_index": "partitions.hive",
    "compile_predicate": "partitions.predicates",
    "run_parallel": "execution.parallel",
    "validate_file_transfer": "execution.verify",
    "bisync": "verbs.bisync",
    "plan_bisync": "verbs.bisync",
    "check_trees": "verbs.check",
    "move_dir": "verbs.move",
    "s3_write_options": "backends.s3.options",
    "with_s3_write_options": "backends.s3.options",
    "configure_timeouts": "backends.timeouts:configure",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'fsspeckit' has no attribute {name!r}")

    module, _, attr = module.partition(":")
    value = getattr(import_module(f".{module}", __name__), attr or name)
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
    "apply_plan_distributed",
    "bisync",
    "check_trees",
    "cleanup_old_partitions",
    "compile_predicate",
    "configure_timeouts",
    "describe_error",
    "diff_partitions",
    "filesystem",
    "get_filesystem",
    "get_partitions_from_path",
    "list_tree",
    "make_plan",
    "move_dir",
    "partition_index",
    "plan_bisync",
    "plan_sync",
    "run_parallel",
    "s3_write_options",
    "sync_dir",
    "sync_files",
    "sync_partitions",
    "validate_file_transfer",
    "with_s3_write_options",
]
