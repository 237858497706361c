"""Two layouts compared partition by partition: only in source, only in destination, identical, differing.

``compare_layouts(src, dst)`` takes two ``LayoutSummary`` objects (no I/O) and
says, per partition folder, whether it is on one side only, or on both and
then whether its files (names and count), bytes, rows and schemas agree, so a
migration can be checked partition by partition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..model.units import human_bytes
from .hive import path_sort_key
from .layout import LayoutSummary, PartitionContents

logger = logging.getLogger(__name__)

__all__ = ["LayoutComparison", "PartitionComparison", "STATUSES", "compare_layouts"]

#: The statuses of a partition, in the order they are counted.
STATUSES = ("only_src", "only_dst", "differing", "identical")


@dataclass(frozen=True, slots=True)
class PartitionComparison:
    """One partition on both sides; ``differences`` names what differs (``files``, ``bytes``, ``rows``, ``schema``)."""

    path: str
    status: str
    src: PartitionContents | None
    dst: PartitionContents | None
    differences: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        """A short line saying what differs, source → destination."""
        s, d = self.src, self.dst
        if d is None:
            return f"only in the source ({s.files:,} files, {human_bytes(s.bytes)})"
        if s is None:
            return f"only in the destination ({d.files:,} files, {human_bytes(d.bytes)})"
        if not self.differences:
            return "identical"
        bits = []
        for what in self.differences:
            if what == "files":
                gone = len(set(s.names) - set(d.names))
                extra = len(set(d.names) - set(s.names))
                detail = ", ".join(x for x in (f"{gone:,} missing" if gone else "", f"{extra:,} extra" if extra else "") if x)
                bits.append(f"files {s.files:,} → {d.files:,}" + (f" ({detail})" if detail else ""))
            elif what == "bytes":
                bits.append(f"bytes {human_bytes(s.bytes)} → {human_bytes(d.bytes)}")
            elif what == "rows":
                bits.append(f"rows {s.rows:,} → {d.rows:,}")
            elif what == "schema":
                bits.append(f"schema {','.join(s.schemas) or '-'} → {','.join(d.schemas) or '-'}")
        return "; ".join(bits)

    def to_dict(self) -> dict:
        return {"path": self.path, "status": self.status, "differences": list(self.differences),
                "reason": self.reason,
                "src": self.src.to_dict(stats=False) if self.src else None,
                "dst": self.dst.to_dict(stats=False) if self.dst else None}


@dataclass(frozen=True)
class LayoutComparison:
    """Every partition of two layouts, in path order, with its status."""

    partitions: tuple[PartitionComparison, ...]
    rows_compared: bool = False
    schemas_compared: bool = False

    def __iter__(self):
        return iter(self.partitions)

    def __len__(self) -> int:
        return len(self.partitions)

    def get(self, path: str) -> PartitionComparison | None:
        for p in self.partitions:
            if p.path == path:
                return p
        return None

    def with_status(self, status: str) -> list[PartitionComparison]:
        return [p for p in self.partitions if p.status == status]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for p in self.partitions:
            out[p.status] += 1
        return out

    @property
    def same(self) -> bool:
        """True when every partition is identical on both sides."""
        return all(p.status == "identical" for p in self.partitions)

    def to_dict(self) -> dict:
        return {"counts": self.counts(), "rows_compared": self.rows_compared,
                "schemas_compared": self.schemas_compared, "partitions": [p.to_dict() for p in self.partitions]}


def _differences(s: PartitionContents, d: PartitionContents, rows: bool, schemas: bool) -> tuple[str, ...]:
    out = []
    if s.files != d.files or set(s.names) != set(d.names):
        out.append("files")
    if s.bytes != d.bytes:
        out.append("bytes")
    if rows and (s.rows or 0) != (d.rows or 0):
        out.append("rows")
    if schemas and set(s.schemas) != set(d.schemas):
        out.append("schema")
    return tuple(out)


def compare_layouts(src: LayoutSummary, dst: LayoutSummary) -> LayoutComparison:
    """Compare two summaries partition by partition. No I/O.

    Rows and schemas are compared only when both summaries read footers;
    files compare by count and names, bytes by total.
    """
    rows = schemas = src.footers_read and dst.footers_read
    out = []
    for path in sorted(src.partitions.keys() | dst.partitions.keys(), key=path_sort_key):
        s, d = src.partitions.get(path), dst.partitions.get(path)
        if d is None:
            out.append(PartitionComparison(path, "only_src", s, None))
        elif s is None:
            out.append(PartitionComparison(path, "only_dst", None, d))
        else:
            diff = _differences(s, d, rows, schemas)
            out.append(PartitionComparison(path, "differing" if diff else "identical", s, d, diff))
    return LayoutComparison(tuple(out), rows, schemas)
