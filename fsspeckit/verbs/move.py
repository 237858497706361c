"""Move a tree: copy, verify, then delete the source — like ``rclone move``.

A source file is deleted only once a copy of it on the destination has been
verified by content: a copied or updated file is verified by MD5 as it is
copied (``verify="checksum"``), and a file that was already on the
destination is hashed on both sides first (its size and time alone do not
prove the bytes equal). A file whose copy failed, was skipped as a conflict
(the destination holds something else), or could not be verified stays where
it is. Nothing is ever deleted on the destination. A dry run deletes nothing.
"""

from __future__ import annotations

import logging

from ..backends.filesystem import unwrap
from ..backends.local import local_escape
from ..backends.retry import retry_call
from ..backends.transfer import file_md5, is_local
from ..exceptions import SourceNotFoundError, describe_error
from ..execution.apply import apply_plan
from ..listing.tree import entry_from_info
from ..model.entries import join_path
from ..model.result import Outcome, SyncResult
from .sync import check_overlap, plan_sync, url_of

logger = logging.getLogger(__name__)

__all__ = ["move_dir"]


def move_dir(src_fs, dst_fs, src_path: str = "", dst_path: str = "", *, compare: str = "size_mtime",
             strategy: str = "source_wins", include=(), exclude=(), partitions=None, modified_after=None,
             max_workers: int | None = None, dry_run: bool = False, retries: int = 3, backoff: float = 0.5,
             progress_hook=None, cancel=None, filters=None, bwlimit=None, max_transfer=None) -> SyncResult:
    """Move every file under ``src_path`` to ``dst_path`` (see the module docstring).

    Returns the copy's ``SyncResult`` plus one ``Outcome(path, "delete_source",
    "deleted" | "not_deleted" | "failed")`` per source file it handled.
    """
    check_overlap(src_fs, src_path, dst_fs, dst_path)
    plan = plan_sync(src_fs, dst_fs, src_path, dst_path, delete=False, compare=compare, strategy=strategy,
                     include=include, exclude=exclude, partitions=partitions, modified_after=modified_after,
                     max_workers=max_workers, cancel=cancel, filters=filters)
    if not plan.src_exists:
        raise SourceNotFoundError(f"The source {url_of(src_fs, src_path)} does not exist; nothing was moved.")
    result = apply_plan(plan, src_fs, dst_fs, max_workers=max_workers, verify="checksum", dry_run=dry_run,
                        retries=retries, backoff=backoff, progress_hook=progress_hook, cancel=cancel,
                        bwlimit=bwlimit, max_transfer=max_transfer)
    result.partition_matches = plan.partition_matches
    if dry_run or result.cancelled:
        return result
    done = {o.path for o in result.outcomes if o.outcome in ("copied", "updated")}
    candidates = [(a.path, a.kind == "skip") for a in plan.actions
                  if a.path in done or (a.kind == "skip" and a.category == "identical")]
    src_b, src_root = unwrap(src_fs, src_path)
    dst_b, dst_root = unwrap(dst_fs, dst_path)
    extra: list[Outcome] = [
        Outcome(a.path, "delete_source", "not_deleted", 0, 0, f"kept in the source: not copied ({a.reason})")
        for a in plan.actions if a.kind == "skip" and a.category not in ("identical", "excluded")]
    for path, was_there in candidates:
        src_file = join_path(src_root, path)
        if was_there:
            why = _not_the_same(src_b, src_file, dst_b, join_path(dst_root, path))
            if why:
                extra.append(Outcome(path, "delete_source", "not_deleted", 0, 0, f"kept in the source: {why}"))
                continue
        if is_local(src_b):
            escape = local_escape(src_root, src_file)
            if escape:
                extra.append(Outcome(path, "delete_source", "failed", 0, 0, escape))
                continue
        try:
            _, attempts = retry_call(lambda: src_b.rm_file(src_file), retries=retries, backoff=backoff)
        except Exception as exc:  # noqa: BLE001 - in the result
            extra.append(Outcome(path, "delete_source", "failed", 0, 1, describe_error(exc)))
            continue
        extra.append(Outcome(path, "delete_source", "deleted", 0, attempts))
    result.outcomes.extend(extra)
    logger.info("moved %d files (each source removed after its copy was verified)",
                sum(1 for o in extra if o.outcome == "deleted"))
    return result


def _md5_of(fs, path: str) -> str:
    if not is_local(fs):
        try:
            fs.invalidate_cache(path)
        except Exception:  # noqa: BLE001
            pass
        md5 = entry_from_info(path, fs.info(path)).md5
        if md5:
            return md5
    return file_md5(fs, path)


def _not_the_same(src_b, src_file: str, dst_b, dst_file: str) -> str | None:
    """Why the destination's file cannot stand in for the source's (None when the bytes are equal)."""
    try:
        a, b = _md5_of(src_b, src_file), _md5_of(dst_b, dst_file)
    except Exception as exc:  # noqa: BLE001
        return f"its copy could not be verified ({describe_error(exc)})"
    return None if a == b else "the destination holds a different version"
