"""What is inside each partition of a listing: files, bytes and, read from footers, rows, row groups and schemas.

``summarize_layout`` groups a ``Listing`` by partition folder and, for Parquet
files, reads each footer with ranged reads in a bounded pool (never row data);
CSV and JSON-lines files get files and bytes, and line counts only when asked
(that reads them in full). Health findings live in ``layout_check``, the two
sides compared in ``layout_diff``.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, Mapping

import fsspec
from fsspec.implementations.local import LocalFileSystem
from fsspec.utils import infer_compression

from ..backends.filesystem import unwrap
from ..exceptions import SyncCancelled
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Listing, join_path
from .hive import HIVE_DEFAULT_PARTITION, get_partitions_from_path, partition_path, path_sort_key, value_sort_key
from .parquet import FOOTER_PROBE, ColumnStats, ParquetFooter, _pyarrow_parquet, is_parquet, read_footer
from .predicates import compile_predicate

logger = logging.getLogger(__name__)

__all__ = ["FileContents", "LayoutSummary", "PartitionContents", "SchemaInfo", "count_lines", "file_format",
           "merge_contents", "summarize_layout"]

_COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".zstd", ".lz4", ".snappy")
_FORMATS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json"}
#: Footers in flight at once per worker thread (bounds memory on very large layouts).
_QUEUE_PER_WORKER = 4


def file_format(path: str) -> str:
    """``"parquet"``, ``"csv"``, ``"json"`` (JSON or JSON lines) or ``"other"``, from the file name."""
    name = path.rsplit("/", 1)[-1].lower()
    if is_parquet(name):
        return "parquet"
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    dot = name.rfind(".")
    return _FORMATS.get(name[dot:], "other") if dot >= 0 else "other"


def count_lines(fs: fsspec.AbstractFileSystem, path: str, chunk: int = 1 << 20) -> int:
    """Lines in a text file (a last line without a newline counts), streamed; compressed files decompressed."""
    n = 0
    last = b"\n"
    with fs.open(path, "rb", compression=infer_compression(path)) as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            n += block.count(b"\n")
            last = block[-1:]
    return n + (0 if last == b"\n" else 1)


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """One distinct schema of the layout: its text, its top-level columns and how many files have it."""

    fingerprint: str
    text: str
    fields: tuple[tuple[str, str, bool], ...]
    files: int = 0

    def to_dict(self) -> dict:
        return {"fingerprint": self.fingerprint, "schema": self.text, "files": self.files,
                "columns": [{"name": n, "type": t, "nullable": nl} for n, t, nl in self.fields]}


@dataclass(frozen=True, slots=True)
class FileContents:
    """One file of a partition: size and, when read, what its footer (or its lines) said."""

    path: str
    size: int
    format: str
    rows: int | None = None
    row_groups: int = 0
    compressed_bytes: int = 0
    uncompressed_bytes: int = 0
    fingerprint: str | None = None
    lines: int | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "size": self.size, "format": self.format, "rows": self.rows,
                "row_groups": self.row_groups, "compressed_bytes": self.compressed_bytes,
                "uncompressed_bytes": self.uncompressed_bytes, "fingerprint": self.fingerprint,
                "lines": self.lines, "error": self.error}


def _add(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else a + b


def _merge_stats(a: Mapping[str, ColumnStats], b: Mapping[str, ColumnStats]) -> dict[str, ColumnStats]:
    out = dict(a)
    for k, v in b.items():
        out[k] = out[k].merge(v) if k in out else v
    return out


@dataclass(frozen=True)
class PartitionContents:
    """One partition folder (or, merged, one key's value): files, bytes and, when read, rows and schemas.

    ``rows`` is None until footers are read (or lines counted); ``schemas``
    holds the fingerprints of its Parquet files' schemas in first-seen order
    (look them up in ``LayoutSummary.schemas``); ``sizes`` the size of each file.
    """

    path: str
    values: Mapping[str, str | None]
    files: int = 0
    bytes: int = 0
    oldest: float | None = None
    newest: float | None = None
    formats: Mapping[str, int] = field(default_factory=dict)
    parquet_files: int = 0
    rows: int | None = None
    row_groups: int = 0
    compressed_bytes: int = 0
    uncompressed_bytes: int = 0
    schemas: tuple[str, ...] = ()
    stats: Mapping[str, ColumnStats] = field(default_factory=dict)
    lines: int | None = None
    errors: tuple[str, ...] = ()
    sizes: tuple[int, ...] = ()
    partitions: int = 1
    #: File paths relative to the partition folder, in the order of ``sizes``.
    names: tuple[str, ...] = ()

    @property
    def schema(self) -> str | None:
        """The one schema fingerprint when every Parquet file here agrees, else None."""
        return self.schemas[0] if len(self.schemas) == 1 else None

    def merge(self, other: "PartitionContents", path: str | None = None) -> "PartitionContents":
        return merge_contents([self, other], self.path if path is None else path)

    def to_dict(self, *, stats: bool = True) -> dict:
        d = {
            "path": self.path,
            "values": {k: v for k, v in self.values.items()},
            "files": self.files, "bytes": self.bytes,
            "oldest_iso": _iso(self.oldest), "newest_iso": _iso(self.newest),
            "formats": dict(self.formats), "parquet_files": self.parquet_files,
            "rows": self.rows, "row_groups": self.row_groups,
            "compressed_bytes": self.compressed_bytes, "uncompressed_bytes": self.uncompressed_bytes,
            "schemas": list(self.schemas), "lines": self.lines, "errors": list(self.errors),
            "partitions": self.partitions,
        }
        if stats:
            d["stats"] = {k: v.to_dict() for k, v in self.stats.items()}
        return d


def merge_contents(items: list[PartitionContents], path: str) -> PartitionContents:
    """Several partitions' contents added up (in one pass, so merging thousands stays linear)."""
    formats: dict[str, int] = {}
    stats: dict[str, ColumnStats] = {}
    fps: dict[str, None] = {}
    sizes: list[int] = []
    names: list[str] = []
    errors: list[str] = []
    files = nbytes = nparquet = row_groups = comp = uncomp = nparts = 0
    rows = lines = oldest = newest = None
    values = dict(items[0].values) if items else {}
    for p in items:
        files += p.files
        nbytes += p.bytes
        nparquet += p.parquet_files
        row_groups += p.row_groups
        comp += p.compressed_bytes
        uncomp += p.uncompressed_bytes
        nparts += p.partitions
        rows = _add(rows, p.rows)
        lines = _add(lines, p.lines)
        if p.oldest is not None and (oldest is None or p.oldest < oldest):
            oldest = p.oldest
        if p.newest is not None and (newest is None or p.newest > newest):
            newest = p.newest
        for k, v in p.formats.items():
            formats[k] = formats.get(k, 0) + v
        for k, v in p.stats.items():
            stats[k] = stats[k].merge(v) if k in stats else v
        fps.update(dict.fromkeys(p.schemas))
        sizes += p.sizes
        names += p.names
        errors += p.errors
        values = {k: v for k, v in values.items() if k in p.values and p.values[k] == v}
    return PartitionContents(path, values, files, nbytes, oldest, newest, formats, nparquet, rows, row_groups,
                             comp, uncomp, tuple(fps), stats, lines, tuple(errors), tuple(sizes), nparts,
                             tuple(names))


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, tz=timezone.utc).isoformat()


@dataclass(frozen=True)
class LayoutSummary:
    """A listing summarised per partition folder; built by ``summarize_layout``.

    ``partitions`` maps each partition folder (``""`` for files outside every
    partition) to its ``PartitionContents``, in value order; ``schemas`` maps
    fingerprints to ``SchemaInfo``; ``folders`` holds every folder seen
    (relative), ``empty_folders`` the partition folders that hold no file;
    ``files`` (only with ``keep_files=True``) each file's ``FileContents``.
    """

    root: str
    protocol: str
    partitions: Mapping[str, PartitionContents]
    schemas: Mapping[str, SchemaInfo] = field(default_factory=dict)
    folders: tuple[str, ...] = ()
    empty_folders: tuple[str, ...] = ()
    files: Mapping[str, FileContents] | None = None
    footers_read: bool = False
    lines_counted: bool = False
    scope: str | None = None
    #: The compiled ``partitions`` selection (None: every partition); gaps outside it are not gaps.
    selects: Callable[[Mapping], bool] | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.partitions)

    def __iter__(self) -> Iterator[str]:
        return iter(self.partitions)

    def __contains__(self, path: str) -> bool:
        return path in self.partitions

    @property
    def keys(self) -> list[str]:
        """Every partition key, ordered by the position it most often has along paths (then first met)."""
        seen: dict[str, Counter] = {}
        for p in self.partitions.values():
            for i, k in enumerate(p.values):
                seen.setdefault(k, Counter())[i] += 1
        first = {k: i for i, k in enumerate(seen)}
        return sorted(seen, key=lambda k: (seen[k].most_common(1)[0][0], first[k]))

    @property
    def total(self) -> PartitionContents:
        out = merge_contents(list(self.partitions.values()), "")
        return PartitionContents(**{**out.__dict__, "values": {}})

    def by_key(self) -> dict[str, dict[str | None, PartitionContents]]:
        """Per key, per value (in value order): the partitions holding that value, merged."""
        acc: dict[str, dict[str | None, list[PartitionContents]]] = {}
        for p in self.partitions.values():
            for k, v in p.values.items():
                acc.setdefault(k, {}).setdefault(v, []).append(p)
        out = {}
        for k in self.keys:
            per = acc[k]
            out[k] = {v: merge_contents(per[v], f"{k}={HIVE_DEFAULT_PARTITION if v is None else v}")
                      for v in sorted(per, key=value_sort_key)}
        return out

    def files_of(self, partitions: Iterable[str]) -> list[FileContents]:
        """The files of the given partition folders (needs ``keep_files=True``), in path order."""
        want = set(partitions)
        return [f for rel, f in (self.files or {}).items() if partition_path(rel) in want]

    def to_dict(self, *, stats: bool = True, files: bool = False) -> dict:
        d = {
            "root": self.root, "protocol": self.protocol, "scope": self.scope,
            "footers_read": self.footers_read, "lines_counted": self.lines_counted,
            "total": self.total.to_dict(stats=False),
            "partitions": [p.to_dict(stats=stats) for p in self.partitions.values()],
            "keys": {
                k: {(HIVE_DEFAULT_PARTITION if v is None else v): p.to_dict(stats=False) for v, p in per.items()}
                for k, per in self.by_key().items()
            },
            "schemas": {fp: s.to_dict() for fp, s in self.schemas.items()},
            "empty_folders": list(self.empty_folders),
        }
        if files and self.files is not None:
            d["files"] = [f.to_dict() for f in self.files.values()]
        return d


def _bounded_map(fn: Callable[[Any], Any], items: list, workers: int, cancel: threading.Event | None):
    """``fn`` over ``items`` on ``workers`` threads, results in input order, at most a few per worker queued."""
    workers = max(1, workers)
    limit = workers * _QUEUE_PER_WORKER
    with cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fsspeckit-layout") as pool:
        pending: list[cf.Future] = []
        it = iter(items)
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < limit:
                if cancel is not None and cancel.is_set():
                    for f in pending:
                        f.cancel()
                    raise SyncCancelled("Reading the layout was cancelled.")
                try:
                    item = next(it)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(fn, item))
            if pending:
                yield pending.pop(0).result()


def _walk_folders(backend, root: str) -> list[str]:
    """Every folder under a local ``root``, relative (object stores have no folders to walk)."""
    out = []
    for dirpath, dirnames, _ in os.walk(root):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if rel != ".":
            out.append(rel)
        dirnames.sort()
    return out


def summarize_layout(
    fs: fsspec.AbstractFileSystem,
    listing: Listing,
    *,
    parquet: bool = True,
    lines: bool = False,
    partitions: str | Callable[[Mapping], bool] | None = None,
    max_workers: int = DEFAULT_WORKERS,
    keep_files: bool = False,
    stats: bool = True,
    probe: int = FOOTER_PROBE,
    callback: fsspec.callbacks.Callback | None = None,
    cancel: threading.Event | None = None,
) -> LayoutSummary:
    """Summarise ``listing`` (made on ``fs``) per partition folder.

    Files and bytes come from the listing (no I/O). With ``parquet=True``
    (needs pyarrow) each Parquet file's footer is read with ranged reads on
    ``max_workers`` threads, at most a few footers per thread in flight, and
    gives rows, row groups, compressed and uncompressed bytes, the schema
    (fingerprint) and column min/max. With ``lines=True`` CSV and JSON files
    are read in full to count their lines. ``partitions`` (predicate text or
    callable) keeps only the partitions it selects; files outside every
    partition are then left out too. ``callback`` (fsspec ``Callback``) gets
    ``set_size`` with the number of files to read and ``relative_update(1)``
    per file; ``cancel`` stops at the next file (``SyncCancelled``).
    """
    if parquet:
        _pyarrow_parquet()
    pred = compile_predicate(partitions) if partitions is not None else None
    backend, _ = unwrap(fs, "")
    groups, folders, values_of = _group_by_partition(listing, pred)
    empty = _empty_partitions(backend, listing, pred, folders)
    wanted = ({"parquet"} if parquet else set()) | ({"csv", "json"} if lines else set())
    jobs = [rel for part in groups for rel in groups[part] if file_format(rel) in wanted]
    if callback is not None:
        callback.set_size(len(jobs))
    read_results, schemas = _read_contents(backend, listing, jobs, probe, stats, max_workers, callback, cancel)
    out: dict[str, PartitionContents] = {}
    files: dict[str, FileContents] | None = {} if keep_files else None
    for part in sorted(groups, key=path_sort_key):
        out[part] = _partition_contents(part, values_of[part], sorted(groups[part]), listing, read_results, files)
    scope = partitions if isinstance(partitions, str) else None
    return LayoutSummary(listing.root, listing.protocol, out, schemas, tuple(sorted(folders)), tuple(sorted(empty)),
                         files, parquet, lines, scope, pred)


def _group_by_partition(listing: Listing, pred) -> tuple[dict[str, list[str]], set[str], dict[str, dict]]:
    """The files of each partition folder the predicate keeps, every folder above them, and each folder's values."""
    groups: dict[str, list[str]] = {}
    folders: set[str] = set()
    values_of: dict[str, dict] = {}
    for rel in listing.entries:
        part = partition_path(rel)
        if part not in values_of:
            values_of[part] = get_partitions_from_path(part, directory=True)
        if pred is not None and not (values_of[part] and pred(dict(values_of[part]))):
            continue
        groups.setdefault(part, []).append(rel)
        head = rel.rsplit("/", 1)[0] if "/" in rel else ""
        while head and head not in folders:
            folders.add(head)
            head = head.rsplit("/", 1)[0] if "/" in head else ""
    return groups, folders, values_of


def _empty_partitions(backend, listing: Listing, pred, folders: set[str]) -> list[str]:
    """Partition folders with no file (walked on a disk, folder markers on an object store); adds them to ``folders``."""
    extra = _walk_folders(backend, listing.root) if isinstance(backend, LocalFileSystem) and listing.exists else []
    extra += [k.rstrip("/") for k, why in listing.skipped.items() if why.startswith("folder marker")]
    empty = []
    for rel in extra:
        if not rel or rel in folders:
            continue
        vals = get_partitions_from_path(rel, directory=True)
        if pred is not None and not (vals and pred(dict(vals))):
            continue
        folders.add(rel)
        if "=" in rel.rsplit("/", 1)[-1]:
            empty.append(rel)
    # Report the deepest empty folders: ``year=2024/month=01`` rather than also ``year=2024``.
    return [e for e in empty if not any(o.startswith(e + "/") for o in empty)]


def _read_contents(backend, listing: Listing, jobs: list[str], probe: int, stats: bool, max_workers: int,
                   callback, cancel) -> tuple[dict[str, Any], dict[str, SchemaInfo]]:
    """Read each job's Parquet footer or count its lines, on ``max_workers`` threads.

    Gives, per file, a tuple (rows, row groups, compressed, uncompressed, fingerprint,
    column stats, error) for Parquet, a line count, or an error text; and each schema once.
    """
    def read(rel: str) -> tuple[str, Any]:
        path = join_path(listing.root, rel)
        if file_format(rel) == "parquet":
            result: Any = read_footer(backend, path, listing.entries[rel].size, probe=probe, stats=stats)
        else:
            try:
                result = count_lines(backend, path)
            except Exception as exc:  # noqa: BLE001 - one unreadable file is reported, not fatal
                logger.warning("Cannot count the lines of %s: %s", path, exc)
                result = f"{type(exc).__name__}: {exc}"
        if callback is not None:
            callback.relative_update(1)
        return rel, result

    read_results: dict[str, Any] = {}
    schemas: dict[str, SchemaInfo] = {}
    for rel, result in _bounded_map(read, jobs, max_workers, cancel):
        if isinstance(result, ParquetFooter):
            if result.error is None:
                fp = result.fingerprint
                known = schemas.get(fp)
                schemas[fp] = SchemaInfo(fp, result.schema, result.fields, (known.files if known else 0) + 1)
                # Keep only what the summary needs; drop the schema text (held once in ``schemas``).
                read_results[rel] = (result.rows, result.row_groups, result.compressed_bytes,
                                     result.uncompressed_bytes, fp, result.stats, None)
            else:
                read_results[rel] = (None, 0, 0, 0, None, {}, result.error)
        else:
            read_results[rel] = result
    return read_results, schemas


def _partition_contents(part: str, values, rels: list[str], listing: Listing, read_results: dict[str, Any],
                        files: dict[str, FileContents] | None) -> PartitionContents:
    """One partition's totals from its files' listing entries and what was read of them (``files`` gets each file)."""
    formats: dict[str, int] = {}
    nbytes = nparquet = row_groups = comp = uncomp = 0
    rows = nlines = None
    oldest = newest = None
    fps: dict[str, None] = {}
    col_stats: dict[str, ColumnStats] = {}
    errors = []
    sizes = []
    for rel in rels:
        e = listing.entries[rel]
        fmt = file_format(rel)
        formats[fmt] = formats.get(fmt, 0) + 1
        nbytes += e.size
        sizes.append(e.size)
        if e.mtime is not None:
            oldest = e.mtime if oldest is None or e.mtime < oldest else oldest
            newest = e.mtime if newest is None or e.mtime > newest else newest
        fc = FileContents(rel, e.size, fmt)
        got = read_results.get(rel)
        if fmt == "parquet":
            nparquet += 1
            if isinstance(got, tuple):
                r, rg, c, u, fp, st, err = got
                if err is None:
                    rows = _add(rows, r)
                    row_groups += rg
                    comp += c
                    uncomp += u
                    fps[fp] = None
                    col_stats = _merge_stats(col_stats, st)
                else:
                    errors.append(rel)
                fc = FileContents(rel, e.size, fmt, r, rg, c, u, fp, None, err)
        elif isinstance(got, int):
            nlines = _add(nlines, got)
            fc = FileContents(rel, e.size, fmt, lines=got)
        elif isinstance(got, str):
            errors.append(rel)
            fc = FileContents(rel, e.size, fmt, error=got)
        if files is not None:
            files[rel] = fc
    return PartitionContents(part, values, len(rels), nbytes, oldest, newest, formats, nparquet, rows, row_groups,
                             comp, uncomp, tuple(fps), col_stats, nlines, tuple(errors), tuple(sizes), 1,
                             tuple(r[len(part) + 1:] if part else r for r in rels))
