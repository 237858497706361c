"""The two-way table: an arrow per row and per folder, conflicts first, a page at a time."""

from __future__ import annotations

import posixpath

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ..two_way import Row, TwoWayView, arrow_of
from .diff_table import middle_ellipsis

__all__ = ["TwoWayTable", "ARROW_STYLES"]

PAGE_SIZE = 500
ARROW_WIDTH = 4  # ⚡ takes two cells
ARROW_STYLES = {"→": "green", "←": "cyan", "→✕": "bold red", "✕←": "bold red", "⚡": "bold yellow",
                "⚡→": "yellow", "⚡←": "yellow", "⚡⇄": "yellow",
                "⚡→✕": "bold yellow", "⚡✕←": "bold yellow", "⇄": "magenta", "·": "dim"}


class TwoWayTable(DataTable):
    """Rows of a ``TwoWayView``; the cursor line (a file, a conflict or a folder) is what decisions act on."""

    BINDINGS = [
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", show=False),
    ]

    class LineHighlighted(Message):
        """The cursor moved to a line: ``kind`` is "conflict", "folder" or "file"."""

        def __init__(self, kind: str, key: str):
            super().__init__()
            self.kind, self.key = kind, key

    def __init__(self, **kwargs):
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.view: TwoWayView | None = None
        self.page_index = 0
        self._layout: tuple[int, int] = (0, 0)

    def on_mount(self) -> None:
        self._columns_for_width()
        self.border_title = "Two-way plan: listing both sides…"

    def on_resize(self) -> None:
        if self._columns_for_width():
            self._fill(self.cursor_row)

    def _columns_for_width(self) -> bool:
        avail = max(40, self.size.width - self.styles.scrollbar_size_vertical) - 3 * 2 * self.cell_padding
        longest = max((len(k) for _, k, _ in self.view.lines), default=20) if self.view else 20
        path = min(max(16, longest + 2), max(16, (avail - ARROW_WIDTH) * 3 // 5))
        layout = (path, max(10, avail - ARROW_WIDTH - path))
        if layout == self._layout:
            return False
        self._layout = layout
        self.clear(columns=True)
        self.add_column("", key="arrow", width=ARROW_WIDTH)
        self.add_column("Path", key="path", width=layout[0])
        self.add_column("What and why", key="why", width=layout[1])
        return True

    @property
    def page_count(self) -> int:
        n = len(self.view.lines) if self.view else 0
        return max(1, -(-n // PAGE_SIZE))

    def show_view(self, view: TwoWayView, keep_place: bool = True) -> None:
        row = self.cursor_row if keep_place else 0
        self.view = view
        self.page_index = min(self.page_index if keep_place else 0, self.page_count - 1)
        self._columns_for_width()
        self._fill(row)

    def _fill(self, row: int = 0) -> None:
        self.clear()
        view = self.view
        if view is None:
            return
        path_width, why_width = self._layout
        start = self.page_index * PAGE_SIZE
        for kind, key, item in view.lines[start:start + PAGE_SIZE]:
            if kind == "folder":
                arrow = view.folder_arrow(item)
                label = Text(middle_ellipsis(key or "(top folder)", path_width), style="bold")
                why = Text(_folder_counts(item, view), style="dim")
            else:
                arrow = arrow_of(item, view.plan)
                shown = key if kind == "conflict" else "  " + posixpath.basename(key)
                style = "bold yellow" if kind == "conflict" else ("dim" if item.skipped else "")
                label = Text(middle_ellipsis(shown, path_width), style=style)
                why = Text(row_reason(item, view), no_wrap=True, overflow="ellipsis",
                           style="red" if item.action.kind == "delete" and not item.skipped else "")
            why.truncate(why_width, overflow="ellipsis")
            self.add_row(Text(arrow, style=ARROW_STYLES.get(arrow, "")), label, why, key=f"{kind}:{key}")
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))
        self._title()

    def _title(self) -> None:
        view = self.view
        n = len(view.lines) if view else 0
        c = len(view.conflicts) if view else 0
        head = f"Two-way plan: {c:,} conflict{'s' if c != 1 else ''} first, then each folder"
        if self.page_count > 1:
            start = self.page_index * PAGE_SIZE
            head += f" · lines {start + 1:,}–{min(start + PAGE_SIZE, n):,} of {n:,} ([ ] pages)"
        elif n == 0:
            head = "Two-way plan: both sides are in step, nothing to do"
        self.border_title = head.replace("[", "\\[")

    def action_page(self, step: int) -> None:
        new = min(max(self.page_index + step, 0), self.page_count - 1)
        if new != self.page_index:
            self.page_index = new
            self._fill(0)

    def current_line(self) -> tuple[str, str, object] | None:
        if not self.row_count or self.view is None:
            return None
        index = self.page_index * PAGE_SIZE + self.cursor_row
        return self.view.lines[index] if index < len(self.view.lines) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        line = self.current_line()
        if line is not None:
            self.post_message(self.LineHighlighted(line[0], line[1]))

    def go_to(self, kind: str, key: str) -> bool:
        if self.view is None:
            return False
        for i, (k, name, _) in enumerate(self.view.lines):
            if k == kind and name == key:
                self.page_index = i // PAGE_SIZE
                self._fill(i % PAGE_SIZE)
                return True
        return False


def row_reason(row: Row, view: TwoWayView) -> str:
    """What happens to the row's path, and why, in words."""
    a, planned = row.action, row.planned
    mark = "  ✎" if row.by_hand else ""
    if row.skipped:
        return f"skipped by you: both sides stay as they are (planned: {planned.reason}){mark}"
    if a.kind == "copy":
        to = "right" if a.direction == "left->right" else "left"
        return f"copy to the {to}: {a.reason}{mark}"
    if a.kind == "delete":
        return f"DELETE on the {a.direction}: {a.reason}{mark}"
    arrow = arrow_of(row, view.plan)
    if arrow == "⚡":
        return f"CONFLICT, undecided{_hint(row, view)}: {a.reason}{mark}"
    words = {"newer": "newer kept", "larger": "larger kept", "left": "left wins", "right": "right wins",
             "keep_both": "both kept"}.get(a.resolution, a.resolution)
    if arrow in ("⚡→✕", "⚡✕←"):
        gone = "right" if arrow == "⚡→✕" else "left"
        return f"conflict, {a.reason}: {words}, so it is DELETED on the {gone}{mark}"
    side = "left" if arrow in ("⚡→", "⚡⇄") else "right"
    return f"conflict, {a.reason}: {words} (the {side} version){mark}"


def _hint(row: Row, view: TwoWayView) -> str:
    """Which side is newer and which larger, for a conflict on both sides."""
    left, right = view.plan.listings["left"].get(row.path), view.plan.listings["right"].get(row.path)
    if left is None or right is None:
        return ""
    parts = []
    if left.mtime is not None and right.mtime is not None and abs(left.mtime - right.mtime) > 2:
        parts.append(f"{'left' if left.mtime > right.mtime else 'right'} newer")
    if left.size != right.size:
        parts.append(f"{'left' if left.size > right.size else 'right'} larger")
    return f" ({', '.join(parts)})" if parts else ""


def _folder_counts(members: list[Row], view: TwoWayView) -> str:
    counts: dict[str, int] = {}
    for r in members:
        arrow = arrow_of(r, view.plan)
        counts[arrow] = counts.get(arrow, 0) + 1
    order = ("→", "←", "→✕", "✕←", "⚡", "⚡→", "⚡←", "⚡⇄", "⚡→✕", "⚡✕←", "·")
    parts = [f"{counts[a]:,} {a}" for a in order if a in counts]
    return f"folder: {len(members):,} file{'s' if len(members) != 1 else ''} here, " + " · ".join(parts)
