"""The layout screen: what is inside each partition, what is wrong with the layout, both sides compared.

``LayoutScreen(listing, title, fs=..., other=LayoutSide(...))`` shows a
sortable table that drills down from partition keys to a key's values to a
value's files, a findings panel and a chart of the key's figures by value.
Footers are read in a thread worker per side (``fsspeckit.partitions.layout``), with a
count of what is done; ``b`` cycles the sides shown and their comparison.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from typing import Any

from fsspec.callbacks import Callback
from fsspec.implementations.memory import MemoryFileSystem
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState, get_current_worker

from fsspeckit.model.entries import Listing
from fsspeckit.partitions.layout import LayoutSummary, summarize_layout
from fsspeckit.partitions.layout_check import check_layout, findings_by_partition
from fsspeckit.partitions.layout_diff import compare_layouts

from ..layout_view import MAX_FILE_ROWS, METRICS, chart_series, compare_rows, file_count, rows_for, value_label
from ..widgets.bars import Bars
from . import human_bytes

__all__ = ["LayoutScreen", "LayoutSide"]

#: Progress of footer reading is posted at most this often (seconds).
PROGRESS_INTERVAL = 0.25
_KIND_LABELS = {
    "schema_drift": "Schema drift", "unreadable": "Unreadable", "small_files": "Small files", "skew": "Skew",
    "gap": "Gap", "mixed_depth": "Keys at different depths", "non_hive_folder": "Plain folder",
    "mixed_keys": "Other keys", "empty_partition": "Empty", "default_partition": "Null partition",
}


@dataclass
class LayoutSide:
    """One side the screen can show: its listing, a title and (to read footers) its filesystem."""

    listing: Listing
    title: str
    fs: Any = None
    summary: LayoutSummary | None = None
    findings: list | None = None
    done: int = 0
    total: int = 0
    state: str = "listing"  # "listing" | "reading" | "read" | "files only" | "error"
    note: str = ""


class _Counter(Callback):
    """Counts footers read and posts the count, at most every ``PROGRESS_INTERVAL`` seconds."""

    def __init__(self, post):
        super().__init__()
        self._post = post
        self._last = 0.0

    def call(self, *args, **kwargs):
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL or self.value == self.size:
            self._last = now
            self._post(self.value, self.size or 0)


class LayoutScreen(Screen[None]):
    """Partition keys, values and files of one or two listings, with findings and a chart."""

    DEFAULT_CSS = """
    LayoutScreen { padding: 0 1; }
    LayoutScreen #title { text-style: bold; }
    LayoutScreen #totals { color: $text-muted; }
    LayoutScreen #crumbs { color: $accent; }
    LayoutScreen #table { height: 1fr; min-height: 6; }
    LayoutScreen #findings { height: auto; max-height: 25%; border-top: solid $warning 50%; }
    LayoutScreen #findings.clean { border-top: solid $success 50%; }
    LayoutScreen #chart-label { color: $text-muted; height: 1; }
    LayoutScreen #chart { height: 2; margin-bottom: 0; }
    """

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("q", "close", "Close"),
        Binding("enter", "drill", "Open", show=False),
        Binding("backspace", "up", "Up", show=False),
        # Letters of the main screen keep their meaning everywhere, so the layout's own
        # actions take keys the main screen does not use: digits sort by a column
        # (0 is the tenth; again: reverse), < > = pick the side, h the chart's measure, ! the findings.
        Binding("1", "sort_by(0)", "Sort", key_display="1-9"),
        *[Binding(str(n % 10), f"sort_by({n - 1})", "Sort", show=False) for n in range(2, 11)],
        Binding("less_than_sign", "view('source')", "Source", show=False),
        Binding("greater_than_sign", "view('destination')", "Destination", show=False),
        Binding("equals_sign", "view('compare')", "Sides", key_display="< > ="),
        Binding("h", "cycle_metric", "Chart"),
        Binding("exclamation_mark", "toggle_findings", "Findings", key_display="!"),
    ]

    class SideRead(Message):
        """A side's summary (files only first, then with footers)."""

        def __init__(self, role: str, summary: LayoutSummary, findings: list, final: bool):
            super().__init__()
            self.role, self.summary, self.findings, self.final = role, summary, findings, final

    class FootersProgress(Message):
        """Footers read so far on one side (absolute counts; a newer one replaces a queued one)."""

        def __init__(self, role: str, done: int, total: int):
            super().__init__()
            self.role, self.done, self.total = role, done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LayoutScreen.FootersProgress) and message.role == self.role

    def __init__(self, listing: Listing, title: str, *, fs: Any = None, other: LayoutSide | None = None,
                 role: str = "source", name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        other_role = "destination" if role == "source" else "source"
        self.sides: dict[str, LayoutSide] = {role: LayoutSide(listing, title, fs)}
        if other is not None:
            self.sides[other_role] = other
        self.views = [r for r in ("source", "destination") if r in self.sides]
        if len(self.views) == 2:
            self.views.append("compare")
        self.view = role
        self.level = "keys"
        self.key: str | None = None
        self.value: Any = None
        self.sort_column = 0
        self.reverse = False
        self.metric = "bytes"
        self.columns: tuple[str, ...] = ()
        self.rows: list = []

    # -- building ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="title", markup=False)
        yield Static("", id="totals", markup=False)
        yield Static("", id="crumbs", markup=False)
        yield DataTable(id="table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="findings"):
            yield Static("", id="findings-text")
        yield Static("", id="chart-label", markup=False)
        yield Bars([], id="chart")
        yield Footer()

    def on_mount(self) -> None:
        for role in self.sides:
            self._start(role)
        self.query_one("#table", DataTable).focus()
        self._refresh()

    def _start(self, role: str) -> None:
        self.run_worker(lambda role=role: self._read_side(role), name=f"layout {role}", group=f"layout-{role}",
                        thread=True, exclusive=True, exit_on_error=False)

    def _read_side(self, role: str) -> None:
        """Worker: a files-only summary at once, then (when there is Parquet and pyarrow) one with footers."""
        side = self.sides[role]
        worker = get_current_worker()
        quick = summarize_layout(side.fs, side.listing, parquet=False, keep_files=True) if side.fs is not None \
            else _summary_without_fs(side.listing)
        has_parquet = any(p.formats.get("parquet") for p in quick.partitions.values())
        final = side.fs is None or not has_parquet or not _have_pyarrow()
        self.post_message(self.SideRead(role, quick, check_layout(quick), final))
        if final:
            return
        counter = _Counter(lambda done, total: self.post_message(self.FootersProgress(role, done, total)))
        full = summarize_layout(side.fs, side.listing, keep_files=True, callback=counter,
                                cancel=worker.cancelled_event)
        self.post_message(self.SideRead(role, full, check_layout(full), True))

    # -- messages -----------------------------------------------------------------------
    def on_layout_screen_side_read(self, message: SideRead) -> None:
        side = self.sides[message.role]
        side.summary, side.findings = message.summary, message.findings
        if message.final:
            side.state = "read" if message.summary.footers_read else "files only"
            if not message.summary.footers_read and side.fs is not None and any(
                    p.formats.get("parquet") for p in message.summary.partitions.values()) and not _have_pyarrow():
                side.note = "install pyarrow for rows and schemas"
        else:
            side.state = "reading"
        self._refresh(keep_place=True)

    def on_layout_screen_footers_progress(self, message: FootersProgress) -> None:
        side = self.sides[message.role]
        if side.state == "reading":
            side.done, side.total = message.done, message.total
            self._show_totals()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or not event.worker.name.startswith("layout "):
            return
        role = event.worker.name.split(" ", 1)[1]
        side = self.sides[role]
        side.state = "error"
        side.note = f"could not read footers: {event.worker.error}"
        self.notify(f"{side.title}: {side.note}", severity="error", timeout=8)
        self._show_totals()

    # -- drawing --------------------------------------------------------------------------
    def _shown(self) -> list[LayoutSide]:
        return [self.sides[r] for r in (("source", "destination") if self.view == "compare" else (self.view,))]

    def _refresh(self, keep_place: bool = False) -> None:
        sides = self._shown()
        title = self.query_one("#title", Static)
        if self.view == "compare":
            title.update(f"Partition layout: {sides[0].title}  ⇄  {sides[1].title}")
        else:
            title.update(f"Partition layout: {sides[0].title}")
        self._show_totals()
        self._fill_table(keep_place)
        self._show_findings()
        self._show_chart()

    def _show_totals(self) -> None:
        parts = []
        for side in self._shown():
            s = side.summary
            if s is None:
                parts.append(f"{side.title}: summarising {len(side.listing.entries):,} files …")
                continue
            total = s.total
            n_parts = sum(1 for p in s.partitions if p)
            text = (f"{n_parts:,} partition folders, {len(s.keys)} keys, {total.files:,} files, "
                    f"{human_bytes(total.bytes)}")
            if s.footers_read:
                text += f", {total.rows or 0:,} rows, {len(s.schemas)} schema{'s' if len(s.schemas) != 1 else ''}"
            if side.state == "reading":
                text += f" · reading footers {side.done:,}/{side.total:,} …"
            if side.note:
                text += f" · {side.note}"
            parts.append(text if self.view != "compare" else f"{side.title.split(':')[0]}: {text}")
        self.query_one("#totals", Static).update("\n".join(parts))

    def _fill_table(self, keep_place: bool) -> None:
        table = self.query_one("#table", DataTable)
        crumbs = self.query_one("#crumbs", Static)
        sides = self._shown()
        if any(s.summary is None for s in sides):
            table.clear(columns=True)
            crumbs.update("")
            return
        if self.view == "compare":
            cmp = compare_layouts(sides[0].summary, sides[1].summary)
            columns, rows = compare_rows(cmp, sides[0].summary, sides[1].summary, self.level, self.key, self.value)
        else:
            fbp = findings_by_partition(sides[0].findings or [])
            columns, rows = rows_for(sides[0].summary, self.level, self.key, self.value, fbp)
        if self.sort_column >= len(columns):
            self.sort_column = 0
        rows = sorted(rows, key=lambda r: r.sort[self.sort_column], reverse=self.reverse)
        current = None
        if keep_place and table.row_count:
            try:
                current = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except Exception:  # noqa: BLE001 - no row under the cursor
                current = None
        # Columns are rebuilt every time: their widths then fit what is shown now, not what was shown before.
        table.clear(columns=True)
        for i, name in enumerate(columns):  # explicit widths: drawn right at once, the same on every run
            width = max([len(name)] + [len(r.cells[i]) for r in rows[:MAX_FILE_ROWS]])
            table.add_column(name, key=str(i), width=min(width, 60))
        self.columns = columns
        self.rows = rows
        self._keys: dict[str, Any] = {}
        for i, row in enumerate(rows):
            rk = f"r{i}"
            self._keys[rk] = row.key
            cells = [Text(c, style=row.style) if j == 0 and row.style else Text(c) for j, c in enumerate(row.cells)]
            table.add_row(*cells, key=rk)
        if current is not None and current in self._keys:
            table.move_cursor(row=list(self._keys).index(current))
        arrow = "↓" if self.reverse else "↑"
        where = {"keys": "partition keys", "values": f"{self.key} = …",
                 "files": f"{self.key} = {value_label(self.value)} › files"}[self.level]
        extra = ""
        if self.level == "files":
            n = file_count(sides[0].summary, self.key, self.value)
            if n > MAX_FILE_ROWS:
                extra = f" (first {MAX_FILE_ROWS:,} of {n:,})"
        crumbs.update(f"{where}{extra} · sorted by {columns[self.sort_column]} {arrow} · "
                      f"enter opens, backspace goes up")

    def _show_findings(self) -> None:
        box = self.query_one("#findings")
        text = Text()
        sides = self._shown()
        for side in sides:
            found = side.findings
            label = side.title.split(":")[0] + ": " if len(sides) > 1 else ""
            if found is None:
                continue
            if not found:
                text.append(f"{label}✓ no layout findings", style="green")
                if side.state == "reading":
                    text.append(" yet (footers still being read)", style="dim")
                text.append("\n")
                continue
            text.append(f"{label}{len(found)} finding{'s' if len(found) != 1 else ''}\n", style="bold")
            for f in found:
                text.append(f"⚠ {_KIND_LABELS.get(f.kind, f.kind)}: ", style="bold yellow")
                text.append(f.reason + "\n")
        box.set_class(not any(s.findings for s in sides), "clean")
        self.query_one("#findings-text", Static).update(text)

    def _chart_key(self) -> str | None:
        if self.level != "keys":
            return self.key
        table = self.query_one("#table", DataTable)
        if not table.row_count:
            return None
        try:
            rk = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001
            return None
        return self._keys.get(rk)

    def _show_chart(self) -> None:
        side = self._shown()[0]
        label = self.query_one("#chart-label", Static)
        chart = self.query_one("#chart", Bars)
        key = self._chart_key()
        if side.summary is None or key is None or key not in side.summary.keys:
            label.update("")
            chart.data = []
            return
        labels, figures = chart_series(side.summary, key, self.metric)
        chart.data = figures
        if not figures:
            label.update("")
            return
        peak = max(range(len(figures)), key=lambda i: figures[i])
        shown = human_bytes(figures[peak]) if self.metric == "bytes" else f"{figures[peak]:,.0f}"
        gaps = sum(1 for f in figures if f == 0)
        at = labels[peak] if "-" in labels[peak] else f"{key}={labels[peak]}"
        label.update(f"{self.metric} by {key} ({labels[0]} … {labels[-1]}): peak {shown} at {at}"
                     + (f", {gaps} empty or missing" if gaps else "") + " · h: files/bytes/rows")

    # -- actions ------------------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.level == "keys":
            self._show_chart()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_drill()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.column_index == self.sort_column:
            self.reverse = not self.reverse
        else:
            self.sort_column, self.reverse = event.column_index, False
        self._fill_table(keep_place=True)

    def action_drill(self) -> None:
        table = self.query_one("#table", DataTable)
        if not table.row_count or self.level == "files":
            return
        rk = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        chosen = self._keys[rk]
        if self.level == "keys":
            self.level, self.key = "values", chosen
        else:
            self.level, self.value = "files", chosen
        self.sort_column, self.reverse = 0, False
        self._refresh()
        table.move_cursor(row=0)

    def action_up(self) -> bool:
        if self.level == "keys":
            return False
        came_from = self.key if self.level == "values" else self.value
        self.level = "keys" if self.level == "values" else "values"
        self.sort_column, self.reverse = 0, False
        self._refresh()
        for i, row in enumerate(self.rows):
            if row.key == came_from:
                self.query_one("#table", DataTable).move_cursor(row=i)
                break
        return True

    def action_back(self) -> None:
        if not self.action_up():
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_sort_by(self, column: int) -> None:
        """Sort by the column with this number; the same number again reverses the order."""
        if column >= len(self.columns):
            self.notify(f"This table has {len(self.columns)} columns.", timeout=3)
            return
        if column == self.sort_column:
            self.reverse = not self.reverse
        else:
            self.sort_column, self.reverse = column, column > 0  # figures: largest first
        self._fill_table(keep_place=True)

    def action_view(self, view: str) -> None:
        if view not in self.views:
            missing = "Only one side is listed: there is nothing to compare." if view == "compare" \
                else f"The {view} is not listed on this screen."
            self.notify(missing, timeout=3)
            return
        self.view = view
        self.level, self.key, self.value = "keys", None, None
        self.sort_column, self.reverse = 0, False
        self._refresh()

    def action_cycle_metric(self) -> None:
        self.metric = METRICS[(METRICS.index(self.metric) + 1) % len(METRICS)]
        self._show_chart()

    def action_toggle_findings(self) -> None:
        box = self.query_one("#findings")
        box.display = not box.display


def _have_pyarrow() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def _summary_without_fs(listing: Listing) -> LayoutSummary:
    """Files and bytes only, when the screen was given no filesystem to read footers with."""
    # Folders are walked only on a local disk; a throwaway memory store makes this pure.
    return summarize_layout(MemoryFileSystem(skip_instance_cache=True), listing, parquet=False, keep_files=True)
