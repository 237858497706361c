"""The quick-look screen: a data file's schema and first rows (``v`` on the main screen).

``peek_target(listing, fs, rel, title)`` picks what ``v`` opens: this screen
for a file, the layout screen scoped to a folder for a folder.
``PeekScreen(fs, path, title, size=...)`` reads the file in a thread worker
with ``fsspeckit.partitions.peek.peek_file`` (capped ranged reads) and shows the columns
with their types above the first rows. A file that cannot be shown gets its
reason in one line; nothing here raises into the app.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from fsspeckit.backends.filesystem import unwrap
from fsspeckit.model.entries import Listing, join_path
from fsspeckit.partitions.peek import Peek, peek_file

from . import human_bytes
from .layout import LayoutScreen

__all__ = ["PeekScreen", "peek_target"]

_FORMATS = {"parquet": "Parquet", "csv": "CSV", "json": "JSON"}


class PeekScreen(Screen[None]):
    """Schema and first rows of one file, read in a worker."""

    DEFAULT_CSS = """
    PeekScreen { padding: 0 1; }
    PeekScreen #title { text-style: bold; }
    PeekScreen #status { color: $text-muted; }
    PeekScreen #status.error { color: $error; text-style: bold; }
    PeekScreen #schema-title, PeekScreen #rows-title { text-style: bold; margin-top: 1; }
    PeekScreen #schema { height: auto; max-height: 12; }
    PeekScreen #rows { height: 1fr; min-height: 5; }
    """

    BINDINGS = [Binding("escape,q,v", "close", "Close")]

    class Loaded(Message):
        """What the worker read."""

        def __init__(self, peek: Peek) -> None:
            super().__init__()
            self.peek = peek

    def __init__(self, fs: Any, path: str, title: str, *, size: int | None = None,
                 name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.fs, self.path, self.title_text, self.file_size = fs, path, title, size
        self.peek: Peek | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="title", markup=False)
        yield Static("Reading the first rows…", id="status", markup=False)
        yield Static("Columns", id="schema-title")
        yield DataTable(id="schema", cursor_type="row", zebra_stripes=True)
        yield Static("First rows", id="rows-title")
        yield DataTable(id="rows", cursor_type="cell", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rows", DataTable).focus()
        self.run_worker(self._read, name="peek", group="peek", thread=True, exclusive=True, exit_on_error=False)

    def _read(self) -> None:
        self.post_message(self.Loaded(peek_file(self.fs, self.path, self.file_size)))

    def on_peek_screen_loaded(self, message: Loaded) -> None:
        p = self.peek = message.peek
        status = self.query_one("#status", Static)
        what = f"{_FORMATS.get(p.format, p.format)}, {human_bytes(p.size)}"
        if p.error:
            status.update(f"Cannot show this file ({what}): {p.error}.")
            status.add_class("error")
            for part in self.query("#schema-title, #schema, #rows-title, #rows"):
                part.display = False
            return
        status.update("  ·  ".join([what, *p.notes, f"{human_bytes(p.bytes_read)} read"]))
        schema = self.query_one("#schema", DataTable)
        schema.add_columns("#", "column", "type")
        for i, (name, kind) in enumerate(p.columns, 1):
            schema.add_row(str(i), Text(name), Text(kind))
        rows = self.query_one("#rows", DataTable)
        rows.add_columns(*[Text(name) for name, _ in p.columns])
        for row in p.rows:  # Text, never markup: a value like "[/]" is data
            rows.add_row(*[Text(v) for v in row])
        self.query_one("#rows-title", Static).update(
            f"First {len(p.rows):,} rows" + (f" of {p.total_rows:,}" if p.total_rows is not None else ""))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name == "peek" and event.state == WorkerState.ERROR:
            status = self.query_one("#status", Static)
            status.update(f"Cannot show this file: {event.worker.error}")
            status.add_class("error")

    def action_close(self) -> None:
        self.dismiss(None)


def peek_target(listing: Listing, fs: Any, rel: str, title: str) -> Screen | None:
    """The screen ``v`` opens on ``rel`` of a listed side: a file's quick look, a folder's layout; None if absent."""
    entry = listing.entries.get(rel)
    if entry is not None:
        backend, _ = unwrap(fs, "")
        return PeekScreen(backend, join_path(listing.root, rel), f"{title} / {rel}", size=entry.size)
    prefix = rel.rstrip("/") + "/"
    inside = {p[len(prefix):]: replace(e, path=p[len(prefix):]) for p, e in listing.entries.items()
              if p.startswith(prefix)}
    if not inside:
        return None
    skipped = {k[len(prefix):]: why for k, why in listing.skipped.items() if k.startswith(prefix)}
    sub = Listing(join_path(listing.root, rel.rstrip("/")), listing.protocol, inside, True, listing.upload_times,
                  skipped=skipped)
    return LayoutScreen(sub, f"{title} / {prefix}", fs=fs)
