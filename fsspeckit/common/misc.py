"""The helpers the documentation imports from ``fsspeckit.common.misc``."""

from ..execution.parallel import run_parallel
from ..execution.verify import validate_file_transfer
from ..partitions.hive import get_partitions_from_path
from ..verbs.partition_ops import cleanup_old_partitions, sync_partitions
from ..verbs.sync import sync_dir, sync_files

__all__ = [
    "cleanup_old_partitions",
    "get_partitions_from_path",
    "run_parallel",
    "sync_dir",
    "sync_files",
    "sync_partitions",
    "validate_file_transfer",
]
