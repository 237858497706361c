"""Partition layout inspection of one side, without syncing.

``LayoutScreen(listing, title)`` shows a table of the partition keys (values,
files, bytes, oldest and newest modification) and the tree of partition
folders with the same figures per folder, built from
``fsspeckit.partitions.partition_index`` (no I/O).
"""

from __future__ import annotations

from rich.text import Text

from textual.app import ComposeResult
from textual.binding import Binding
from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, Tree
from textual.widgets.tree import TreeNode

from fsspeckit.listing import Listing
from fsspeckit.partitions import PartitionStats, partition_index

from . import human_bytes, human_date

__all__ = ["LayoutScreen"]

#: Tree levels expanded when the screen opens.
EXPAND_DEPTH = 1


def _figures(stats: PartitionStats) -> str:
    span = ""
    if stats.oldest is not None:
        old, new = human_date(stats.oldest), human_date(stats.newest)
        span = f" · {old}" if old == new else f" · {old} → {new}"
    return f"{stats.files:,} file{'s' if stats.files != 1 else ''} · {human_bytes(stats.bytes)}{span}"


class LayoutScreen(Screen[None]):
    """Partition keys and the partition tree of one listing."""

    DEFAULT_CSS = """
    LayoutScreen { padding: 0 1; }
    LayoutScreen #title { text-style: bold; padding: 1 0 0 0; }
    LayoutScreen #totals { color: $text-muted; margin-bottom: 1; }
    LayoutScreen #keys { height: auto; max-height: 10; margin-bottom: 1; }
    LayoutScreen #tree { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("e", "expand_all", "Expand all"),
        Binding("c", "collapse_all", "Collapse all"),
    ]

    def __init__(self, listing: Listing, title: str, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.listing = listing
        self.title_text = title
        self.index = partition_index(listing)

    def compose(self) -> ComposeResult:
        yield Static(f"Partition layout: {self.title_text}", id="title", markup=False)
        total = self.index.total
        n_parts = sum(1 for p in self.index.partitions if p)
        outside = self.index.partitions.get("")
        extra = (f"; {outside.files:,} file{'s' if outside.files != 1 else ''} outside partition folders"
                 if outside else "")
        yield Static(f"{n_parts:,} partition folders, {len(self.index.keys)} keys; "
                     f"{_figures(total)}{extra}", id="totals", markup=False)
        yield DataTable(id="keys", cursor_type="row", zebra_stripes=True)
        yield Tree(self.title_text, id="tree")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#keys", DataTable)
        table.add_columns("key", "values", "files", "bytes", "oldest", "newest", "examples")
        for key, per in self.index.by_key().items():
            merged = PartitionStats(partitions=0)
            for stats in per.values():
                merged = merged.merge(stats)
            shown = ["(null)" if v is None else v for v in per]
            examples = ", ".join(shown[:4]) + (f", … {shown[-1]}" if len(shown) > 4 else "")
            table.add_row(key, f"{len(per):,}", f"{merged.files:,}", human_bytes(merged.bytes),
                          human_date(merged.oldest), human_date(merged.newest), examples, key=key)
        self._build_tree()
        self.query_one("#tree", Tree).focus()

    def _build_tree(self) -> None:
        tree = self.query_one("#tree", Tree)
        tree.root.set_label(Text.assemble(self.title_text, ("  " + _figures(self.index.total), "dim")))
        # Aggregate every folder prefix of every partition folder.
        folders: dict[str, PartitionStats] = {}
        for path, stats in self.index.partitions.items():
            if not path:
                continue
            parts = path.split("/")
            for i in range(1, len(parts) + 1):
                prefix = "/".join(parts[:i])
                folders[prefix] = folders[prefix].merge(stats) if prefix in folders else stats
        nodes: dict[str, TreeNode] = {"": tree.root}
        for prefix in folders:  # partition_index orders paths by value, parents first
            parent, _, seg = prefix.rpartition("/")
            if prefix in nodes:
                continue
            parent_node = nodes.get(parent, tree.root)
            stats = folders[prefix]
            style = "bold" if "=" in seg else ""
            label = Text.assemble((seg, style), ("   " + _figures(stats), "dim"))
            node = parent_node.add(label, data=prefix, expand=prefix.count("/") < EXPAND_DEPTH)
            nodes[prefix] = node
        outside = self.index.partitions.get("")
        if outside:
            tree.root.add_leaf(Text.assemble(("(outside partition folders)", "italic"),
                                                ("   " + _figures(outside), "dim")), data="")
        # Leaves have no children: do not offer to expand them.
        for prefix, node in nodes.items():
            if prefix and not node.children:
                node.allow_expand = False
        tree.root.expand()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_expand_all(self) -> None:
        self.query_one("#tree", Tree).root.expand_all()

    def action_collapse_all(self) -> None:
        tree = self.query_one("#tree", Tree)
        tree.root.collapse_all()
        tree.root.expand()
