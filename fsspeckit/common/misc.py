"""The helpers the documentation imports from ``fsspeckit.common.misc``."""

from ..parallel import run_parallel
from ..partitions import get_partitions_from_path
from ..sync import sync_dir, sync_files
from ..verify import validate_file_transfer

__all__ = ["get_partitions_from_path", "run_parallel", "sync_dir", "sync_files", "validate_file_transfer"]
