"""Operations on hive-partitioned trees: partition-scoped sync and retention.

``sync_partitions`` syncs only the selected partitions (one listing per side)
and never touches files outside them; ``cleanup_old_partitions`` keeps the N
most recent values of a partition key and removes the older folders.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping, Sequence

import fsspec
from fsspec.implementations.local import LocalFileSystem

from ..backends.filesystem import unwrap
from ..backends.local import prune_emptied_folders
from ..exceptions import OptionError, OptionTypeError
from ..model.entries import join_path, rel_key
from ..model.result import SyncResult
from ..partitions.hive import get_partitions_from_path, value_sort_key
from ..partitions.predicates import compile_predicate
from .sync import sync_dir

logger = logging.getLogger(__name__)

__all__ = ["cleanup_old_partitions", "partition_scope", "retention_plan", "sync_partitions"]


def partition_scope(partition_filter=None, base_path: str = "") -> Callable[[Mapping[str, Any]], bool]:
    """The partition filter ``sync_partitions`` uses, for ``plan_sync(..., partitions=...)``.

    A path is in scope when it lies inside at least one partition folder (the
    partitions of ``base_path`` itself count) and the merged partition dict
    satisfies ``partition_filter`` (predicate text, a callable, or None for all).
    Files outside every partition (``_SUCCESS`` at the root) are out of scope.
    """
    pred = compile_predicate(partition_filter)
    above = get_partitions_from_path(base_path, directory=True) if base_path else {}

    def in_scope(parts: Mapping[str, Any]) -> bool:
        merged = {**above, **parts} if above else parts
        return bool(merged) and bool(pred(dict(merged)))

    in_scope.__doc__ = f"in scope of partition filter {partition_filter!r} under {base_path!r}"
    return in_scope


def sync_partitions(
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    base_path: str = "",
    partition_filter=None,
    dst_path: str | None = None,
    **sync_kwargs,
) -> SyncResult:
    """Sync the selected partitions of ``base_path`` to ``dst_path`` (default: ``base_path``).

    ``partition_filter`` is predicate text (``"year>=2023 and month in (01, 02)"``,
    see ``fsspeckit.partitions.predicates``) or a callable on the partition dict, as in the
    seed recipe; None selects every partition. Each side is listed once; the
    plan copies, updates and (with ``delete=True``, the default) deletes files
    inside the selected partitions only: files in other partitions, or outside
    every partition folder, are skipped on both sides and never deleted. Other
    keyword arguments go to ``sync_dir`` (``dry_run``, ``compare``,
    ``max_delete``, ``include``...). Returns the ``SyncResult``.
    """
    if "partitions" in sync_kwargs or "partition_filter" in sync_kwargs:
        raise OptionTypeError("sync_partitions takes the partition selection as partition_filter, not partitions=.")
    scope = partition_scope(partition_filter, base_path)
    return sync_dir(src_fs, dst_fs, base_path, base_path if dst_path is None else dst_path,
                    partitions=scope, **sync_kwargs)


# --- retention ---------------------------------------------------------------


def retention_plan(
    names: Sequence[str],
    base_path: str,
    partition_key: str,
    keep_count: int,
    per: Sequence[str] = (),
) -> list[str]:
    """The folders ``cleanup_old_partitions`` would delete, relative to ``base_path``. No I/O.

    ``names`` are paths of files and/or folders under ``base_path`` (as the
    backend's ``find`` gives them). Each folder ending in a
    ``partition_key=value`` segment is ranked by the tuple of partition values
    along its path up to and including that key (so ``year=2023/month=02``
    ranks by ``(2023, 02)``), values ordered by ``value_sort_key`` (dates by
    date, numbers by value, else text). The ``keep_count`` highest tuples stay;
    the folders of older tuples are returned, sorted. Keys in ``per`` (e.g.
    ``("region",)``) split the ranking into groups that each keep
    ``keep_count``. Folders with a null value on the way are never deleted.
    """
    if keep_count < 0:
        raise OptionError(f"keep_count must be 0 or more, not {keep_count}.")
    root = base_path.rstrip("/")
    per = tuple(per)
    folders: dict[str, tuple] = {}  # relative folder -> (group, rank tuple)
    for name in names:
        rel = rel_key(root, name.rstrip("/")) if root else name.strip("/")
        if rel.startswith("../") or rel in ("", "."):
            continue
        segments = rel.split("/")
        values: list[tuple[str, str | None]] = []
        for i, seg in enumerate(segments):
            key, sep, _ = seg.partition("=")
            if not sep:
                continue
            values.append((key, get_partitions_from_path(seg, directory=True)[key]))
            if key != partition_key:
                continue
            folder = "/".join(segments[: i + 1])
            if folder not in folders and all(v is not None for _, v in values):
                group = tuple(v for k, v in values if k in per)
                rank = tuple(value_sort_key(v) for k, v in values if k not in per)
                folders[folder] = (group, rank)
            break
    groups: dict[tuple, set[tuple]] = {}
    for group, rank in folders.values():
        groups.setdefault(group, set()).add(rank)
    kept = {g: set(sorted(ranks, reverse=True)[:keep_count]) for g, ranks in groups.items()}
    return sorted(f for f, (g, r) in folders.items() if r not in kept[g])


def cleanup_old_partitions(
    fs: fsspec.AbstractFileSystem,
    base_path: str,
    partition_key: str,
    keep_count: int,
    dry_run: bool = False,
    *,
    per: Sequence[str] = (),
) -> list[str]:
    """Keep the ``keep_count`` most recent values of ``partition_key`` under ``base_path``; delete older folders.

    One listing (``find`` with folders), then one recursive ``rm`` of the old
    folders. Nested keys rank by the values above them too:
    ``cleanup_old_partitions(fs, "/data/", "month", 12)`` over
    ``year=*/month=*`` keeps the last 12 months across years. Returns the
    folders deleted, as ``base_path`` joined with the folder
    (``"/data/year=2022/month=01"``), or with ``dry_run=True`` the same list
    with nothing deleted. On a local disk, parent folders the deletion left
    empty are removed too (never ``base_path`` itself). See
    ``retention_plan`` for the ordering and ``per``.
    """
    backend, root = unwrap(fs, base_path)
    try:
        names = backend.find(root, withdirs=True)
    except FileNotFoundError:
        names = []
    doomed = retention_plan(names, root, partition_key, keep_count, per=per)
    base = base_path.rstrip("/")
    shown = [f"{base}/{rel}" if base else rel for rel in doomed]
    if dry_run or not doomed:
        return shown
    logger.info("Deleting %d old partition folders under %s (%s, keep %d)", len(doomed), base_path, partition_key, keep_count)
    backend.rm([join_path(root, rel) for rel in doomed], recursive=True)
    if isinstance(backend, LocalFileSystem):
        # Object stores have no folders; on a disk, ``year=2022/`` emptied of its months goes too.
        prune_emptied_folders(root, doomed)
    return shown
