"""Comparison of one path present on both sides: identical, changed, or a conflict.

Pure functions on two listing entries. They know what time means on each
store: a local copy is dated like its source, an object store dates an object
by its upload (to the second), and MD5/CRC32C decide wherever both sides have one.
"""

from __future__ import annotations

from typing import Literal

from ..exceptions import OptionError
from ..model.entries import Entry

__all__ = ["COMPARE_MODES", "Category", "LOCAL_WINDOW", "UPLOAD_WINDOW", "compare_entries", "needs_hash",
           "normalize_compare"]

#: How two versions of a file are compared (``SyncOptions.compare``).
COMPARE_MODES = ("size_mtime", "size", "checksum", "always")
_COMPARE_ALIASES = {"size+mtime": "size_mtime", "mtime": "size_mtime", "default": "size_mtime", "hash": "checksum",
                    "md5": "checksum"}


def normalize_compare(mode: str) -> str:
    """A compare mode by its name or an alias (``md5`` is ``checksum``); ``OptionError`` for any other."""
    compare = _COMPARE_ALIASES.get(mode, mode)
    if compare not in COMPARE_MODES:
        raise OptionError(f"Unknown compare mode {mode!r}: use one of {', '.join(COMPARE_MODES)}.")
    return compare

#: FreeFileSync-like categories of a path, before the strategy decides.
Category = Literal["new", "changed", "conflict", "identical", "dst_only", "excluded", "moved"]

#: On a destination that keeps its own times (local), a copy is dated like its source;
#: times closer than this are equal (float rounding of nanosecond times).
LOCAL_WINDOW = 0.002
#: Object stores record upload times at one-second precision: a copy is "clearly
#: newer than its source" only beyond this margin; inside it, hashes decide.
UPLOAD_WINDOW = 2.0


def compare_entries(src: Entry, dst: Entry, compare: str, dst_upload_times: bool) -> tuple[Category, str]:
    """Compare one path present on both sides: (category, reason).

    ``conflict`` means the contents differ and the destination looks newer than
    the source, so the strategy decides; ``changed`` means the source should
    replace it. Every compare mode but ``always`` tells the two apart, so the
    ``newer`` and ``skip`` strategies protect a newer destination whichever
    mode found the difference.
    """
    if compare == "always":
        return "changed", "compare mode 'always'"
    dst_upload_times = dst_upload_times and not dst.stored  # a stored file time is the file's own
    same_size = src.size == dst.size
    if compare == "size":
        return ("identical", "same size") if same_size else _direction(src, dst, dst_upload_times, f"size differs ({src.size} vs {dst.size} bytes)")
    hashes = _comparable_hash(src, dst)
    if compare == "checksum":
        if not same_size:
            return _direction(src, dst, dst_upload_times, f"size differs ({src.size} vs {dst.size} bytes)")
        if hashes is None:
            return _direction(src, dst, dst_upload_times, "no comparable checksum on both sides; copying to be safe")
        algo, a, b = hashes
        return ("identical", f"same size and {algo}") if a == b else _direction(src, dst, dst_upload_times, f"{algo} differs")
    # size_mtime
    if not same_size:
        return _direction(src, dst, dst_upload_times, f"size differs ({src.size} vs {dst.size} bytes)")
    if hashes is not None:
        algo, a, b = hashes
        return ("identical", f"same size and {algo}") if a == b else _direction(src, dst, dst_upload_times, f"same size, {algo} differs")
    if src.mtime is None or dst.mtime is None:
        return "identical", "same size (no modification time to compare)"
    delta = dst.mtime - src.mtime
    if dst_upload_times:
        if delta >= UPLOAD_WINDOW:
            return "identical", "same size, destination written after the source was last modified"
        if delta >= -UPLOAD_WINDOW:
            # Too close to call from one-second upload times, and no hashes to decide.
            return "changed", "same size, source modified around the upload time (no checksum to confirm)"
        return "changed", "same size, source modified after the destination was written"
    if abs(delta) <= LOCAL_WINDOW:
        return "identical", "same size and modification time"
    if _written_after_upload(src, dst):
        return "identical", "same size, local copy written after the object's upload (dated by its stored time)"
    if delta < 0:
        return "changed", "same size, source is newer"
    return "conflict", "same size, destination is newer than source"


def _upload_dated(entry: Entry) -> bool:
    """An object listed with its upload time only (no stored file time, no local ctime)."""
    return not entry.stored and entry.ctime is None


def _written_after_upload(src: Entry, dst: Entry) -> bool:
    """A local copy of an object that carries no stored time in its listing (S3), dated by the time
    its GET answer held: older than the upload, but written clearly after it."""
    return (_upload_dated(src) and dst.ctime is not None and dst.mtime < src.mtime - LOCAL_WINDOW
            and dst.ctime - src.mtime >= UPLOAD_WINDOW)


def _direction(src: Entry, dst: Entry, dst_upload_times: bool, why: str) -> tuple[Category, str]:
    if not dst_upload_times and src.mtime is not None and dst.mtime is not None and dst.mtime > src.mtime + LOCAL_WINDOW:
        return "conflict", f"{why}; destination is newer than source"
    return "changed", why


def _comparable_hash(src: Entry, dst: Entry) -> tuple[str, str, str] | None:
    if src.md5 and dst.md5:
        return "MD5", src.md5, dst.md5
    if src.crc32c and dst.crc32c:
        return "CRC32C", src.crc32c, dst.crc32c
    return None


def needs_hash(src: Entry, dst: Entry, compare: str, dst_upload_times: bool) -> bool:
    """True when comparing this pair should first hash the side(s) lacking a checksum.

    In checksum mode every same-size pair without comparable hashes; in the
    default mode only pairs whose upload time is too close to the source's
    modification time to decide.
    """
    if src.size != dst.size or _comparable_hash(src, dst) is not None:
        return False
    if compare == "checksum":
        return True
    dst_upload_times = dst_upload_times and not dst.stored
    if (compare == "size_mtime" and _upload_dated(src) and src.md5 and dst.ctime is not None
            and src.mtime is not None and dst.mtime is not None and dst.mtime < src.mtime - LOCAL_WINDOW
            and abs(dst.ctime - src.mtime) < UPLOAD_WINDOW):
        # A local copy dated by its stored time, written within the upload's second: hashes decide.
        return True
    if (compare == "size_mtime" and not dst_upload_times and src.md5 and dst.ctime is not None
            and src.mtime is not None and dst.mtime is not None and abs(dst.mtime - src.mtime) <= LOCAL_WINDOW
            and dst.ctime - src.mtime < UPLOAD_WINDOW):
        # A local copy of an object dated to the second: it was written so soon
        # after the upload that a same-second, same-size re-upload would look equal.
        return True
    if compare != "size_mtime" or not dst_upload_times or src.mtime is None or dst.mtime is None:
        return False
    delta = dst.mtime - src.mtime
    return -UPLOAD_WINDOW <= delta < UPLOAD_WINDOW
