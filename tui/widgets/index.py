"""What the widgets draw from: a folder index of a listing and a view of a plan.

Both are built off the UI thread (they walk every entry) and then only read:
``TreeIndex`` says what a folder holds, ``PlanView`` finds the action of a path,
counts categories per folder and filters actions by category.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from fsspeckit.model.entries import Entry, Listing
from fsspeckit.planning.plan import Action, Plan

__all__ = ["TreeIndex", "PlanView", "FILTERS", "CATEGORY_LABELS", "ancestors"]

#: Filters of the diff table, in the order ``f`` cycles through them.
FILTERS = ("all", "changes", "new", "changed", "conflict", "dst_only", "identical", "excluded", "overridden")

CATEGORY_LABELS = {
    "new": "new",
    "changed": "changed",
    "conflict": "conflict",
    "dst_only": "only in dst",
    "identical": "identical",
    "excluded": "excluded",
    "moved": "moved",
}


def ancestors(path: str):
    """Every folder above a relative path, the root ("") included."""
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)
    yield ""


@dataclass
class TreeIndex:
    """Folders and files of one listing, by folder (relative, "" is the root)."""

    listing: Listing
    folders: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    #: Files and bytes under each folder, recursively.
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def build(cls, listing: Listing, keep: Callable[[str], bool] | None = None) -> "TreeIndex":
        folders: dict[str, set[str]] = {"": set()}
        files: dict[str, list[str]] = {}
        counts: Counter = Counter()
        sizes: Counter = Counter()
        for rel, entry in listing.entries.items():
            if keep is not None and not keep(rel):
                continue
            parent, name = posixpath.split(rel)
            names = files.get(parent)
            if names is None:
                names = files[parent] = []
                child = parent
                while child:  # register the folder chain once per folder
                    up, folder_name = posixpath.split(child)
                    siblings = folders.setdefault(up, set())
                    if folder_name in siblings:
                        break
                    siblings.add(folder_name)
                    folders.setdefault(child, set())
                    child = up
            names.append(name)
            counts[parent] += 1
            sizes[parent] += entry.size
        # Roll the per-folder sums up to every ancestor (there are far fewer folders than files).
        direct = list(counts.items())
        for folder, n in direct:
            if folder:
                size = sizes[folder]
                for up in ancestors(folder):
                    counts[up] += n
                    sizes[up] += size
        index = cls(listing)
        index.folders = {k: sorted(v) for k, v in folders.items()}
        index.files = {k: sorted(v) for k, v in files.items()}
        index.stats = {k: (counts[k], sizes[k]) for k in counts}
        return index

    def entry(self, rel: str) -> Entry | None:
        return self.listing.entries.get(rel)

    def has_folder(self, rel: str) -> bool:
        return rel in self.folders

    @property
    def file_count(self) -> int:
        return self.stats.get("", (0, 0))[0]


class PlanView:
    """Lookups over one plan: action by path, category counts per folder, filters."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.by_path: dict[str, Action] = {a.path: a for a in plan.actions}
        direct: Counter = Counter((posixpath.dirname(a.path), a.category) for a in plan.actions)
        counts: dict[str, Counter] = {}
        for (parent, category), n in direct.items():
            for folder in ([parent, *ancestors(parent)] if parent else [""]):
                c = counts.get(folder)
                if c is None:
                    c = counts[folder] = Counter()
                c[category] += n
        self.folder_counts = counts
        self.totals = plan.totals
        self.category_counts = counts.get("", Counter())
        self.overridden = sum(1 for a in plan.actions if a.overridden)
        # What will arrive in the destination (copies of files it does not have), by folder,
        # so the destination tree can show them before they exist.
        arriving_files: dict[str, set[str]] = {}
        arriving_folders: dict[str, set[str]] = {}
        for a in plan.actions:
            if a.kind == "copy" and a.dst is None:
                parent, name = posixpath.split(a.path)
                names = arriving_files.get(parent)
                if names is None:
                    names = arriving_files[parent] = set()
                    child = parent
                    while child:
                        up, folder_name = posixpath.split(child)
                        siblings = arriving_folders.setdefault(up, set())
                        if folder_name in siblings:
                            break
                        siblings.add(folder_name)
                        child = up
                names.add(name)
        self.arriving_files = arriving_files
        self.arriving_folders = arriving_folders
        self._filtered: dict[str, list[Action]] = {}

    def filtered(self, name: str) -> list[Action]:
        """Actions shown under a filter of ``FILTERS`` (cached)."""
        if name not in self._filtered:
            actions = self.plan.actions
            if name == "all":
                rows = list(actions)
            elif name == "changes":
                rows = [a for a in actions if a.kind != "skip"]
            elif name == "overridden":
                rows = [a for a in actions if a.overridden]
            else:
                rows = [a for a in actions if a.category == name]
            self._filtered[name] = rows
        return self._filtered[name]
