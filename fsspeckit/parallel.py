"""``run_parallel``: map a function over data with a bounded thread pool, results in input order."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import sys
from typing import Any, Callable, Iterable

logger = logging.getLogger(__name__)

__all__ = ["run_parallel"]


def run_parallel(
    func: Callable[..., Any],
    data: Iterable[Any],
    max_workers: int | None = None,
    progress: bool = False,
    *,
    n_jobs: int | None = None,
    **kwargs: Any,
) -> list[Any]:
    """Call ``func(item, **kwargs)`` for every item of ``data`` on up to ``max_workers`` threads.

    Returns the results in the order of ``data``. If calls raise, every call
    still runs and the first exception (in input order) is raised at the end.
    ``progress=True`` draws a count on stderr.
    """
    items = list(data)
    workers = max_workers or n_jobs or min(32, (len(items) or 1))
    if workers <= 0:
        workers = min(32, len(items) or 1)
    results: list[Any] = [None] * len(items)
    errors: list[tuple[int, BaseException]] = []
    done = 0
    tty = progress and sys.stderr.isatty()
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fsspeckit-run") as pool:
        futures = {pool.submit(func, item, **kwargs): i for i, item in enumerate(items)}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except BaseException as exc:  # noqa: BLE001
                errors.append((i, exc))
            done += 1
            if progress and (tty or done == len(items) or done % max(1, len(items) // 10) == 0):
                end = "\n" if done == len(items) or not tty else ""
                sys.stderr.write(("\r\x1b[K" if tty else "") + f"{done}/{len(items)} done{end}")
                sys.stderr.flush()
    if errors:
        errors.sort(key=lambda e: e[0])
        raise errors[0][1]
    return results
