"""``run_parallel``: call a function over zipped arguments on a bounded pool, results in input order.

Accepts both the seed page's form (``run_parallel(func, data=items,
max_workers=8, progress=True)``) and fsspeckit 0.25's (``run_parallel(func,
xs, ys, scale=2, n_jobs=4, backend="threading", verbose=True)``).
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from ..exceptions import OptionError, OptionTypeError

logger = logging.getLogger(__name__)

__all__ = ["run_parallel", "BACKENDS"]

#: The pools ``backend=`` can name (joblib's names, as fsspeckit 0.25 took them).
BACKENDS = ("threading", "sequential", "multiprocessing", "loky")

_MISSING = object()


def _is_iterable(value: Any) -> bool:
    """Zipped, not broadcast: any iterable except text, bytes and mappings."""
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, bytearray, Mapping))


def _pool_size(n_jobs: int | None, max_workers: int | None, n_items: int) -> int:
    if max_workers is not None:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise OptionError(f"max_workers must be a whole number of at least 1, not {max_workers!r}.")
        n = max_workers
    elif n_jobs is None or n_jobs == -1:
        n = min(32, (os.cpu_count() or 1) + 4)  # the standard library's thread-pool default
    elif isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise OptionError(f"n_jobs must be a whole number other than 0 (-1: a default pool), not {n_jobs!r}.")
    elif n_jobs < 0:
        n = max(1, (os.cpu_count() or 1) + 1 + n_jobs)  # joblib: -2 is all CPUs but one
    else:
        n = n_jobs
    return max(1, min(n, n_items or 1))


def _call(job):
    func, args, kwargs = job
    return func(*args, **kwargs)


def run_parallel(
    func: Callable[..., Any],
    *args: Any,
    n_jobs: int | None = None,
    backend: str = "threading",
    verbose: bool = False,
    max_workers: int | None = None,
    progress: bool = False,
    data: Any = _MISSING,
    **kwargs: Any,
) -> list[Any]:
    """Call ``func`` once per element of the iterable arguments, zipped; return the results in order.

    Positional and keyword arguments that are iterables (not strings, bytes or
    mappings) are zipped and must have the same length; every other argument
    is passed unchanged to each call, in its place. ``data=`` is the first
    iterable, as the seed page writes it. ``max_workers`` or ``n_jobs`` size
    the pool (``n_jobs=-1``: a default pool, other negatives as joblib reads
    them); ``backend`` is ``"threading"`` (default), ``"sequential"`` (in this
    thread, in order) or ``"multiprocessing"``/``"loky"`` (a process pool: the
    function and its arguments must pickle). ``verbose`` or ``progress`` draw
    a count on stderr. If calls raise, every call still runs and the first
    exception in input order is raised at the end.
    """
    if not callable(func):
        raise OptionTypeError(f"run_parallel needs a function to call first, not {func!r}.")
    if backend not in BACKENDS:
        raise OptionError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, not {backend!r}.")
    if data is not _MISSING:
        args = (data, *args)
    jobs = _jobs(func, args, kwargs)
    n = len(jobs)
    if n == 0:
        return []
    results: list[Any] = [None] * n
    errors: list[tuple[int, BaseException]] = []
    tick = _counter(n, bool(verbose or progress))
    if backend == "sequential":
        for i, job in enumerate(jobs):
            try:
                results[i] = _call(job)
            except Exception as exc:  # noqa: BLE001
                errors.append((i, exc))
            tick()
    else:
        workers = _pool_size(n_jobs, max_workers, n)
        if backend == "threading":
            pool: cf.Executor = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fsspeckit-run")
        else:
            pool = cf.ProcessPoolExecutor(max_workers=workers)
        with pool:
            futures = {pool.submit(_call, job): i for i, job in enumerate(jobs)}
            for fut in cf.as_completed(futures):
                i = futures[fut]
                try:
                    results[i] = fut.result()
                except BaseException as exc:  # noqa: BLE001
                    errors.append((i, exc))
                tick()
    if errors:
        errors.sort(key=lambda e: e[0])
        raise errors[0][1]
    return results


def _jobs(func: Callable[..., Any], args: tuple, kwargs: dict) -> list[tuple]:
    """One (func, args, kwargs) per element of the iterable arguments, zipped; the others passed unchanged."""
    positional = [(list(a), True) if _is_iterable(a) else (a, False) for a in args]
    named = {k: ((list(v), True) if _is_iterable(v) else (v, False)) for k, v in kwargs.items()}
    lengths = {len(v) for v, it in [*positional, *named.values()] if it}
    if not lengths:
        raise OptionError("run_parallel needs at least one iterable argument (a list of items to call func with).")
    if len(lengths) > 1:
        raise OptionError(f"All iterables must have the same length; got lengths {sorted(lengths)}.")
    (n,) = lengths
    return [
        (func,
         tuple(v[i] if it else v for v, it in positional),
         {k: (v[i] if it else v) for k, (v, it) in named.items()})
        for i in range(n)
    ]


def _counter(n: int, show: bool) -> Callable[[], None]:
    """A function to call once per finished call: draws "k/n done" on stderr when ``show``."""
    done = 0
    tty = show and sys.stderr.isatty()

    def tick() -> None:
        nonlocal done
        done += 1
        if show and (tty or done == n or done % max(1, n // 10) == 0):
            end = "\n" if done == n or not tty else ""
            sys.stderr.write(("\r\x1b[K" if tty else "") + f"{done}/{n} done{end}")
            sys.stderr.flush()

    return tick
