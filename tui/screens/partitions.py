"""The partition picker: choose which hive partitions a sync covers.

``PartitionScreen(src_listing, dst_listing, current_predicate)`` lists every
partition key with its values, each with files and bytes on both sides and a
diff status (only in source, only in destination, changed, identical). Values
and whole keys are toggled, or a predicate is typed; both stay in step. The
screen dismisses with the predicate text ("" = no filter) or ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, SelectionList, Static

from fsspeckit.model.entries import Listing
from fsspeckit.partitions.hive import PartitionStats, compile_predicate, partition_index, value_sort_key
from fsspeckit.partitions.predicates import Predicate, parse_predicate
from fsspeckit.planning.partition_diff import diff_partitions

from . import human_bytes

__all__ = ["PartitionScreen", "ValueRow", "partition_values", "predicate_from_selection"]

STATUS_LABELS = {
    "only_src": "only in source",
    "only_dst": "only in destination",
    "changed": "changed",
    "identical": "identical",
}
STATUS_STYLES = {"only_src": "green", "only_dst": "red", "changed": "yellow", "identical": "dim"}
_SPECIAL = set(" \t()'\",=!<>")


@dataclass
class ValueRow:
    """One value of one partition key, on both sides."""

    key: str
    value: str | None
    src: PartitionStats | None = None
    dst: PartitionStats | None = None
    new: int = 0
    changed: int = 0
    dst_only: int = 0

    @property
    def status(self) -> str:
        if self.dst is None:
            return "only_src"
        if self.src is None:
            return "only_dst"
        return "changed" if (self.new or self.changed or self.dst_only) else "identical"


def partition_values(src: Listing, dst: Listing, compare: str = "size_mtime"):
    """Per key, its values as ``ValueRow`` (sorted), plus both partition indexes."""
    src_index = partition_index(src)
    dst_index = partition_index(dst)
    diff = diff_partitions(src, dst, compare)
    rows: dict[str, dict[str | None, ValueRow]] = {}
    for index, side in ((src_index, "src"), (dst_index, "dst")):
        for key, per in index.by_key().items():
            for value, stats in per.items():
                row = rows.setdefault(key, {}).setdefault(value, ValueRow(key, value))
                setattr(row, side, stats)
    values = {**dst_index.values, **src_index.values}
    for change in diff.changes:
        for key, value in values.get(change.path, {}).items():
            row = rows[key][value]
            row.new += change.new
            row.changed += change.changed
            row.dst_only += change.dst_only

    ordered = {}
    for key in [*src_index.keys, *(k for k in dst_index.keys if k not in src_index.keys)]:
        ordered[key] = sorted(rows[key].values(), key=lambda r: value_sort_key(r.value))
    return ordered, src_index, dst_index


def _literal(value: str) -> str:
    if value and not (_SPECIAL & set(value)) and value.lower() not in ("and", "or", "not", "in", "is", "null"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def predicate_from_selection(keys: dict[str, list[str | None]], selected: dict[str, set]) -> str:
    """Predicate text for the selected values of each key ("" when everything is selected).

    Raises ``ValueError`` when a key has no value selected.
    """
    clauses = []
    for key, values in keys.items():
        chosen = [v for v in values if v in selected.get(key, set())]
        if len(chosen) == len(values):
            continue
        if not chosen:
            raise ValueError(f"No value of {key!r} is selected: select at least one, or cancel.")
        dropped = [v for v in values if v not in chosen]
        nulls = None in chosen
        plain = [v for v in chosen if v is not None]
        if len(dropped) < len(plain) and None not in dropped and not nulls:
            clause = (f"{key}!={_literal(dropped[0])}" if len(dropped) == 1
                      else f"{key} not in ({', '.join(_literal(v) for v in dropped)})")
        elif len(plain) == 1:
            clause = f"{key}={_literal(plain[0])}"
        elif plain:
            clause = f"{key} in ({', '.join(_literal(v) for v in plain)})"
        else:
            clause = ""
        if nulls:
            clause = f"({clause} or {key} is null)" if clause else f"{key} is null"
        clauses.append(clause)
    return " and ".join(clauses)


def _key_text(key: str) -> str:
    return _literal(key)


def unparse(node) -> str:
    """Predicate text for a parsed predicate (``fsspeckit.partitions.predicates.parse_predicate``)."""
    tag = node[0]
    if tag == "true":
        return ""
    if tag in ("and", "or"):
        parts = []
        for child in node[1:]:
            text = unparse(child)
            parts.append(f"({text})" if tag == "and" and child[0] == "or" else text)
        return f" {tag} ".join(parts)
    if tag == "not":
        child = node[1]
        if child[0] == "null":
            return f"{_key_text(child[1])} is not null"
        return f"not ({unparse(child)})"
    if tag == "null":
        return f"{_key_text(node[1])} is null"
    if tag == "in":
        values = ", ".join(_literal(v) for v in node[2])
        return f"{_key_text(node[1])} {'not in' if node[3] else 'in'} ({values})"
    return f"{_key_text(node[1])}{node[2]}{_literal(node[3])}"  # cmp


def split_clauses(text: str) -> tuple[dict[str, list[str]], list[str]]:
    """The top-level ``and`` parts of a predicate: per key when a part names one key, else as they are.

    Raises ``ValueError`` when the text does not parse.
    """
    per_key: dict[str, list[str]] = {}
    mixed: list[str] = []
    stack = [parse_predicate(text)]
    parts = []
    while stack:
        node = stack.pop()
        if node[0] == "and":
            stack.extend((node[2], node[1]))
        elif node[0] != "true":
            parts.append(node)
    for node in parts:
        keys = Predicate("", node).keys
        text = f"({unparse(node)})" if node[0] == "or" else unparse(node)
        if len(keys) == 1:
            per_key.setdefault(next(iter(keys)), []).append(text)
        else:
            mixed.append(text)
    return per_key, mixed


class PartitionScreen(ModalScreen[str | None]):
    """Pick partitions by value or by predicate."""

    DEFAULT_CSS = """
    PartitionScreen { align: center middle; }
    PartitionScreen #dialog { width: 96%; height: 94%; border: thick $primary; background: $surface; padding: 0 1; }
    PartitionScreen #title { text-style: bold; }
    PartitionScreen .hint { color: $text-muted; }
    PartitionScreen #keys { height: 1fr; }
    PartitionScreen .key-title { text-style: bold; margin-top: 1; }
    PartitionScreen SelectionList { height: auto; max-height: 12; }
    PartitionScreen #predicate-label { margin-top: 1; text-style: bold; }
    PartitionScreen #preview { height: auto; }
    PartitionScreen #preview.error { color: $error; }
    PartitionScreen #buttons { height: auto; }
    PartitionScreen #buttons Button { margin-right: 2; }
    """

    BINDINGS = [
        Binding("asterisk", "toggle_key", "All/none of key", key_display="*"),
        Binding("ctrl+s", "apply", "Apply"),
        Binding("ctrl+r", "clear", "No filter"),
        Binding("escape,q", "cancel", "Cancel"),
    ]

    def __init__(self, src_listing: Listing, dst_listing: Listing, current_predicate: str | None = None,
                 *, compare: str = "size_mtime", name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.rows, self.src_index, self.dst_index = partition_values(src_listing, dst_listing, compare)
        self.keys = {k: [r.value for r in rows] for k, rows in self.rows.items()}
        self.initial = (current_predicate or "").strip()
        self._generated: str | None = None
        #: The predicate's top-level clauses that name one key (by key), and the others as typed.
        self.clauses: dict[str, list[str]] = {}
        self.mixed: list[str] = []
        #: Why the current selection cannot be applied (a key with nothing selected).
        self._blocked: str | None = None

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Partitions: choose what the sync covers", id="title")
            yield Static("space: toggle a value · *: all/none of a key · type a predicate below · "
                         "ctrl+s: apply · ctrl+r: no filter · esc: cancel", classes="hint")
            with VerticalScroll(id="keys"):
                if not self.rows:
                    yield Static("No partition folders (key=value) on either side.", classes="hint")
                for i, (key, rows) in enumerate(self.rows.items()):
                    yield Static(f"{key}  ({len(rows)} value{'s' if len(rows) != 1 else ''})",
                                 classes="key-title", markup=False)
                    width = min(24, max(len(self._shown(r.value)) for r in rows))
                    yield SelectionList(*[(self._prompt(r, width), r.value, True) for r in rows],
                                        id=f"key-{i}")
            yield Label("Predicate (empty = everything)", id="predicate-label")
            yield Input(self.initial, id="predicate",
                        placeholder="e.g. year>=2023 and region in (us-east, eu)")
            yield Static("", id="preview", markup=False)
            with Horizontal(id="buttons"):
                yield Button("Apply", id="apply", variant="primary")
                yield Button("No filter", id="clear")
                yield Button("Cancel", id="cancel")

    @staticmethod
    def _shown(value: str | None) -> str:
        return "(null)" if value is None else value

    def _prompt(self, row: ValueRow, width: int) -> Content:
        def side(label: str, stats: PartitionStats | None) -> str:
            if stats is None:
                return f"{label} {'-':>6}   {'':>9}"
            return f"{label} {stats.files:>6,} · {human_bytes(stats.bytes):>9}"

        status = STATUS_LABELS[row.status]
        detail = []
        if row.new:
            detail.append(f"{row.new} new")
        if row.changed:
            detail.append(f"{row.changed} changed")
        if row.dst_only:
            detail.append(f"{row.dst_only} dst only")
        if row.status == "changed" and detail:
            status += f" ({', '.join(detail)})"
        value = self._shown(row.value)
        if len(value) > width:
            value = value[: width - 1] + "…"
        return Content.assemble(f"{value:<{width}}  {side('src', row.src)}   {side('dst', row.dst)}   ",
                                (status, STATUS_STYLES[row.status]))

    def on_mount(self) -> None:
        if self.initial:
            self._sync_from_text(self.initial)
        self._preview(self.initial)
        lists = list(self.query(SelectionList))
        (lists[0] if lists else self.query_one("#predicate", Input)).focus()

    # -- selection <-> predicate ----------------------------------------------
    def _lists(self) -> dict[str, SelectionList]:
        return {key: self.query_one(f"#key-{i}", SelectionList) for i, key in enumerate(self.rows)}

    def _selected(self) -> dict[str, set]:
        return {key: set(sl.selected) for key, sl in self._lists().items()}

    def _sync_from_text(self, text: str) -> bool:
        """Mark the values each key's own clauses keep; False when the text does not parse.

        Only the clauses that name one key tick or untick that key's values: a key
        the predicate does not mention keeps every value, so reopening the picker
        on ``year=2024`` and ticking 2022 gives ``year in (2022, 2024)``, nothing more.
        """
        try:
            self.clauses, self.mixed = split_clauses(text)
        except ValueError:
            return False
        kept: dict[str, set] = {}
        for key, values in self.keys.items():
            clauses = self.clauses.get(key)
            if not clauses:
                kept[key] = set(values)
                continue
            pred = compile_predicate(" and ".join(f"({c})" for c in clauses))
            kept[key] = {v for v in values if pred({key: v})}
        for key, sl in self._lists().items():
            want = kept[key]
            if set(sl.selected) == want:
                continue
            with self.prevent(SelectionList.SelectedChanged):
                sl.deselect_all()
                for v in want:
                    sl.select(v)
        return True

    def _preview(self, text: str) -> bool:
        preview = self.query_one("#preview", Static)
        try:
            pred = compile_predicate(text)
        except ValueError as exc:
            preview.update(str(exc))
            preview.add_class("error")
            return False
        preview.remove_class("error")

        def count(index) -> tuple[int, int, int]:
            files = nbytes = 0
            for path, stats in index.partitions.items():
                if pred(dict(index.values[path])):
                    files += stats.files
                    nbytes += stats.bytes
            return files, nbytes, index.total.files

        sf, sb, st = count(self.src_index)
        df, db, dt = count(self.dst_index)
        scope = "no filter: everything is synced" if not text.strip() else "the sync covers"
        note = "" if not text.strip() else "  (files outside partition folders are left alone)"
        preview.update(f"{scope}: source {sf:,} of {st:,} files ({human_bytes(sb)}), "
                       f"destination {df:,} of {dt:,} files ({human_bytes(db)}){note}")
        return True

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self, event: SelectionList.SelectedChanged) -> None:
        lists = self._lists()
        changed = next((k for k, sl in lists.items() if sl is event.selection_list), None)
        try:
            if changed is not None:
                clause = predicate_from_selection({changed: self.keys[changed]},
                                                  {changed: set(lists[changed].selected)})
                self.clauses[changed] = [clause] if clause else []
            order = [*self.keys, *(k for k in self.clauses if k not in self.keys)]
            own = [c for key in order for c in self.clauses.get(key, [])]
            text = " and ".join([*own, *self.mixed])
        except ValueError as exc:
            self._blocked = str(exc)
            preview = self.query_one("#preview", Static)
            preview.update(self._blocked)
            preview.add_class("error")
            return
        self._blocked = None
        self._generated = text
        self.query_one("#predicate", Input).value = text
        self._preview(text)

    @on(Input.Changed, "#predicate")
    def _text_changed(self, event: Input.Changed) -> None:
        if event.value == self._generated:
            self._generated = None
            return
        self._blocked = None
        if self._preview(event.value):
            self._sync_from_text(event.value)

    # -- actions --------------------------------------------------------------
    def action_toggle_key(self) -> None:
        focused = self.focused
        if not isinstance(focused, SelectionList):
            return
        if len(focused.selected) == focused.option_count:
            focused.deselect_all()
        else:
            focused.select_all()

    @on(Input.Submitted, "#predicate")
    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        text = self.query_one("#predicate", Input).value.strip()
        if self._blocked:
            self.notify(self._blocked, severity="error")
            return
        if not self._preview(text):
            self.query_one("#predicate", Input).focus()
            return
        self.dismiss(text)

    @on(Button.Pressed, "#clear")
    def action_clear(self) -> None:
        self.dismiss("")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
