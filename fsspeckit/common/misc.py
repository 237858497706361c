"""The helpers the documentation imports from ``fsspeckit.common.misc``."""

from ..parallel import run_parallel
from ..partition_ops import cleanup_old_partitions, sync_partitions
from ..partitions import get_partitions_from_path
from ..sync import sync_dir, sync_files
from ..verify import validate_file_transfer

__all__ = [
    "cleanup_old_partitions",
    "get_partitions_from_path",
    "run_parallel",
    "sync_dir",
    "sync_files",
    "sync_partitions",
    "validate_file_transfer",
]
