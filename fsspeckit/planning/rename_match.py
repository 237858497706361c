"""Which new files are old ones moved or renamed (rclone's ``--track-renames``): pure matching.

A file new on the source matches a file only on the destination when both
have the same size and MD5 (or CRC32C), or, where no hash can decide, the
same size and the file's own time (a local disk's, or one stored in the
object's metadata; never an upload time). Only one-to-one matches count: a
file with two candidates, or a candidate claimed twice, is ambiguous.
"""

from __future__ import annotations

from collections import defaultdict

from ..model.entries import Entry
from .compare import LOCAL_WINDOW

__all__ = ["same_content", "match_moves"]


def _own_time(e: Entry) -> bool:
    """The entry's time is the file's own (local disk, or a stored time), not an upload time."""
    return e.stored or e.ctime is not None


def same_content(s: Entry, d: Entry) -> str | None:
    """Why ``s`` and ``d`` hold the same file (a reason), or None when that cannot be told."""
    if s.size != d.size:
        return None
    if s.md5 and d.md5:
        return "same size and MD5" if s.md5 == d.md5 else None
    if s.crc32c and d.crc32c:
        return "same size and CRC32C" if s.crc32c == d.crc32c else None
    if (_own_time(d) and s.mtime is not None and d.mtime is not None
            and abs(s.mtime - d.mtime) <= LOCAL_WINDOW):
        return "same size and modification time"
    return None


def _keys(e: Entry) -> list[tuple]:
    keys: list[tuple] = []
    if e.md5:
        keys.append(("md5", e.size, e.md5))
    if e.crc32c:
        keys.append(("crc", e.size, e.crc32c))
    if e.mtime is not None:
        slot = round(e.mtime / LOCAL_WINDOW)
        keys.extend(("t", e.size, slot + k) for k in (-1, 0, 1))
    return keys


def match_moves(new: dict[str, Entry], gone: dict[str, Entry]) -> dict[str, tuple[str, str]]:
    """``{new path: (old path, why)}`` for every one-to-one match of a new file with a gone one."""
    index: dict[tuple, list[str]] = defaultdict(list)
    for path, d in gone.items():
        for key in _keys(d):
            if key[0] != "t" or _own_time(d):
                index[key].append(path)
    matches: dict[str, list[tuple[str, str]]] = {}
    claimed: dict[str, int] = defaultdict(int)
    for path, s in new.items():
        found = {g for key in _keys(s) for g in index.get(key, ())}
        hits = [(g, why) for g in sorted(found) if (why := same_content(s, gone[g]))]
        if hits:
            matches[path] = hits
            for g, _ in hits:
                claimed[g] += 1
    return {path: hits[0] for path, hits in matches.items()
            if len(hits) == 1 and claimed[hits[0][0]] == 1}  # else ambiguous: a copy and a delete
