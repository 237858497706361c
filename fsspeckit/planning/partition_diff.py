"""What differs between the partitions of two listings (``diff_partitions``).

Each partition folder of either side is one ``PartitionChange``: new, gone,
changed or the same, with the files and bytes behind it, compared the way a
sync compares files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..model.entries import Listing
from ..partitions.hive import PartitionStats, partition_index, partition_path, path_sort_key
from .compare import compare_entries, normalize_compare

logger = logging.getLogger(__name__)

__all__ = ["PartitionChange", "PartitionDiff", "diff_partitions"]


# --- comparing two sides -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionChange:
    """One partition compared across source and destination."""

    path: str
    status: str  # "only_src" | "only_dst" | "changed" | "identical"
    src: PartitionStats | None
    dst: PartitionStats | None
    new: int = 0  # files only in the source
    changed: int = 0  # files on both sides that differ
    dst_only: int = 0  # files only in the destination

    def to_dict(self) -> dict:
        return {
            "path": self.path, "status": self.status,
            "src": self.src.to_dict() if self.src else None,
            "dst": self.dst.to_dict() if self.dst else None,
            "new": self.new, "changed": self.changed, "dst_only": self.dst_only,
        }


@dataclass(frozen=True)
class PartitionDiff:
    """The partitions of two listings: only in source, only in destination, changed, identical."""

    changes: tuple[PartitionChange, ...]
    compare: str = "size_mtime"

    def _paths(self, status: str) -> list[str]:
        return [c.path for c in self.changes if c.status == status]

    @property
    def only_src(self) -> list[str]:
        return self._paths("only_src")

    @property
    def only_dst(self) -> list[str]:
        return self._paths("only_dst")

    @property
    def changed(self) -> list[str]:
        return self._paths("changed")

    @property
    def identical(self) -> list[str]:
        return self._paths("identical")

    def get(self, path: str) -> PartitionChange | None:
        for c in self.changes:
            if c.path == path:
                return c
        return None

    def counts(self) -> dict[str, int]:
        out = {"only_src": 0, "only_dst": 0, "changed": 0, "identical": 0}
        for c in self.changes:
            out[c.status] += 1
        return out

    def to_dict(self) -> dict:
        return {"compare": self.compare, "counts": self.counts(), "partitions": [c.to_dict() for c in self.changes]}


def diff_partitions(src: Listing, dst: Listing, compare: str = "size_mtime") -> PartitionDiff:
    """Compare two listings partition by partition. No I/O.

    A partition on both sides is ``identical`` when the same files are on both
    sides and ``fsspeckit.planning.plan.compare_entries`` finds each pair identical
    (``compare`` is a sync compare mode), else ``changed``.
    """
    compare = normalize_compare(compare)
    src_index = partition_index(src)
    dst_index = partition_index(dst)
    counts: dict[str, list[int]] = {}
    for rel, s in src.entries.items():
        c = counts.setdefault(partition_path(rel), [0, 0, 0])
        d = dst.entries.get(rel)
        if d is None:
            c[0] += 1
        elif compare_entries(s, d, compare, dst.upload_times)[0] != "identical":
            c[1] += 1
    for rel in dst.entries.keys() - src.entries.keys():
        counts.setdefault(partition_path(rel), [0, 0, 0])[2] += 1
    changes = []
    for path in sorted(src_index.partitions.keys() | dst_index.partitions.keys(), key=path_sort_key):
        s = src_index.partitions.get(path)
        d = dst_index.partitions.get(path)
        new, changed, dst_only = counts.get(path, (0, 0, 0))
        if d is None:
            status = "only_src"
        elif s is None:
            status = "only_dst"
        else:
            status = "identical" if not (new or changed or dst_only) else "changed"
        changes.append(PartitionChange(path, status, s, d, new, changed, dst_only))
    return PartitionDiff(tuple(changes), compare)
