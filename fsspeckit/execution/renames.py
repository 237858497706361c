"""Moves and renames, as rclone's ``--track-renames``: one file, new path, no bytes copied.

A file new on the source and a file only on the destination with the same
content (same size and hash, or same size and the file's own time where no
hash can decide) become one ``move`` action; a match that is not one-to-one is
ambiguous and stays a copy plus a delete. A move is a rename on a local disk,
and the store's own copy, a check of the copy, then the delete of the old
object on S3/GCS: the old object is never deleted unless the new one verified.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import time
from dataclasses import replace

from ..backends.filesystem import unwrap
from ..backends.local import local_escape, prune_emptied_folders, rename_no_clobber
from ..backends.retry import describe_error, is_transient, retry_call
from ..backends.stored_times import stored_mtime_ns
from ..backends.transfer import _is_s3, file_md5, is_local, store_copy
from ..exceptions import MoveRefused
from ..listing.tree import entry_from_info
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Entry, Listing, join_path
from ..model.paths import check_rel
from ..model.result import Outcome
from ..planning.plan import Action

logger = logging.getLogger(__name__)

__all__ = ["fill_rename_hashes", "apply_moves", "check_move_paths", "MOVE_DECISIONS"]

#: Decisions a move takes by hand: carry it out, copy and delete instead, or leave both files alone.
MOVE_DECISIONS = ("move", "copy", "exclude")


def _candidates(src: Listing, dst: Listing) -> tuple[list[str], list[str]]:
    """New source paths and destination-only paths of a size found on the other side."""
    new = [r for r in src.entries if r not in dst.entries]
    gone = [r for r in dst.entries if r not in src.entries]
    new_sizes = {src.entries[r].size for r in new}
    gone_sizes = {dst.entries[r].size for r in gone}
    return ([r for r in new if src.entries[r].size in gone_sizes],
            [r for r in gone if dst.entries[r].size in new_sizes])


def fill_rename_hashes(src_fs, dst_fs, src: Listing, dst: Listing, max_workers: int = DEFAULT_WORKERS,
                       cancel: threading.Event | None = None) -> int:
    """Hash, on local sides only, the rename candidates whose listing has no MD5; return how many.

    Only files of a size present among the other side's candidates are read;
    an object store's file is never downloaded for this (its listing's MD5 is
    used). An S3 candidate with no MD5 in its listing (a multipart upload) gets
    one HEAD for the file time stored in its metadata, so size and time can match.
    """
    src_b, _ = unwrap(src_fs, "")
    dst_b, _ = unwrap(dst_fs, "")
    new, gone = _candidates(src, dst)
    jobs = [(src, src_b, r) for r in new if src.entries[r].md5 is None and is_local(src_b)]
    jobs += [(dst, dst_b, r) for r in gone if dst.entries[r].md5 is None and is_local(dst_b)]
    heads = [r for r in gone if dst.entries[r].md5 is None and not dst.entries[r].stored and _is_s3(dst_b)]
    if not jobs and not heads:
        return 0

    def work(job):
        listing, fs, rel = job
        return listing, rel, file_md5(fs, join_path(listing.root, rel), cancel=cancel)

    def head(rel):
        return rel, _s3_stored_time(dst_b, join_path(dst.root, rel))

    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fsspeckit-renames") as pool:
        for listing, rel, digest in pool.map(work, jobs):
            listing.entries[rel] = replace(listing.entries[rel], md5=digest)
        for rel, ns in pool.map(head, heads):
            if ns is not None:
                dst.entries[rel] = replace(dst.entries[rel], mtime=ns / 1e9, stored=True)
    return len(jobs) + len(heads)


def _s3_stored_time(fs, path: str) -> int | None:
    """The file time (ns) rclone's ``mtime`` metadata of an S3 object holds, by one HEAD; None if none."""
    bucket, key, _ = fs.split_path(path)
    try:
        head = fs.call_s3("head_object", Bucket=bucket, Key=key)
    except Exception:  # noqa: BLE001 - no time: the candidate stays a copy and a delete
        logger.debug("no stored time for %s", path, exc_info=True)
        return None
    return stored_mtime_ns({"Metadata": head.get("Metadata") or {}})


def check_move_paths(a: Action) -> None:
    """Refuse a move whose old path would leave the destination root (a hand-edited plan)."""
    if a.move_from is not None:
        check_rel(a.move_from, "plan move_from")


def apply_moves(plan, moves: list[Action], dst_fs, *, dry_run: bool = False, retries: int = 3,
                backoff: float = 0.5, cancel: threading.Event | None = None) -> list[Outcome]:
    """Carry out the plan's moves on the destination, one outcome each (``moved`` or ``failed``)."""
    if dry_run:
        return [Outcome(a.path, "move", "skipped", 0, 0, "dry run") for a in moves]
    dst_b, _ = unwrap(dst_fs, "")
    out = []
    for a in moves:
        if cancel is not None and cancel.is_set():
            out.append(Outcome(a.path, "move", "cancelled", 0, 0, "cancelled before it started"))
            continue
        old, new = join_path(plan.dst_root, a.move_from), join_path(plan.dst_root, a.path)
        t0 = time.monotonic()
        try:
            _, attempts = retry_call(lambda: _move_one(dst_b, plan.dst_root, old, new, a), retries=retries,
                                     backoff=backoff, cancel=cancel, transient=_transient)
        except Exception as exc:  # noqa: BLE001 - in the outcome; the old file is where it was
            logger.warning("move %s -> %s failed: %s", a.move_from, a.path, describe_error(exc))
            out.append(Outcome(a.path, "move", "failed", 0, getattr(exc, "fsspeckit_attempts", 1),
                               f"moving {a.move_from}: {describe_error(exc)}", time.monotonic() - t0))
            continue
        out.append(Outcome(a.path, "move", "moved", 0, attempts, None, time.monotonic() - t0))
    if is_local(dst_b):
        prune_emptied_folders(plan.dst_root, [a.move_from for a, o in zip(moves, out) if o.outcome == "moved"])
    return out


def _transient(exc: BaseException) -> bool:
    return not isinstance(exc, MoveRefused) and is_transient(exc)


def _move_one(fs, root: str, old: str, new: str, a: Action) -> None:
    if is_local(fs):
        for path in (old, new):
            why = local_escape(root, path)
            if why:
                raise MoveRefused(why)
        _rename_local(old, new, a.dst)
    else:
        _copy_verify_delete(fs, old, new, a.dst)


def _rename_local(old: str, new: str, expect: Entry) -> None:
    """Rename on a local disk without replacing anything: a hard link, then the old name removed."""
    if not os.path.lexists(old):
        if os.path.isfile(new) and os.path.getsize(new) == expect.size:
            return  # done by an earlier, interrupted run
        raise MoveRefused(f"{old} is gone since it was listed; not moved")
    st = os.stat(old)
    if st.st_size != expect.size:
        raise MoveRefused(f"{old} changed since it was listed ({expect.size} -> {st.st_size} bytes); not moved")
    try:
        rename_no_clobber(old, new)
    except FileExistsError as exc:
        raise MoveRefused(f"{exc}; the move would replace it, {old} was kept") from None


def _copy_verify_delete(fs, old: str, new: str, expect: Entry) -> None:
    """The store's own copy of ``old`` to ``new``, checked by size and hash, then ``old`` deleted."""
    if not fs.exists(old):
        if fs.exists(new) and _verified(fs, new, expect) is None:
            return  # done by an earlier, interrupted run (its delete got through)
        raise MoveRefused(f"{old} is gone since it was listed; not moved")
    if fs.exists(new):
        why = _verified(fs, new, expect)
        if why is not None:
            raise MoveRefused(f"{new} exists already and is another file ({why}); not replaced")
    else:
        store_copy(fs, old, new, expect.size)
        why = _verified(fs, new, expect)
        if why is not None:
            _quiet_rm(fs, new)
            raise MoveRefused(f"the copy at {new} did not verify ({why}); {old} was kept")
    fs.rm_file(old)


def _verified(fs, path: str, expect: Entry) -> str | None:
    """Why the object at ``path`` is not the listed file ``expect`` (None when it is)."""
    try:
        fs.invalidate_cache(path)
    except Exception:  # noqa: BLE001
        pass
    got = entry_from_info(path, fs.info(path))
    if got.size != expect.size:
        return f"{got.size} bytes, expected {expect.size}"
    if expect.md5 and got.md5 and got.md5 != expect.md5 and not expect.md5.startswith("state:"):
        return f"MD5 {got.md5}, expected {expect.md5}"
    if expect.crc32c and got.crc32c and got.crc32c != expect.crc32c:
        return f"CRC32C {got.crc32c}, expected {expect.crc32c}"
    return None


def _quiet_rm(fs, path: str) -> None:
    try:
        fs.rm_file(path)
    except Exception:  # noqa: BLE001
        logger.debug("could not remove %s", path, exc_info=True)
