"""Limits of a run and where backups go: a bandwidth limit shared by every
transfer (a token bucket), a budget of bytes after which no new transfer starts
(rclone's ``--max-transfer`` with ``--cutoff-mode soft``), and backup names that
never overwrite an earlier backup (``--suffix``, ``--suffix-keep-extension``, and a
dated name when the plain one is taken).
"""

from __future__ import annotations

import logging
import posixpath
import threading
import time
from dataclasses import dataclass

from ..exceptions import OptionError
from ..model.entries import join_path

logger = logging.getLogger(__name__)

__all__ = ["Backups", "TokenBucket", "TransferBudget", "backup_name"]


class TokenBucket:
    """At most ``rate`` bytes a second over all the threads that ``take`` from it.

    A burst of up to one second's worth passes at once; after that each caller
    sleeps until its bytes are paid for. ``cancel`` cuts a sleep short.
    """

    def __init__(self, rate: float, cancel: threading.Event | None = None):
        if rate <= 0:
            raise OptionError("a bandwidth limit is a number of bytes a second above zero")
        self.rate = float(rate)
        self.capacity = max(self.rate, 64 * 1024.0)
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()
        self._cancel = cancel or threading.Event()

    def take(self, n: int) -> None:
        """Account for ``n`` bytes; sleep while the bucket is in debt."""
        if n <= 0:
            return
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= n
            debt = -self._tokens
        if debt > 0:
            self._cancel.wait(debt / self.rate)


class TransferBudget:
    """``--max-transfer``: a transfer starts only while the bytes done and under way are below ``limit``."""

    def __init__(self, limit: int):
        self.limit = int(limit)
        self._committed = 0
        self._lock = threading.Lock()
        self.reached = False

    def start(self, size: int) -> bool:
        """Reserve ``size`` bytes for a transfer about to start; False when the budget is spent."""
        with self._lock:
            if self._committed >= self.limit:
                self.reached = True
                return False
            self._committed += max(0, size)
            return True

    def give_back(self, size: int) -> None:
        """A transfer that wrote nothing returns its reservation."""
        with self._lock:
            self._committed -= max(0, size)


def backup_name(rel: str, suffix: str, keep_extension: bool = False) -> str:
    """``rel`` with ``suffix`` added: after the name, or before its extension with ``keep_extension``."""
    if not suffix:
        return rel
    if keep_extension:
        folder, name = posixpath.split(rel)
        stem, dot, ext = name.rpartition(".")
        if dot and stem:
            return posixpath.join(folder, f"{stem}{suffix}.{ext}")
    return rel + suffix


@dataclass
class Backups:
    """Where the old version of a relative path goes: ``root/rel`` plus the suffix, or,
    when a backup of that name is already there, a name with the run's UTC time
    (and a counter), so an earlier run's backup is never overwritten."""

    fs: object
    root: str
    suffix: str = ""
    keep_extension: bool = False
    stamp: str = ""

    def __post_init__(self):
        if "/" in self.suffix or "\\" in self.suffix or (self.suffix and not self.suffix.strip(".")):
            raise OptionError(f"a backup suffix is part of a file name: {self.suffix!r} cannot be one")
        self.stamp = self.stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())

    def target(self, rel: str) -> str:
        path = join_path(self.root, backup_name(rel, self.suffix, self.keep_extension))
        if not self._taken(path):
            return path
        for n in range(1, 1000):
            extra = f"-{self.stamp}" if n == 1 else f"-{self.stamp}-{n}"
            path = join_path(self.root, backup_name(rel, self.suffix + extra, self.keep_extension))
            if not self._taken(path):
                logger.info("a backup of %s is already there; this one goes to %s", rel, path)
                return path
        raise FileExistsError(f"no free backup name for {rel} under {self.root}")

    def _taken(self, path: str) -> bool:
        try:
            return bool(self.fs.exists(path))
        except FileNotFoundError:
            return False
