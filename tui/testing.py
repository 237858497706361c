"""Helpers to drive single screens headless: in tests and for the screenshots.

``ScreenHost`` is a bare app that opens one screen and records what it was
dismissed with; ``ThrottledMemoryFileSystem`` is an in-memory store whose reads
are slowed down, so a run lasts long enough to pause, cancel or photograph.
"""

from __future__ import annotations

import threading
import time

from fsspec.implementations.memory import MemoryFileSystem
from textual.app import App

__all__ = ["ReadValve", "ScreenHost", "ThrottledMemoryFileSystem"]


class ScreenHost(App):
    """A bare app that opens one screen and records what it dismissed with."""

    def __init__(self, screen) -> None:
        super().__init__()
        self._screen = screen
        self.dismissed: list = []

    def on_mount(self) -> None:
        self.push_screen(self._screen, self.dismissed.append)


class ReadValve:
    """Lets a test decide how many more reads may happen: a run held mid-way.

    Open, every read passes; closed, reads wait; ``allow(n)`` lets ``n`` more
    reads through and then holds the rest. On a busy machine a run timed by
    delays alone can end before the test looks at it; one held by a valve
    cannot.
    """

    def __init__(self, is_open: bool = True) -> None:
        self._cond = threading.Condition()
        self._left: int | None = None if is_open else 0
        self.reads = 0

    def open(self) -> None:
        with self._cond:
            self._left = None
            self._cond.notify_all()

    def close(self) -> None:
        self.allow(0)

    def allow(self, n: int) -> None:
        with self._cond:
            self._left = n
            self._cond.notify_all()

    def wait(self) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._left is None or self._left > 0)
            if self._left is not None:
                self._left -= 1
            self.reads += 1


class ThrottledMemoryFileSystem(MemoryFileSystem):
    """A memory store read 64 KiB at a time with a pause (``delay`` seconds) per read.

    ``valve`` (a :class:`ReadValve`, None by default) holds reads when a test
    needs the run to be still going at a given step.
    """

    protocol = ("throttledmem",)
    blocksize = 64 * 1024
    delay = 0.01
    valve: ReadValve | None = None

    def _open(self, path, mode="rb", **kwargs):
        f = super()._open(path, mode, **kwargs)
        if "r" in mode:
            read = f.read

            def slow_read(n=-1):
                if self.valve is not None:
                    self.valve.wait()
                time.sleep(self.delay)
                return read(n)

            f.read = slow_read
        return f
