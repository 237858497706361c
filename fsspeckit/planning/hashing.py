"""Hashing for a comparison: fill in the checksums a listing lacks, a bounded number at a time.

``fill_hashes`` hashes only the pairs whose comparison needs it (checksum mode,
or upload times too close to call), in a pool that never queues more than a
few jobs ahead, and tells ``progress(done, total)`` after each file.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import itertools
import threading
from dataclasses import replace
from typing import Callable

from ..backends.filesystem import unwrap
from ..backends.transfer import file_md5
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Listing, join_path
from .compare import needs_hash

__all__ = ["fill_hashes"]


def fill_hashes(src_fs, dst_fs, src: Listing, dst: Listing, compare: str, max_workers: int = DEFAULT_WORKERS,
                cancel: threading.Event | None = None,
                progress: Callable[[int, int], None] | None = None) -> int:
    """Hash the files whose comparison needs a checksum the listing lacks.

    Only same-size pairs qualify: in checksum mode all of them, otherwise only
    those whose upload time is too close to the source's modification time to
    decide. Returns the number of files hashed. ``progress(done, total)`` is
    called after each file hashed (the caller throttles what it draws).
    """
    src_b, _ = unwrap(src_fs, "")
    dst_b, _ = unwrap(dst_fs, "")
    jobs: list[tuple[str, str]] = []  # (side, rel)
    for rel, s in src.entries.items():
        d = dst.entries.get(rel)
        if d is None or not needs_hash(s, d, compare, dst.upload_times):
            continue
        if s.md5 is None:
            jobs.append(("src", rel))
        if d.md5 is None:
            jobs.append(("dst", rel))
    if not jobs:
        return 0

    def work(job):
        side, rel = job
        if side == "src":
            return side, rel, file_md5(src_b, join_path(src.root, rel), cancel=cancel)
        return side, rel, file_md5(dst_b, join_path(dst.root, rel), cancel=cancel)

    workers = max(1, max_workers)
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fsspeckit-hash") as pool:
        for done, (side, rel, digest) in enumerate(_bounded_map(pool, work, jobs, 4 * workers), 1):
            listing = src if side == "src" else dst
            listing.entries[rel] = replace(listing.entries[rel], md5=digest)
            if progress is not None:
                progress(done, len(jobs))
    return len(jobs)


def _bounded_map(pool: cf.Executor, fn, items: list, window: int):
    """``pool.map(fn, items)`` with at most ``window`` calls queued at once.

    ``Executor.map`` submits every item before the first result is given
    (200,000 hashes: 5 s of submitting with no progress), and holds a future per item.
    """
    pending: collections.deque = collections.deque()
    it = iter(items)
    for item in itertools.islice(it, window):
        pending.append(pool.submit(fn, item))
    try:
        while pending:
            result = pending.popleft().result()
            for item in itertools.islice(it, 1):
                pending.append(pool.submit(fn, item))
            yield result
    finally:
        for future in pending:
            future.cancel()
