"""Path filters: include/exclude globs and partition predicates as one test on relative paths."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .plan import SyncOptions

__all__ = ["path_filter"]


def _glob_to_regex(patterns: tuple[str, ...]) -> re.Pattern | None:
    """Compile globs: a pattern with '/' matches the whole relative path,
    one without matches any path segment or the file name (like rsync/rclone);
    ``**`` crosses folders."""
    if not patterns:
        return None
    parts = []
    for pat in patterns:
        anchored = "/" in pat.strip("/") or pat.startswith("/")
        body = _translate_glob(pat.strip("/"))
        if anchored:
            parts.append(f"(?:{body})(?:/.*)?")
        else:
            parts.append(f"(?:.*/)?(?:{body})(?:/.*)?")
    return re.compile("^(?:" + "|".join(parts) + ")$", re.DOTALL)


def _translate_glob(pat: str) -> str:
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pat.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                inner = pat[i + 1:j]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def path_filter(options: SyncOptions, partition_filter: Callable[[dict], bool] | None = None) -> Callable[[str], bool] | None:
    """A predicate on relative paths from include/exclude globs and a partition filter."""
    inc = _glob_to_regex(options.include)
    exc = _glob_to_regex(options.exclude)
    part = partition_filter
    if part is None and options.partitions:
        from .partitions import compile_predicate

        part = compile_predicate(options.partitions)
    if inc is None and exc is None and part is None:
        return None
    if part is not None:
        from .partitions import get_partitions_from_path

    def keep(path: str) -> bool:
        if inc is not None and not inc.match(path):
            return False
        if exc is not None and exc.match(path):
            return False
        if part is not None:
            parts = get_partitions_from_path(path)
            if not part(parts):
                return False
        return True

    return keep


def partition_scope(predicate: str, *path_lists) -> tuple[frozenset[str], list[str], int]:
    """What a partition predicate can select among the given relative paths.

    Returns (keys the predicate names that no path has, the keys the paths
    have, sorted, how many of the paths it selects).
    """
    from .partitions import compile_predicate, get_partitions_from_path

    pred = compile_predicate(predicate)
    known: set[str] = set()
    matched = 0
    for paths in path_lists:
        for path in paths:
            parts = get_partitions_from_path(path)
            known.update(parts)
            if pred(parts):
                matched += 1
    named = getattr(pred, "keys", frozenset())
    return frozenset(named - known), sorted(known), matched


def check_partition_scope(predicate: str | None, src_paths, dst_paths) -> int | None:
    """Refuse a predicate naming keys no path has; return how many source paths it selects.

    Raises ``PredicateError`` naming the missing keys and the keys that exist,
    before anything is hashed or written. ``None`` without a text predicate or
    without any file on either side.
    """
    if not isinstance(predicate, str) or not predicate.strip():
        return None
    from .exceptions import PredicateError

    src_paths, dst_paths = list(src_paths), list(dst_paths)
    if not src_paths and not dst_paths:
        return None
    missing, known, _ = partition_scope(predicate, src_paths, dst_paths)
    if missing:
        names = ", ".join(sorted(missing))
        there = (f"the keys there are: {', '.join(known)}" if known
                 else "no path there holds a key=value folder")
        raise PredicateError(f"the partition predicate {predicate!r} names {names}, which no path of the source "
                             f"or destination has; {there}.")
    return partition_scope(predicate, src_paths)[2]
