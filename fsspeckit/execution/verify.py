"""Verification of one copied file: sizes, then content hashes (native where possible)."""

from __future__ import annotations

import logging

import fsspec

from ..backends.filesystem import unwrap
from ..backends.transfer import file_md5
from ..listing.tree import entry_from_info

logger = logging.getLogger(__name__)

__all__ = ["validate_file_transfer"]


def validate_file_transfer(
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    src_path: str,
    dst_path: str,
    checksum: bool = True,
) -> tuple[bool, str]:
    """Check that ``dst_path`` holds the same bytes as ``src_path``: ``(ok, message)``.

    Compares sizes, then MD5 (the stores' own when both have one, otherwise
    streamed, whatever the file size). Never raises for a missing file: that is
    a failed validation with its reason.
    """
    sb, sp = unwrap(src_fs, src_path)
    db, dp = unwrap(dst_fs, dst_path)
    try:
        s_info = sb.info(sp)
    except FileNotFoundError:
        return False, f"Source missing: {src_path}"
    try:
        db.invalidate_cache(dp)
        d_info = db.info(dp)
    except FileNotFoundError:
        return False, f"Destination missing: {dst_path}"
    s = entry_from_info(sp, s_info)
    d = entry_from_info(dp, d_info)
    if s.size != d.size:
        return False, f"Size mismatch: {s.size} vs {d.size}"
    if not checksum:
        return True, "Validation successful (size)"
    s_md5 = s.md5 or file_md5(sb, sp)
    d_md5 = d.md5 or file_md5(db, dp)
    if s_md5 != d_md5:
        return False, f"Checksum mismatch: {s_md5} vs {d_md5}"
    how = "native MD5" if s.md5 and d.md5 else "MD5"
    return True, f"Validation successful (size and {how})"
