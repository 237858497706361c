"""Path filters: include/exclude globs and partition predicates as one test on relative paths."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable

from .partitions import compile_predicate, get_partitions_from_path

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
        part = compile_predicate(options.partitions)
    if inc is None and exc is None and part is None:
        return None

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
