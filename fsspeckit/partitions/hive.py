"""Hive partitions: parse ``key=value`` path segments, index a listing by partition.

``get_partitions_from_path`` follows pyarrow's ``HivePartitioning`` rules;
``partition_index`` summarises a ``Listing`` per partition folder and per
key/value (no I/O). ``planning.partition_diff`` compares the partitions of two
listings. Selection lives in ``predicates``; scoped sync and retention in
``verbs.partition_ops``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PureWindowsPath
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import unquote

from ..exceptions import OptionTypeError
from ..model.entries import Entry, Listing
from .predicates import as_number  # noqa: F401 - re-exported (it was defined here)
from .predicates import compile_predicate as _compile_predicate

logger = logging.getLogger(__name__)


__all__ = [
    "HIVE_DEFAULT_PARTITION",
    "PartitionIndex",
    "PartitionStats",
    "as_date",
    "compile_predicate",
    "get_partitions_from_path",
    "partition_index",
    "partition_path",
    "path_sort_key",
    "value_sort_key",
]

#: The folder value hive (and pyarrow) write for a null partition value.
HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"

# A last path segment "looks like a file" when it ends in an extension that
# starts with a letter (".parquet", ".csv", ".gz", ".v2"), so "score=1.5" and
# "v=1.2" stay partitions while "part=0.parquet" is a file name.
_FILE_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9_-]{0,15}$")
# "s3://", "gs://", "file://", "simplecache::s3://" (a URL scheme, RFC 3986; chained with "::").
_PROTOCOL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*::)*[A-Za-z][A-Za-z0-9+.-]*://")


def _strip_protocol(path: str) -> str:
    m = _PROTOCOL.match(path)
    return path[m.end():] if m else path


def _decode(value: str) -> str | None:
    try:
        text = unquote(value, errors="strict")
    except UnicodeDecodeError:
        # pyarrow rejects such a segment; a listing must not fail on one odd name,
        # so the value is kept as written.
        text = value
    return None if text == HIVE_DEFAULT_PARTITION else text


def _folder_segments(path: str, directory: bool | None) -> list[str]:
    """The folder segments of ``path`` (the file name, if any, dropped)."""
    path = _strip_protocol(path)
    trailing = path.endswith("/")
    parts = [p for p in path.split("/") if p]
    if not parts or trailing or directory is True:
        return parts
    if directory is False:
        return parts[:-1]
    last = parts[-1]
    if "=" in last and not _FILE_EXTENSION.search(last):
        return parts  # "data/year=2023/month=01" as find(..., directories=True) gives it
    return parts[:-1]


_DEFAULT = object()
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def _as_text(path) -> str:
    """A path as ``/``-separated text: ``pathlib`` paths and Windows paths accepted."""
    if isinstance(path, PureWindowsPath):
        return path.as_posix()
    if isinstance(path, os.PathLike):
        path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if not isinstance(path, str):
        raise OptionTypeError(f"get_partitions_from_path needs a path (str or pathlib.Path), not {type(path).__name__}.")
    if "\\" in path and (_WINDOWS_DRIVE.match(path) or "/" not in path):
        # A Windows path ("C:\\data\\year=2023\\f.parquet", or backslashes only): its separators.
        path = path.replace("\\", "/")
    return path


def get_partitions_from_path(path, partitioning=_DEFAULT, *, directory: bool | None = None):
    """The hive partitions in a path, in path order.

    ``"data/year=2023/month=01/day=15/file.parquet"`` gives
    ``{"year": "2023", "month": "01", "day": "15"}``. As in pyarrow's
    ``HivePartitioning``: a segment ``key=value`` is split on the first ``=``,
    the value is URI-decoded and kept as a string, ``__HIVE_DEFAULT_PARTITION__``
    gives ``None``, segments without ``=`` are ignored, and a repeated key keeps
    its first value. A protocol prefix (``s3://``) and trailing or doubled
    slashes are ignored; a ``pathlib`` path and a Windows path (a drive letter,
    or backslashes and no ``/``) are read with their own separators.

    The last segment is a file name when ``directory=False``, a folder when
    ``directory=True`` or the path ends with ``/``. By default (``None``) it is
    a folder when it holds ``=`` and does not end in a file extension (a dot and
    a letter: ``.parquet``), so ``"data/year=2023/month=01"`` gives both keys
    while ``"data/x=1.csv"`` gives none. A value whose escapes do not decode to
    UTF-8 is kept as written (pyarrow raises there).

    ``partitioning`` (second argument) gives fsspeckit 0.25's list of
    ``(key, value)`` tuples instead of the dict: ``"hive"`` reads ``key=value``
    folders (decoded as above), another name labels the last folder, a list of
    names labels the last folders, and ``None`` gives ``[]``.
    """
    text = _as_text(path)
    folders = _folder_segments(text, directory)
    if partitioning is _DEFAULT:
        out: dict[str, str | None] = {}
        for seg in folders:
            key, sep, value = seg.partition("=")
            if sep and key not in out:
                out[key] = _decode(value)
        return out
    if partitioning is None:
        return []
    if partitioning == "hive":
        pairs = []
        for seg in folders:
            key, sep, value = seg.partition("=")
            if sep:
                pairs.append((key, _decode(value)))
        return pairs
    if isinstance(partitioning, str):
        return [(partitioning, _decode(folders[-1]))] if folders else []
    if isinstance(partitioning, (list, tuple)) and all(isinstance(n, str) for n in partitioning):
        if not partitioning:
            return []
        tail = folders[-len(partitioning):]
        return [(name, _decode(value)) for name, value in zip(partitioning, tail)]
    raise OptionTypeError("partitioning must be 'hive', a column name, a list of column names or None, "
                    f"not {partitioning!r}.")


def partition_path(path: str) -> str:
    """The partition folder of a file's relative path: its folders up to the last ``key=value`` one.

    ``"year=2023/month=01/_tmp/f.parquet"`` → ``"year=2023/month=01"``; a file
    outside every partition folder → ``""``.
    """
    parts = [p for p in path.split("/") if p][:-1]
    end = 0
    for i, seg in enumerate(parts):
        if "=" in seg:
            end = i + 1
    return "/".join(parts[:end])


# --- ordering of values ------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2})(?::(\d{2})(?::(\d{2}))?)?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def as_date(value: str | None) -> datetime | None:
    """The value as a date(time) when it is an ISO date (``2023-01-15[T10:00]``) or ``20230115``."""
    if value is None:
        return None
    m = _ISO_DATE.fullmatch(value.strip()) or _COMPACT_DATE.fullmatch(value.strip())
    if not m:
        return None
    nums = [int(g) if g else 0 for g in m.groups()]
    nums += [0] * (6 - len(nums))
    try:
        return datetime(*nums[:6])
    except ValueError:
        return None


def value_sort_key(value: str | None) -> tuple:
    """A total order on partition values: nulls, then dates by date, numbers by value, then text.

    ``"9" < "10"``, ``"2023-1-5" < "2023-01-15"``, ``"20230115"`` is a date.
    """
    if value is None:
        return (0,)
    when = as_date(value)
    if when is not None:
        return (1, when, value)
    num = as_number(value)
    if num is not None:
        return (2, num, value)
    return (3, value)


# --- the index ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartitionStats:
    """Files, bytes and modification range of one partition (or of one key's value)."""

    files: int = 0
    bytes: int = 0
    oldest: float | None = None  # mtime, seconds since the epoch (UTC)
    newest: float | None = None
    partitions: int = 1  # partition folders aggregated here (1 for a single folder)

    @property
    def oldest_modified(self) -> datetime | None:
        return None if self.oldest is None else datetime.fromtimestamp(self.oldest, tz=timezone.utc)

    @property
    def newest_modified(self) -> datetime | None:
        return None if self.newest is None else datetime.fromtimestamp(self.newest, tz=timezone.utc)

    def merge(self, other: "PartitionStats") -> "PartitionStats":
        return PartitionStats(
            self.files + other.files,
            self.bytes + other.bytes,
            _min(self.oldest, other.oldest),
            _max(self.newest, other.newest),
            self.partitions + other.partitions,
        )

    def to_dict(self) -> dict:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "oldest": self.oldest,
            "newest": self.newest,
            "oldest_iso": _iso(self.oldest),
            "newest_iso": _iso(self.newest),
            "partitions": self.partitions,
        }


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def _iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, tz=timezone.utc).isoformat()


def _stats_of(entries: Iterable[Entry]) -> PartitionStats:
    files = nbytes = 0
    oldest = newest = None
    for e in entries:
        files += 1
        nbytes += e.size
        if e.mtime is not None:
            oldest = e.mtime if oldest is None or e.mtime < oldest else oldest
            newest = e.mtime if newest is None or e.mtime > newest else newest
    return PartitionStats(files, nbytes, oldest, newest, 1)


@dataclass(frozen=True)
class PartitionIndex:
    """A listing summarised by partition folder; built by ``partition_index``.

    ``partitions`` maps each partition folder (relative path of its ``key=value``
    chain, ``""`` for files outside every partition) to its ``PartitionStats``;
    ``values`` maps it to its partition dict.
    """

    partitions: Mapping[str, PartitionStats]
    values: Mapping[str, Mapping[str, str | None]]
    root: str = ""

    def __len__(self) -> int:
        return len(self.partitions)

    def __contains__(self, path: str) -> bool:
        return path in self.partitions

    def __iter__(self):
        return iter(self.partitions)

    @property
    def keys(self) -> list[str]:
        """Every partition key, in the order first met along paths."""
        seen: dict[str, None] = {}
        for vals in self.values.values():
            for k in vals:
                seen.setdefault(k, None)
        return list(seen)

    @property
    def total(self) -> PartitionStats:
        out = PartitionStats(partitions=0)
        for s in self.partitions.values():
            out = out.merge(s)
        return out

    def by_key(self) -> dict[str, dict[str | None, PartitionStats]]:
        """Per key, per value: the partitions holding that value, merged.

        ``{"year": {"2023": PartitionStats(...), ...}, "month": {"01": ...}}``;
        values are in ``value_sort_key`` order (``"9"`` before ``"10"``).
        """
        acc: dict[str, dict[str | None, PartitionStats]] = {}
        for path, stats in self.partitions.items():
            for k, v in self.values[path].items():
                per = acc.setdefault(k, {})
                per[v] = per[v].merge(stats) if v in per else stats
        return {k: dict(sorted(per.items(), key=lambda kv: value_sort_key(kv[0]))) for k, per in acc.items()}

    def select(self, predicate: str | Callable[[dict], bool]) -> "PartitionIndex":
        """The partitions whose partition dict satisfies ``predicate`` (text or callable)."""
        pred = compile_predicate(predicate)
        keep = {p for p, vals in self.values.items() if vals and pred(dict(vals))}
        return PartitionIndex({p: s for p, s in self.partitions.items() if p in keep},
                              {p: v for p, v in self.values.items() if p in keep}, self.root)

    def to_dict(self) -> dict:
        return {
            "root": self.root,
            "total": self.total.to_dict(),
            "partitions": [
                {"path": p, "values": {k: v for k, v in self.values[p].items()}, **s.to_dict()}
                for p, s in self.partitions.items()
            ],
            "keys": {
                k: {(HIVE_DEFAULT_PARTITION if v is None else v): s.to_dict() for v, s in per.items()}
                for k, per in self.by_key().items()
            },
        }


def partition_index(listing: Listing | Mapping[str, Entry]) -> PartitionIndex:
    """Summarise a listing by partition folder: file count, bytes, oldest and newest mtime. No I/O."""
    entries = listing.entries if isinstance(listing, Listing) else listing
    groups: dict[str, list[Entry]] = {}
    for rel, entry in entries.items():
        groups.setdefault(partition_path(rel), []).append(entry)
    order = sorted(groups, key=path_sort_key)
    parts = {p: _stats_of(groups[p]) for p in order}
    values = {p: get_partitions_from_path(p, directory=True) for p in order}
    return PartitionIndex(parts, values, listing.root if isinstance(listing, Listing) else "")


def path_sort_key(path: str) -> tuple:
    out = []
    for seg in path.split("/"):
        key, sep, value = seg.partition("=")
        out.append((key, value_sort_key(_decode(value))) if sep else (seg, ()))
    return tuple(out)


def compile_predicate(predicate: Any) -> Callable[[dict], bool]:
    """A callable on a partition dict from predicate text (see ``fsspeckit.partitions.predicates``); callables pass through."""
    return _compile_predicate(predicate)
