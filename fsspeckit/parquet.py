"""Parquet-aware partition summaries, read from file footers only (optional pyarrow).

``parquet_summary`` gives, per partition of a listing, the Parquet files' row
counts and schemas; ``compare_parquet_schemas`` tells, per partition present on
both sides, whether source and destination schemas differ. Only footers are
read (a few KiB per file), never row data.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from dataclasses import dataclass
from typing import Callable, Mapping

import fsspec

from .filesystem import unwrap
from .listing import Listing, join_path
from .partitions import get_partitions_from_path, partition_path
from .predicates import compile_predicate

logger = logging.getLogger(__name__)

__all__ = ["ParquetFooter", "PartitionParquet", "SchemaComparison", "compare_parquet_schemas",
           "parquet_footer", "parquet_summary"]

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "Parquet summaries need pyarrow, which is not installed: pip install 'fsspeckit[parquet]' (or pyarrow)."
        ) from exc
    return pq


@dataclass(frozen=True, slots=True)
class ParquetFooter:
    """What one Parquet file's footer says: rows, row groups and the Arrow schema (as text)."""

    path: str
    rows: int
    row_groups: int
    schema: str  # pyarrow Schema.to_string(show_schema_metadata=False)
    error: str | None = None  # set when the footer could not be read

    def to_dict(self) -> dict:
        return {"path": self.path, "rows": self.rows, "row_groups": self.row_groups,
                "schema": self.schema, "error": self.error}


def parquet_footer(fs: fsspec.AbstractFileSystem, path: str) -> ParquetFooter:
    """Read one file's footer (pyarrow reads the tail of the file only)."""
    pq = _pyarrow_parquet()
    try:
        with fs.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            meta = pf.metadata
            schema = pf.schema_arrow.to_string(show_schema_metadata=False, show_field_metadata=False)
            return ParquetFooter(path, meta.num_rows, meta.num_row_groups, schema)
    except Exception as exc:  # noqa: BLE001 - a damaged file is reported, not fatal
        logger.warning("Cannot read the Parquet footer of %s: %s", path, exc)
        return ParquetFooter(path, 0, 0, "", f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True, slots=True)
class PartitionParquet:
    """The Parquet files of one partition: how many, total rows, distinct schemas."""

    path: str
    files: int
    rows: int
    schemas: tuple[str, ...]  # distinct schemas, in first-seen order
    errors: tuple[str, ...] = ()  # files whose footer could not be read

    @property
    def schema(self) -> str | None:
        """The partition's schema when all its files agree, else None."""
        return self.schemas[0] if len(self.schemas) == 1 else None

    @property
    def consistent(self) -> bool:
        return len(self.schemas) <= 1

    def to_dict(self) -> dict:
        return {"path": self.path, "files": self.files, "rows": self.rows, "schemas": list(self.schemas),
                "consistent": self.consistent, "errors": list(self.errors)}


def parquet_summary(
    fs: fsspec.AbstractFileSystem,
    listing: Listing,
    partitions: str | Callable[[Mapping], bool] | None = None,
    max_workers: int = 4,
) -> dict[str, PartitionParquet]:
    """Per partition of ``listing`` (optionally only those matching ``partitions``): Parquet rows and schemas.

    Files ending in ``.parquet``/``.parq``/``.pq`` count; their footers are
    read in a pool of ``max_workers`` threads. Returns ``{partition path:
    PartitionParquet}`` in path order; partitions without Parquet files are left out.
    """
    _pyarrow_parquet()
    pred = compile_predicate(partitions) if partitions is not None else None
    backend, _ = unwrap(fs, "")
    jobs: list[tuple[str, str]] = []  # (partition, rel)
    for rel in sorted(listing.entries):
        if not rel.lower().endswith(PARQUET_SUFFIXES):
            continue
        part = partition_path(rel)
        if pred is not None and not pred(get_partitions_from_path(part, directory=True)):
            continue
        jobs.append((part, rel))
    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fsspeckit-parquet") as pool:
        footers = list(pool.map(lambda job: parquet_footer(backend, join_path(listing.root, job[1])), jobs))
    acc: dict[str, list] = {}
    for (part, _), footer in zip(jobs, footers):
        acc.setdefault(part, []).append(footer)
    out = {}
    for part, items in acc.items():
        good = [f for f in items if f.error is None]
        schemas = tuple(dict.fromkeys(f.schema for f in good))
        out[part] = PartitionParquet(part, len(items), sum(f.rows for f in good), schemas,
                                     tuple(f.path for f in items if f.error is not None))
    return out


@dataclass(frozen=True, slots=True)
class SchemaComparison:
    """One partition's Parquet data on both sides."""

    path: str
    src: PartitionParquet | None
    dst: PartitionParquet | None

    @property
    def schemas_differ(self) -> bool:
        """True when both sides hold Parquet files and their sets of schemas are not the same."""
        if self.src is None or self.dst is None:
            return False
        return set(self.src.schemas) != set(self.dst.schemas)

    @property
    def rows_differ(self) -> bool:
        return (self.src.rows if self.src else 0) != (self.dst.rows if self.dst else 0)

    def to_dict(self) -> dict:
        return {"path": self.path, "src": self.src.to_dict() if self.src else None,
                "dst": self.dst.to_dict() if self.dst else None,
                "schemas_differ": self.schemas_differ, "rows_differ": self.rows_differ}


def compare_parquet_schemas(
    src_fs: fsspec.AbstractFileSystem,
    src_listing: Listing,
    dst_fs: fsspec.AbstractFileSystem,
    dst_listing: Listing,
    partitions: str | Callable[[Mapping], bool] | None = None,
    max_workers: int = 4,
) -> dict[str, SchemaComparison]:
    """Per partition with Parquet files on either side: rows and schemas of both, and whether they differ."""
    src = parquet_summary(src_fs, src_listing, partitions, max_workers)
    dst = parquet_summary(dst_fs, dst_listing, partitions, max_workers)
    return {p: SchemaComparison(p, src.get(p), dst.get(p)) for p in sorted(src.keys() | dst.keys())}
