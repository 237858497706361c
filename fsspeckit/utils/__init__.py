"""fsspeckit 0.25's ``fsspeckit.utils`` (and ``fsspeckit.utils.misc``): the seed functions under that name."""

from .. import common

_NAMES = ("get_partitions_from_path", "run_parallel", "sync_dir", "sync_files")

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name not in _NAMES:
        raise AttributeError(f"module 'fsspeckit.utils' has no attribute {name!r}")

    value = getattr(common, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
