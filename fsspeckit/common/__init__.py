"""Compatibility namespace: the imports the seed page and fsspeckit 0.25 use.

``fsspeckit.common.misc`` (the seed page) and ``fsspeckit.common`` with its
``sync``, ``parallel`` and ``partitions`` modules (fsspeckit 0.25) all give
the same functions as the package root.
"""

from importlib import import_module

_NAMES = {
    "get_partitions_from_path": "..partitions.hive",
    "run_parallel": "..execution.parallel",
    "sync_dir": "..verbs.sync",
    "sync_files": "..verbs.sync",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'fsspeckit.common' has no attribute {name!r}")

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))
