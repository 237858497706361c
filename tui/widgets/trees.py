"""One side of the sync as a tree: folders expand lazily, nodes carry plan statuses.

``FileTree`` draws a ``TreeIndex`` (built off the UI thread); children are added
only when a folder is expanded, so a listing of 100,000 files costs a handful of
nodes. Once a plan is shown, each node says what will happen to it, and the
destination tree also shows, dimmed and marked "(new)", the files and folders
the sync will create there.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

import humanize
from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from fsspeckit.model.units import human_bytes
from fsspeckit.planning.plan import Action

from .index import CATEGORY_LABELS, PlanView, TreeIndex

__all__ = ["FileTree", "NodeData", "CATEGORY_STYLES", "KIND_LABELS", "human_size", "human_time", "status_text"]

#: Children shown per folder; the rest is summed up in one line (the diff table has them all).
MAX_CHILDREN = 500

CATEGORY_STYLES = {
    "new": "green",
    "changed": "yellow",
    "conflict": "bold magenta",
    "dst_only": "red",
    "identical": "dim",
    "excluded": "dim italic",
    "moved": "cyan",
}
#: Short category names for folder counts in the trees.
TREE_LABELS = {"new": "new", "changed": "changed", "conflict": "conflict", "dst_only": "dst only",
               "identical": "same", "excluded": "excluded", "moved": "moved"}
KIND_LABELS = {"copy": "copy →", "update": "update →", "delete": "DELETE", "skip": "skip", "move": "move"}


def human_size(n: int | None) -> str:
    return "" if n is None else human_bytes(n)


def human_time(mtime: float | None, now: datetime | None) -> str:
    """'3 months ago' relative to ``now`` (the app's clock), or '' without a time."""
    if mtime is None:
        return ""
    when = datetime.fromtimestamp(mtime, tz=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return humanize.naturaltime(now - when)


def is_partition(name: str) -> bool:
    key, sep, _ = name.partition("=")
    return bool(sep and key)


@dataclass
class NodeData:
    path: str  # relative path ("" for the root)
    is_dir: bool
    loaded: bool = False
    #: Not there yet: a file or folder the plan will create (destination tree only).
    ghost: bool = False


class FileTree(Tree[NodeData]):
    """The files of one side, with sizes, ages and (once planned) statuses."""

    def __init__(self, side: str, *, clock: Callable[[], datetime] | None = None, **kwargs):
        super().__init__("…", data=NodeData("", True), **kwargs)
        self.side = side
        self.index: TreeIndex | None = None
        self.view: PlanView | None = None
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.guide_depth = 3
        self.show_root = True

    # -- content ---------------------------------------------------------------
    def show_message(self, text: str, style: str = "") -> None:
        """Replace the tree with one line (loading, error)."""
        self.index = None
        self.reset(Text(text, style=style), NodeData("", True, loaded=True))

    def show_index(self, index: TreeIndex, title: str) -> None:
        """Show a new listing (folders collapsed except the root)."""
        self.index = index
        self._title = title
        self.reset(self._root_label(), NodeData("", True))
        self._populate(self.root)
        self.root.expand()

    def show_plan(self, view: PlanView | None) -> None:
        """Mark loaded nodes with the plan's statuses (only visible nodes are touched)."""
        before = self._arrivals()
        self.view = view
        if self.index is None:
            return
        if self._arrivals() != before:
            self._rebuild()
            return
        self.root.set_label(self._root_label())
        stack = list(self.root.children)
        while stack:
            node = stack.pop()
            data = node.data
            if data is None:
                continue
            node.set_label(self._label(data.path, data.is_dir, data.ghost))
            stack.extend(node.children)

    def _arrivals(self):
        view = self.view
        if self.side != "destination" or view is None:
            return None
        return view.arriving_files, view.arriving_folders

    def _rebuild(self) -> None:
        """Show the tree again with the new arrivals, keeping open folders and the cursor."""
        opened = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            for child in node.children:
                if child.data is not None and child.data.is_dir and child.is_expanded:
                    opened.append(child.data.path)
                    stack.append(child)
        cursor = self.selected()
        self.reset(self._root_label(), NodeData("", True))
        self._populate(self.root)
        self.root.expand()
        for path in sorted(opened, key=lambda p: p.count("/")):
            node = self._find_loaded(path)
            if node is not None:
                if not node.data.loaded:
                    self._populate(node)
                node.expand()
        if cursor is not None and cursor.path:
            node = self._find_loaded(cursor.path)
            if node is not None:
                self.call_after_refresh(self._move_to, node)

    def selected(self) -> NodeData | None:
        node = self.cursor_node
        return node.data if node is not None else None

    def go_to(self, rel: str) -> bool:
        """Expand the folders above ``rel`` and move the cursor to it; False if absent."""
        if self.index is None:
            return False
        node = self.root
        parts = [p for p in rel.split("/") if p]
        for depth in range(len(parts)):
            if not node.data.loaded:
                self._populate(node)
            node.expand()
            target = "/".join(parts[: depth + 1])
            found = next((c for c in node.children if c.data is not None and c.data.path == target), None)
            if found is None:
                break
            node = found
        if node is self.root and parts:
            return False
        # Lines of freshly expanded folders are numbered on the next layout; moving the
        # cursor now would use a stale line number, so move once they are.
        self.call_after_refresh(self._move_to, node)
        return node.data is not None and node.data.path == rel

    def set_expanded(self, rel: str, expanded: bool) -> None:
        """Expand or collapse the folder ``rel`` if it is shown (used by linked trees)."""
        node = self._find_loaded(rel)
        if node is not None and node.data is not None and node.data.is_dir:
            if expanded and not node.is_expanded:
                node.expand()
            elif not expanded and node.is_expanded:
                node.collapse()

    def _find_loaded(self, rel: str) -> TreeNode[NodeData] | None:
        node = self.root
        parts = [p for p in rel.split("/") if p]
        for depth in range(len(parts)):
            target = "/".join(parts[: depth + 1])
            node = next((c for c in node.children if c.data is not None and c.data.path == target), None)
            if node is None:
                return None
        return node

    def _move_to(self, node: TreeNode[NodeData]) -> None:
        self.move_cursor(node)
        self.scroll_to_node(node, animate=False)

    # -- lazy loading ------------------------------------------------------------
    def _on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if node.data is not None and node.data.is_dir and not node.data.loaded:
            self._populate(node)

    def _populate(self, node: TreeNode[NodeData]) -> None:
        index = self.index
        data = node.data
        if index is None or data is None:
            return
        data.loaded = True
        folder = data.path
        folders = index.folders.get(folder, [])
        files = index.files.get(folder, [])
        ghost_folders = ghost_files = frozenset()
        arrivals = self._arrivals()
        if arrivals is not None:
            ghost_files = arrivals[0].get(folder, set()) - set(files)
            ghost_folders = arrivals[1].get(folder, set()) - set(folders)
            if ghost_files:
                files = sorted([*files, *ghost_files])
            if ghost_folders:
                folders = sorted([*folders, *ghost_folders])
        shown = 0
        for name in folders:
            if shown >= MAX_CHILDREN:
                break
            rel = posixpath.join(folder, name) if folder else name
            ghost = name in ghost_folders
            node.add(self._label(rel, True, ghost), data=NodeData(rel, True, ghost=ghost))
            shown += 1
        for name in files:
            if shown >= MAX_CHILDREN:
                break
            rel = posixpath.join(folder, name) if folder else name
            ghost = name in ghost_files
            node.add_leaf(self._label(rel, False, ghost), data=NodeData(rel, False, ghost=ghost))
            shown += 1
        rest = len(folders) + len(files) - shown
        if rest > 0:
            node.add_leaf(Text(f"… {rest:,} more here (all of them are in the table below)", style="dim italic"), data=None)

    # -- labels --------------------------------------------------------------------
    def _root_label(self) -> Text:
        index = self.index
        text = Text(self._title, style="bold")
        if index is not None:
            files, size = index.stats.get("", (0, 0))
            text.append(f"  {files:,} file{'' if files == 1 else 's'}, {human_size(size)}", style="dim")
            if not index.listing.exists:
                # A missing destination is created by the sync; a missing source is an error.
                missing = "  (does not exist yet)" if self.side == "destination" else "  (does not exist)"
                text.append(missing, style="yellow" if self.side == "destination" else "bold red")
        return text

    def _label(self, rel: str, is_dir: bool, ghost: bool = False) -> Text:
        name = posixpath.basename(rel)
        index = self.index
        if is_dir:
            text = Text(name, style="dim bold" if ghost else "bold")
            if is_partition(name):
                text.append(" ◆", style="cyan")
            if ghost:
                text.append(" (new)", style="dim green")
            if self.view is not None:
                self._append_counts(text, rel)
            if not ghost:
                files, size = index.stats.get(rel, (0, 0)) if index else (0, 0)
                text.append(f"  ({files:,} file{'' if files == 1 else 's'}, {human_size(size)})", style="dim")
            return text
        action = self.view.by_path.get(rel) if self.view is not None else None
        if ghost:
            text = Text(name, style="dim")
            text.append(" (new)", style="dim green")
            if action is not None:
                text.append("  ")
                text.append_text(status_text(action))
                if action.src is not None:
                    text.append(f"  {human_size(action.src.size)} arriving", style="dim")
            return text
        entry = index.entry(rel) if index else None
        text = Text(name)
        if action is not None:
            text.append("  ")
            text.append_text(status_text(action))
        if entry is not None:
            text.append(f"  {human_size(entry.size)}, {human_time(entry.mtime, self.clock())}", style="dim")
        return text

    def _append_counts(self, text: Text, folder: str) -> None:
        counts = self.view.folder_counts.get(folder) if self.view else None
        if not counts:
            return
        parts = [(c, counts[c]) for c in TREE_LABELS if counts.get(c)]
        if len(parts) == 1 and parts[0][0] == "identical":
            text.append("  all same", style="dim green")
            return
        text.append("  ")
        for i, (cat, n) in enumerate(parts):
            if i:
                text.append(" · ", style="dim")
            text.append(f"{n:,} {TREE_LABELS[cat]}", style=CATEGORY_STYLES[cat])


def status_text(action: Action) -> Text:
    """'[changed] update →' with the category's colour; ✎ marks a decision changed by hand."""
    text = Text(f"[{CATEGORY_LABELS.get(action.category, action.category)}]", style=CATEGORY_STYLES.get(action.category, ""))
    style = "bold red" if action.kind == "delete" else ("dim" if action.kind == "skip" else "")
    text.append(f" {KIND_LABELS.get(action.kind, action.kind)}", style=style)
    if action.keep_as:
        text.append(" (keep both)", style="magenta")
    if action.overridden:
        text.append(" ✎", style="bold cyan")
    return text
