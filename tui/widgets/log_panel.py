"""The log panel: records of the ``fsspeckit`` and ``tui`` loggers, from any thread.

``LogPanel.install()`` attaches a logging handler that posts each record as a
message (thread-safe), so workers never touch the widget.
"""

from __future__ import annotations

import logging
import time

from rich.text import Text
from textual.message import Message
from textual.widgets import RichLog

__all__ = ["LogPanel"]

_STYLES = {logging.ERROR: "bold red", logging.WARNING: "yellow", logging.INFO: "", logging.DEBUG: "dim"}


class _PanelHandler(logging.Handler):
    def __init__(self, panel: "LogPanel"):
        super().__init__(logging.INFO)
        self.panel = panel

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # The message only: a traceback never reaches the panel (it is for the debug log).
            text = f"{record.levelname} {record.name}: {record.getMessage()}"
        except Exception:  # noqa: BLE001 - a log line must never break the app
            return
        self.panel.post_message(LogPanel.Line(record.levelno, text))


class LogPanel(RichLog):
    """Log lines, newest last (toggle with ``g``)."""

    class Line(Message):
        def __init__(self, level: int, text: str):
            super().__init__()
            self.level = level
            self.text = text

    LOGGERS = ("fsspeckit", "tui")

    def __init__(self, **kwargs):
        super().__init__(max_lines=2000, wrap=True, markup=False, **kwargs)
        self._handler = _PanelHandler(self)

    def on_mount(self) -> None:
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            logger.addHandler(self._handler)
            if logger.level == logging.NOTSET or logger.level > logging.INFO:
                logger.setLevel(logging.INFO)

    def on_unmount(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeHandler(self._handler)

    def on_log_panel_line(self, message: "LogPanel.Line") -> None:
        stamp = time.strftime("%H:%M:%S")
        self.write(Text(f"{stamp} {message.text}", style=_STYLES.get(message.level, "")))
