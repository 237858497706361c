"""fsspeckit 0.25's ``fsspeckit.common.parallel``: ``run_parallel``."""

from ..execution.parallel import run_parallel

__all__ = ["run_parallel"]
