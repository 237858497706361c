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
    SourceError,
    SourceNotFoundError,
    StalePlanError,
    SyncCancelled,
    UnknownProtocolError,
)
from .filesystem import filesystem
from .listing import Entry, Listing, list_tree
from .parallel import run_parallel
from .partitions import get_partitions_from_path
from .plan import Action, Plan, SyncOptions, make_plan
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
    "Progress",
    "SourceError",
    "SourceNotFoundError",
    "StalePlanError",
    "SyncCancelled",
    "SyncOptions",
    "SyncResult",
    "UnknownProtocolError",
    "apply_plan",
    "filesystem",
    "get_partitions_from_path",
    "list_tree",
    "make_plan",
    "plan_sync",
    "run_parallel",
    "sync_dir",
    "sync_files",
    "validate_file_transfer",
]
