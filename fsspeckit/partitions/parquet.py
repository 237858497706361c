"""Parquet footers, read with ranged reads only (optional pyarrow): rows, row groups, bytes, schema, statistics.

``read_footer`` fetches the last few KiB of one file (a second ranged read when
the footer is longer) and parses the footer alone, so no data page is ever
read; ``parquet_summary`` and ``compare_parquet_schemas`` are the older per-
partition views (rows and schemas), built on it. Layout-wide summaries live in
``fsspeckit.partitions.layout``.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as _dt
import hashlib
import logging
import struct
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping

import fsspec

from ..backends.filesystem import unwrap
from ..exceptions import ParquetFooterError
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Listing, join_path
from .hive import get_partitions_from_path, partition_path
from .predicates import compile_predicate

logger = logging.getLogger(__name__)

__all__ = ["ColumnStats", "ParquetFooter", "PartitionParquet", "SchemaComparison", "compare_parquet_schemas",
           "is_parquet", "parquet_footer", "parquet_summary", "read_footer", "schema_fingerprint"]

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
MAGIC = b"PAR1"
#: The first ranged read takes this many bytes from the end of a file; most footers fit.
FOOTER_PROBE = 8 * 1024
#: A footer claiming more than this is refused as damaged (pyarrow's own default limit is 1 GiB of thrift).
MAX_FOOTER = 64 * 1024 * 1024


def is_parquet(path: str) -> bool:
    """True for names ending in ``.parquet``, ``.parq`` or ``.pq`` (any case)."""
    return path.lower().endswith(PARQUET_SUFFIXES)


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(
            "Parquet summaries need pyarrow, which is not installed: pip install 'fsspeckit[parquet]' (or pyarrow)."
        ) from exc
    return pq


def schema_fingerprint(schema: str) -> str:
    """A short, stable fingerprint (8 hex digits) of a schema's text."""
    return hashlib.blake2b(schema.encode(), digest_size=4).hexdigest()


@dataclass(frozen=True, slots=True)
class ColumnStats:
    """Min/max of one column over row groups (and files), from footer statistics; nulls counted."""

    min: Any = None
    max: Any = None
    nulls: int = 0
    #: False once a row group without min/max (or values that do not compare) was merged in.
    complete: bool = True

    def merge(self, other: "ColumnStats") -> "ColumnStats":
        try:
            lo = other.min if self.min is None else self.min if other.min is None else min(self.min, other.min)
            hi = other.max if self.max is None else self.max if other.max is None else max(self.max, other.max)
            complete = self.complete and other.complete
        except TypeError:  # a column retyped between files: int vs str
            lo = hi = None
            complete = False
        return ColumnStats(lo, hi, self.nulls + other.nulls, complete)

    def to_dict(self) -> dict:
        return {"min": plain(self.min), "max": plain(self.max), "nulls": self.nulls, "complete": self.complete}


def plain(value: Any) -> Any:
    """A statistics value as JSON can hold it: dates ISO, decimals and bytes as text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + bytes(value[:32]).hex() + ("…" if len(value) > 32 else "")
    return str(value)


@dataclass(frozen=True, slots=True)
class ParquetFooter:
    """What one Parquet file's footer says.

    ``schema`` is the Arrow schema as text (no metadata), ``fields`` its
    top-level columns as ``(name, type, nullable)``; ``compressed_bytes`` and
    ``uncompressed_bytes`` add up the column chunks; ``stats`` holds the
    min/max of the columns whose footer has them. ``footer_bytes`` is what was
    fetched. ``error`` is set (and the figures are zero) when the footer could
    not be read.
    """

    path: str
    rows: int
    row_groups: int
    schema: str
    error: str | None = None
    compressed_bytes: int = 0
    uncompressed_bytes: int = 0
    fields: tuple[tuple[str, str, bool], ...] = ()
    stats: Mapping[str, ColumnStats] = field(default_factory=dict)
    footer_bytes: int = 0

    @property
    def fingerprint(self) -> str | None:
        return schema_fingerprint(self.schema) if self.error is None else None

    def to_dict(self) -> dict:
        return {"path": self.path, "rows": self.rows, "row_groups": self.row_groups,
                "compressed_bytes": self.compressed_bytes, "uncompressed_bytes": self.uncompressed_bytes,
                "schema": self.schema, "fingerprint": self.fingerprint,
                "stats": {k: v.to_dict() for k, v in self.stats.items()}, "error": self.error}


def _fetch_footer(fs: fsspec.AbstractFileSystem, path: str, size: int | None, probe: int) -> bytes:
    """``PAR1`` + footer + length + ``PAR1``: the footer as a file pyarrow can open, fetched by ranges."""
    if size is None:
        size = int(fs.size(path))
    if size < 12:
        raise ParquetFooterError(f"{size} bytes is too short for a Parquet file")
    n = min(size, max(12, probe))
    tail = fs.cat_file(path, start=size - n, end=size)
    if tail[-4:] != MAGIC:
        raise ParquetFooterError("not a Parquet file (no PAR1 marker at its end)")
    length = struct.unpack("<I", tail[-8:-4])[0]
    if length + 12 > size or length > MAX_FOOTER:
        raise ParquetFooterError(f"damaged footer (it claims {length} bytes in a file of {size})")
    if length + 8 > len(tail):
        head = fs.cat_file(path, start=size - 8 - length, end=size - len(tail))
        tail = head + tail
    return MAGIC + tail[-8 - length:]


def _column_stats(meta) -> dict[str, ColumnStats]:
    out: dict[str, ColumnStats] = {}
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        for j in range(rg.num_columns):
            col = rg.column(j)
            name = col.path_in_schema
            st = col.statistics
            if st is None:
                cs = ColumnStats(complete=False)
            else:
                nulls = st.null_count if st.has_null_count else 0
                if st.has_min_max:
                    try:
                        cs = ColumnStats(st.min, st.max, nulls or 0)
                    except Exception:  # noqa: BLE001 - a logical type pyarrow cannot turn into Python
                        cs = ColumnStats(nulls=nulls or 0, complete=False)
                else:
                    cs = ColumnStats(nulls=nulls or 0, complete=False)
            out[name] = out[name].merge(cs) if name in out else cs
    return out


def read_footer(fs: fsspec.AbstractFileSystem, path: str, size: int | None = None, *,
                probe: int = FOOTER_PROBE, stats: bool = True) -> ParquetFooter:
    """Read one Parquet file's footer with one or two ranged reads; never raises for a bad file.

    ``size`` (from a listing) saves a metadata request. The first read takes
    the last ``probe`` bytes; a longer footer costs one more read of exactly
    what is missing. A file that is not Parquet, truncated or damaged gives a
    ``ParquetFooter`` with ``error`` set.
    """
    pq = _pyarrow_parquet()
    import pyarrow as pa

    try:
        blob = _fetch_footer(fs, path, size, probe)
        pf = pq.ParquetFile(pa.BufferReader(blob))
        meta = pf.metadata
        arrow = pf.schema_arrow
        schema = arrow.to_string(show_schema_metadata=False, show_field_metadata=False)
        fields = tuple((f.name, str(f.type), bool(f.nullable)) for f in arrow)
        comp = uncomp = 0
        for i in range(meta.num_row_groups):
            rg = meta.row_group(i)
            for j in range(rg.num_columns):
                col = rg.column(j)
                comp += col.total_compressed_size
                uncomp += col.total_uncompressed_size
        return ParquetFooter(path, meta.num_rows, meta.num_row_groups, schema, None, comp, uncomp, fields,
                             _column_stats(meta) if stats else {}, len(blob) - 4)
    except Exception as exc:  # noqa: BLE001 - a damaged file is reported, not fatal
        text = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        logger.warning("Cannot read the Parquet footer of %s: %s", path, text)
        return ParquetFooter(path, 0, 0, "", text)


def parquet_footer(fs: fsspec.AbstractFileSystem, path: str) -> ParquetFooter:
    """Read one file's footer (ranged reads of its tail only); see ``read_footer``."""
    backend, bpath = unwrap(fs, path)
    return read_footer(backend, bpath)


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
    max_workers: int = DEFAULT_WORKERS,
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
        if not is_parquet(rel):
            continue
        part = partition_path(rel)
        if pred is not None and not pred(get_partitions_from_path(part, directory=True)):
            continue
        jobs.append((part, rel))

    def read(job: tuple[str, str]) -> ParquetFooter:
        return read_footer(backend, join_path(listing.root, job[1]), listing.entries[job[1]].size, stats=False)

    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fsspeckit-parquet") as pool:
        footers = list(pool.map(read, jobs))
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
    max_workers: int = DEFAULT_WORKERS,
) -> dict[str, SchemaComparison]:
    """Per partition with Parquet files on either side: rows and schemas of both, and whether they differ."""
    src = parquet_summary(src_fs, src_listing, partitions, max_workers)
    dst = parquet_summary(dst_fs, dst_listing, partitions, max_workers)
    return {p: SchemaComparison(p, src.get(p), dst.get(p)) for p in sorted(src.keys() | dst.keys())}
