"""fsspeckit 0.25's ``fsspeckit.common.partitions``: ``get_partitions_from_path``."""

from ..partitions.hive import get_partitions_from_path

__all__ = ["get_partitions_from_path"]
