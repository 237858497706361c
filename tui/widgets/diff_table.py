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

from fsspeckit.planning.plan import Action

from .index import CATEGORY_LABELS
from .trees import CATEGORY_STYLES, human_size, status_text

__all__ = ["DiffTable", "PAGE_SIZE", "middle_ellipsis", "shown_path"]

PAGE_SIZE = 500
#: The Reason column gets at least this many cells; the Path column the longest path on the page if it fits.
MIN_REASON = 24
STATUS_WIDTH = 20
SIZE_WIDTH = 9  # "999 Bytes"


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells in the middle, so both ends (top folders, file name) stay."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail = (width - 1) // 2 + (width - 1) % 2
    head = width - 1 - tail
    return text[:head] + "…" + text[len(text) - tail:]


def shown_path(a: Action) -> str:
    """The Path cell: the path, or ``old → new`` for a move (carried out or set aside)."""
    return f"{a.move_from} → {a.path}" if a.move_from else a.path


class DiffTable(DataTable):
    """Planned actions with their reasons; the cursor row is what overrides apply to.

    The Path column comes first when the width is short: the Reason column goes
    first (the detail bar under the table shows it whole), then the Size column,
    and a path that still does not fit loses its middle, never its end.
    """

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
        self._path_width = 0
        #: Column keys shown now, and the width of each.
        self.column_layout: tuple[tuple[str, int], ...] = ()

    def on_mount(self) -> None:
        self._set_layout(self._plan_layout())
        self._update_title()

    def on_resize(self) -> None:
        layout = self._plan_layout()
        if layout != self.column_layout:
            self._set_layout(layout)
            self._fill(self.cursor_row)
        else:
            self._update_title()

    def _plan_layout(self) -> tuple[tuple[str, int], ...]:
        """Which columns fit, and how wide: Status and Path always; then Size; Reason only with room."""
        # Leave room for the vertical scrollbar even before it shows (a page usually scrolls).
        avail = self.size.width - self.styles.scrollbar_size_vertical
        pad = 2 * self.cell_padding
        want = max(12, self._path_width)
        if avail <= 0:
            return (("status", STATUS_WIDTH), ("path", 52), ("size", SIZE_WIDTH), ("reason", 40))
        free = avail - STATUS_WIDTH - SIZE_WIDTH - 4 * pad
        if free - want >= MIN_REASON:
            return (("status", STATUS_WIDTH), ("path", want), ("size", SIZE_WIDTH), ("reason", free - want))
        if free - MIN_REASON >= 40:  # a wide table: both get room, long paths lose their middle
            return (("status", STATUS_WIDTH), ("path", free - MIN_REASON), ("size", SIZE_WIDTH),
                    ("reason", MIN_REASON))
        free = avail - STATUS_WIDTH - SIZE_WIDTH - 3 * pad
        if free >= want:
            return (("status", STATUS_WIDTH), ("path", free), ("size", SIZE_WIDTH))
        free = avail - STATUS_WIDTH - 2 * pad
        return (("status", STATUS_WIDTH), ("path", max(12, free)))

    def _set_layout(self, layout) -> None:
        self.column_layout = layout
        self.clear(columns=True)
        labels = {"status": "Status", "path": "Path", "size": "Size", "reason": "Reason"}
        for key, width in layout:
            self.add_column(labels[key], key=key, width=width)

    def _width_of(self, key: str) -> int:
        return dict(self.column_layout).get(key, 0)

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
        # One Path width for every page and every decision: columns never jump while paging.
        self._path_width = max((len(shown_path(a)) for a in actions), default=0)
        layout = self._plan_layout()
        if layout != self.column_layout:
            self._set_layout(layout)
        self._fill(row)

    def _fill(self, row: int = 0) -> None:
        self.clear()
        start = self.page_index * PAGE_SIZE
        widths = dict(self.column_layout)
        path_width = widths.get("path", 52)
        reason_width = widths.get("reason", 0)
        for a in self.actions[start:start + PAGE_SIZE]:
            cells = []
            for key in widths:
                if key == "status":
                    cells.append(status_text(a))
                elif key == "path":
                    cells.append(Text(middle_ellipsis(shown_path(a), path_width),
                                      style=CATEGORY_STYLES.get(a.category, "")))
                elif key == "size":
                    size = (a.size if a.kind not in ("skip", "move")
                            else (a.src.size if a.src else (a.dst.size if a.dst else 0)))
                    cells.append(Text(human_size(size), justify="right"))
                else:
                    reason = Text(a.reason, style="red" if a.kind == "delete" else "", no_wrap=True,
                                  overflow="ellipsis")
                    reason.truncate(reason_width, overflow="ellipsis")
                    cells.append(reason)
            self.add_row(*cells, key=a.path)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
        self._update_title()

    def _update_title(self) -> None:
        n = len(self.actions)
        name = CATEGORY_LABELS.get(self.filter_name, self.filter_name)
        label = "all actions" if self.filter_name == "all" else f"filter: {name}"
        narrow = self.size.width and self.size.width < 100
        head = "Diff" if narrow else "Diff preview"
        if n == 0:
            title = f"{head} ({label}): nothing to show"
        elif self.page_count == 1:
            title = f"{head} ({label}): {n:,} row{'' if n == 1 else 's'}"
        else:
            start = self.page_index * PAGE_SIZE
            rows = f"rows {start + 1:,}–{min(start + PAGE_SIZE, n):,} of {n:,}"
            page = f"page {self.page_index + 1}/{self.page_count}"
            if narrow:
                title = f"{head} ({label}): {rows} · {page} · [ ] pages"
            else:
                title = f"{head} ({label}): {rows} · {page} ([ and ] turn pages)"
        self.border_title = title.replace("[", "\\[")  # a border title is markup: show brackets as typed

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
