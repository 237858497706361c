"""fsspeckit: sync, mirror and inspect files across fsspec filesystems.

List → plan → apply: ``list_tree`` lists a side, ``make_plan``/``plan_sync``
decide one action per path, ``apply_plan`` carries it out and reports every
path's outcome. ``sync_dir`` and ``sync_files`` do all three.
"""

from .apply import Progress, apply_plan
from .exceptions import (
    BackendError,
    BackendNotInstalledError,
    DeleteLimitError,
    DestinationError,
    EmptySourceError,
    FsspeckitError,
    PlanError,
    PredicateError,
    SourceError,
    SourceNotFoundError,
    StalePlanError,
    SyncCancelled,
    UnknownProtocolError,
)
from .filesystem import filesystem
from .listing import Entry, Listing, list_tree
from .parallel import run_parallel
from .partition_ops import cleanup_old_partitions, sync_partitions
from .partitions import diff_partitions, get_partitions_from_path, partition_index
from .plan import Action, Plan, SyncOptions, make_plan
from .predicates import compile_predicate
from .result import Outcome, SyncResult
from .sync import plan_sync, sync_dir, sync_files
from .verify import validate_file_transfer

__version__ = "0.1.0"

__all__ = [
    "Action",
    "BackendError",
    "BackendNotInstalledError",
    "DeleteLimitError",
    "DestinationError",
    "EmptySourceError",
    "Entry",
    "FsspeckitError",
    "Listing",
    "Outcome",
    "Plan",
    "PlanError",
    "PredicateError",
    "Progress",
    "SourceError",
    "SourceNotFoundError",
    "StalePlanError",
    "SyncCancelled",
    "SyncOptions",
    "SyncResult",
    "UnknownProtocolError",
    "apply_plan",
    "cleanup_old_partitions",
    "compile_predicate",
    "diff_partitions",
    "filesystem",
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
