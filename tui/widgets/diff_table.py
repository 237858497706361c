"""The diff preview: one row per planned action, a page at a time.

A ``DataTable`` measures every row it holds on each refresh, so 100,000 rows
would freeze the screen for seconds; ``DiffTable`` holds one page (``PAGE_SIZE``
rows) of the filtered actions and pages with ``[`` / ``]``.
"""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from fsspeckit.plan import Action

from .trees import CATEGORY_STYLES, human_size, status_text

__all__ = ["DiffTable", "PAGE_SIZE"]

PAGE_SIZE = 500
#: The Reason column gets at least this many cells; the Path column the longest path on the page if it fits.
MIN_REASON = 24
STATUS_WIDTH = 20
SIZE_WIDTH = 9  # "999 Bytes"


class DiffTable(DataTable):
    """Planned actions with their reasons; the cursor row is what overrides apply to."""

    BINDINGS = [
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", show=False),
    ]

    class PathHighlighted(Message):
        """The cursor moved to the row of ``path``."""

        def __init__(self, path: str):
            super().__init__()
            self.path = path

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.actions: Sequence[Action] = ()
        self.page_index = 0
        self.filter_name = "all"

    def on_mount(self) -> None:
        self.add_column("Status", key="status", width=STATUS_WIDTH)
        self.add_column("Path", key="path", width=52)
        self.add_column("Size", key="size", width=SIZE_WIDTH)
        self.add_column("Reason", key="reason")
        self._path_width = 0
        self._update_title()

    def on_resize(self) -> None:
        if self.row_count and self._fit_columns(self._path_width):
            self._fill(self.cursor_row)

    def _width_of(self, key: str) -> int:
        column = next((c for c in self.columns.values() if c.key.value == key), None)
        return 0 if column is None or column.auto_width else column.width

    def _fit_columns(self, path_width: int) -> bool:
        """Size Path to its longest entry and Reason to the rest of the width, so nothing scrolls sideways.

        Returns True when a width changed. A reason longer than its column ends in "…"
        (the detail bar under the table shows it whole).
        """
        # Leave room for the vertical scrollbar even before it shows (a page usually scrolls).
        avail = self.size.width - self.styles.scrollbar_size_vertical
        if avail <= 0:
            return False
        pad = 2 * self.cell_padding
        free = avail - STATUS_WIDTH - SIZE_WIDTH - 4 * pad
        path = max(12, min(path_width, free - MIN_REASON))
        reason = max(MIN_REASON, free - path)
        changed = False
        for column in self.columns.values():
            width = {"path": path, "reason": reason}.get(column.key.value)
            if width is not None and (column.width != width or column.auto_width):
                column.width, column.auto_width, changed = width, False, True
        return changed

    # -- content -------------------------------------------------------------------
    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.actions) // PAGE_SIZE))

    def show_actions(self, actions: Sequence[Action], filter_name: str, *, keep_place: bool = True) -> None:
        """Show ``actions`` (already filtered); keep the page and cursor row when asked."""
        row = self.cursor_row if keep_place else 0
        if not keep_place or filter_name != self.filter_name:
            self.page_index = 0
            row = 0
        self.actions = actions
        self.filter_name = filter_name
        self.page_index = min(self.page_index, self.page_count - 1)
        self._fill(row)

    def _fill(self, row: int = 0) -> None:
        self.clear()
        start = self.page_index * PAGE_SIZE
        rows = []
        keys = []
        for a in self.actions[start:start + PAGE_SIZE]:
            size = a.size if a.kind != "skip" else (a.src.size if a.src else (a.dst.size if a.dst else 0))
            path = Text(a.path, style=CATEGORY_STYLES.get(a.category, ""))
            if a.keep_as:
                path.append(f"  (destination kept as {a.keep_as.rsplit('/', 1)[-1]})", style="magenta")
            rows.append((
                status_text(a),
                path,
                Text(human_size(size), justify="right"),
                Text(a.reason, style="red" if a.kind == "delete" else "", no_wrap=True, overflow="ellipsis"),
            ))
            keys.append(a.path)
        self._path_width = max((cells[1].cell_len for cells in rows), default=0)
        self._fit_columns(self._path_width)
        reason_width = self._width_of("reason")
        if reason_width:
            for cells in rows:
                cells[3].truncate(reason_width, overflow="ellipsis")
        for key, cells in zip(keys, rows):
            self.add_row(*cells, key=key)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
        self._update_title()

    def _update_title(self) -> None:
        n = len(self.actions)
        label = "all actions" if self.filter_name == "all" else f"filter: {self.filter_name}"
        if n == 0:
            self.border_title = f"Diff preview ({label}): nothing to show"
        elif self.page_count == 1:
            self.border_title = f"Diff preview ({label}): {n:,} rows"
        else:
            start = self.page_index * PAGE_SIZE
            self.border_title = (f"Diff preview ({label}): rows {start + 1:,}–{min(start + PAGE_SIZE, n):,} of {n:,}"
                                 f" · page {self.page_index + 1}/{self.page_count} ([ and ] turn pages)")

    def action_page(self, step: int) -> None:
        new = min(max(self.page_index + step, 0), self.page_count - 1)
        if new != self.page_index:
            self.page_index = new
            self._fill(0)

    def current_action(self) -> Action | None:
        if not self.row_count:
            return None
        index = self.page_index * PAGE_SIZE + self.cursor_row
        return self.actions[index] if index < len(self.actions) else None

    def current_path(self) -> str | None:
        action = self.current_action()
        return action.path if action is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(self.PathHighlighted(event.row_key.value))

    def go_to(self, path: str) -> bool:
        """Move the cursor to ``path`` if it is among the filtered actions."""
        for i, a in enumerate(self.actions):
            if a.path == path:
                page = i // PAGE_SIZE
                if page != self.page_index:
                    self.page_index = page
                    self._fill(i % PAGE_SIZE)
                else:
                    self.move_cursor(row=i % PAGE_SIZE)
                return True
        return False
