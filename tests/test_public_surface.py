"""The supported surface, drawn the httpx way: one sorted ``__all__``, every error in one place.

Every deliberate error derives from ``FsspeckitError``, is defined in
``fsspeckit.exceptions`` and exported from the package root; every module of
the library says what it offers in ``__all__``, and every name listed exists.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import fsspeckit
from fsspeckit import exceptions

#: Internal signals that a read must be retried: they stay plain ``OSError``s on
#: purpose, because the retry loop treats every ``FsspeckitError`` as final.
RETRY_SIGNALS = {"fsspeckit.backends.s3.download.ShortBodyError", "fsspeckit.backends.timeouts.StallError"}
OPTIONAL = ("pyarrow", "distributed", "dask")


def _modules():
    for info in pkgutil.walk_packages(fsspeckit.__path__, "fsspeckit."):
        try:
            yield importlib.import_module(info.name)
        except ImportError as exc:  # an optional dependency that is not installed
            if not any(name in str(exc) for name in OPTIONAL):
                raise


MODULES = list(_modules())


def test_root_all_is_sorted_and_every_name_exists():
    assert fsspeckit.__all__ == sorted(fsspeckit.__all__)
    assert len(set(fsspeckit.__all__)) == len(fsspeckit.__all__)
    for name in fsspeckit.__all__:
        assert getattr(fsspeckit, name) is not None, name


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_every_module_declares_what_it_offers(module):
    assert isinstance(getattr(module, "__all__", None), (list, tuple)), f"{module.__name__} has no __all__"
    for name in module.__all__:
        assert hasattr(module, name), f"{module.__name__}.__all__ names {name}, which it does not define"


def _errors():
    seen = {}
    for module in MODULES:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__.startswith("fsspeckit"):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return seen


def test_every_error_is_a_fsspeckit_error_defined_in_exceptions_and_exported():
    errors = _errors()
    assert len(errors) > 20
    for qualified, cls in sorted(errors.items()):
        if qualified in RETRY_SIGNALS:
            continue
        assert issubclass(cls, fsspeckit.FsspeckitError), qualified
        assert cls.__module__ == "fsspeckit.exceptions", f"{qualified} belongs in fsspeckit.exceptions"
        assert cls.__name__ in exceptions.__all__ and cls.__name__ in fsspeckit.__all__, qualified
        assert getattr(fsspeckit, cls.__name__) is cls
        assert cls.__doc__ and cls.__name__ in exceptions.__doc__, f"{qualified} is missing from the hierarchy drawn"


def test_bad_values_are_value_errors_and_fsspeckit_errors():
    for call in (lambda: fsspeckit.SyncOptions(compare="nope"),
                 lambda: fsspeckit.run_parallel(print, [1], backend="nope"),
                 lambda: fsspeckit.filesystem("file", cache_storage="/x")):
        with pytest.raises(fsspeckit.OptionError) as info:
            call()
        assert isinstance(info.value, ValueError)
    with pytest.raises(fsspeckit.OptionTypeError) as info:
        fsspeckit.get_partitions_from_path(12)
    assert isinstance(info.value, TypeError)


def test_no_bare_builtin_raise_in_the_library():
    import ast
    import pathlib

    bare = []
    for path in pathlib.Path(fsspeckit.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and isinstance(node.exc.func, ast.Name):
                if node.exc.func.id in ("ValueError", "TypeError", "RuntimeError", "Exception"):
                    bare.append(f"{path.name}:{node.lineno} {node.exc.func.id}")
    assert bare == []
