"""Helpers to drive single screens headless: in tests and for the screenshots.

``ScreenHost`` is a bare app that opens one screen and records what it was
dismissed with; ``ThrottledMemoryFileSystem`` is an in-memory store whose reads
are slowed down, so a run lasts long enough to pause, cancel or photograph.
"""

from __future__ import annotations

import time

from fsspec.implementations.memory import MemoryFileSystem
from textual.app import App

__all__ = ["ScreenHost", "ThrottledMemoryFileSystem"]


class ScreenHost(App):
    """A bare app that opens one screen and records what it dismissed with."""

    def __init__(self, screen) -> None:
        super().__init__()
        self._screen = screen
        self.dismissed: list = []

    def on_mount(self) -> None:
        self.push_screen(self._screen, self.dismissed.append)


class ThrottledMemoryFileSystem(MemoryFileSystem):
    """A memory store read 64 KiB at a time with a pause (``delay`` seconds) per read."""

    protocol = ("throttledmem",)
    blocksize = 64 * 1024
    delay = 0.01

    def _open(self, path, mode="rb", **kwargs):
        f = super()._open(path, mode, **kwargs)
        if "r" in mode:
            read = f.read

            def slow_read(n=-1):
                time.sleep(self.delay)
                return read(n)

            f.read = slow_read
        return f
