"""fsspeckit 0.25's ``fsspeckit.common.sync``: ``sync_dir`` and ``sync_files``."""

from ..verbs.sync import sync_dir, sync_files

__all__ = ["sync_dir", "sync_files"]
