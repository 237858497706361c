"""Pause Python's cyclic garbage collector while a listing or a plan is built.

A listing or plan of N files creates N long-lived objects (entries, actions,
outcomes) in a tight loop. Every 700 allocations the collector runs, and every
tenth and hundredth run it walks the objects that survived earlier runs again:
on a 100,000-file local no-op that cost a quarter of the time (0.94 s with the
collector on, 0.70 s paused, median of 3). These objects hold no reference
cycles, so nothing waits to be freed while it is paused; it resumes afterwards.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["gc_paused"]

_lock = threading.Lock()
_holders = 0  # nested or concurrent pauses in progress
_resume = False  # whether the collector was on when the first one began


@contextmanager
def gc_paused() -> Iterator[None]:
    """Keep the collector off inside the block (and any overlapping one, from any thread)."""
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
