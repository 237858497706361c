"""fsspeckit 0.25's ``fsspeckit.utils.misc``: the seed functions under that name."""

from ..execution.parallel import run_parallel
from ..partitions.hive import get_partitions_from_path
from ..verbs.sync import sync_dir, sync_files

__all__ = ["get_partitions_from_path", "run_parallel", "sync_dir", "sync_files"]
