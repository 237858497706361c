"""A terminal progress display for ``verbose=True`` / ``progress=True``.

Draws one line on stderr, redrawn in place on a terminal (a few times a
second) and printed every few seconds otherwise; the core itself never prints.
"""

from __future__ import annotations

import sys
import time

from ..model.units import human_bytes
from .apply import Progress

__all__ = ["TerminalProgress", "human_bytes"]


class TerminalProgress:
    """A progress hook that writes to a stream (stderr by default)."""

    def __init__(self, stream=None, show_files: bool = False, min_interval: float | None = None):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.show_files = show_files
        self.min_interval = min_interval if min_interval is not None else (0.2 if self.tty else 5.0)
        self._last = 0.0
        self._drawn = False

    def line(self, p: Progress) -> str:
        pct = 100.0 * p.bytes_done / p.bytes_total if p.bytes_total else 100.0
        eta = f", ETA {p.eta:.0f} s" if p.eta is not None and not p.finished else ""
        text = (f"{p.files_done}/{p.files_total} files, {human_bytes(p.bytes_done)}/{human_bytes(p.bytes_total)} "
                f"({pct:.0f}%), {human_bytes(p.rate)}/s{eta}")
        if p.failed:
            text += f", {p.failed} failed"
        if p.deletes_total:
            text += f", deleted {p.deleted}/{p.deletes_total}"
        return text

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if not p.finished and now - self._last < self.min_interval:
            return
        self._last = now
        text = self.line(p)
        if self.tty:
            self.stream.write("\r\x1b[K" + text)
            self._drawn = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def report(self, result) -> None:
        """Print the summary and, with ``show_files``, each changed or failed path."""
        if self.show_files:
            for o in result.outcomes:
                if o.outcome in ("skipped",):
                    continue
                err = f": {o.error}" if o.error else ""
                self.stream.write(f"{o.outcome:>9} {o.path}{err}\n")
        self.stream.write(result.summary() + "\n")
        self.stream.flush()
