"""The guards of a run, written once for every executor (threads here, or a Dask cluster).

Before anything is written: a plan that deletes while its source is missing or
empty is refused (unless ``allow_delete_all``), and so is one that deletes more
than ``max_delete``. After the copies: deletions run only when every copy
succeeded and nothing was cancelled (as rclone does).
"""

from __future__ import annotations

from typing import Iterable

from ..exceptions import DeleteLimitError, EmptySourceError, SourceNotFoundError
from ..model.result import Outcome
from ..planning.plan import Plan

__all__ = ["check_delete_guards", "check_delete_limit", "deletes_held_back", "held_back_outcomes"]


def check_delete_guards(plan: Plan, max_delete, allow_delete_all: bool) -> None:
    """Refuse, before any write, a plan that deletes from a missing or empty source, or deletes too much."""
    deletes = plan.deletes
    if deletes and (not plan.src_exists or plan.src_files == 0) and not allow_delete_all:
        cls = SourceNotFoundError if not plan.src_exists else EmptySourceError
        raise cls(
            f"The source {plan.src_url or plan.src_root} is {'missing' if not plan.src_exists else 'empty'}; "
            f"refusing to delete {len(deletes)} destination files. Pass allow_delete_all=True if that is meant."
        )
    check_delete_limit(plan, max_delete)


def check_delete_limit(plan: Plan, max_delete, dst_files: int | None = None) -> None:
    """Raise ``DeleteLimitError`` when the plan deletes more than ``max_delete``.

    ``max_delete`` is a count (``100``) or a share of the destination's files
    (``"10%"`` or ``0.1`` for a float below 1).
    """
    if max_delete is None:
        return
    n = len(plan.deletes)
    if dst_files is None:
        dst_files = sum(1 for a in plan.actions if a.dst is not None)
    if isinstance(max_delete, str) and max_delete.strip().endswith("%"):
        share = float(max_delete.strip()[:-1]) / 100.0
        limit = int(share * dst_files)
        label = f"{max_delete.strip()} of {dst_files} destination files = {limit}"
    elif isinstance(max_delete, float) and 0 <= max_delete < 1:
        limit = int(max_delete * dst_files)
        label = f"{max_delete:.0%} of {dst_files} destination files = {limit}"
    else:
        limit = int(max_delete)
        label = str(limit)
    if n > limit:
        raise DeleteLimitError(
            f"The plan deletes {n} files, more than max_delete allows ({label}); nothing was changed. "
            "Check the source path, or raise max_delete."
        )


def deletes_held_back(transfer_outcomes: Iterable[Outcome], cancelled: bool) -> str | None:
    """Why the deletions must not run after these copies (None: they may)."""
    if cancelled:
        return "the run was cancelled"
    failed = sum(1 for o in transfer_outcomes if o.outcome in ("failed", "cancelled"))
    if failed:
        return f"{failed} cop{'y' if failed == 1 else 'ies'} failed"
    return None


def held_back_outcomes(plan: Plan, why: str) -> list[Outcome]:
    """One ``not_deleted`` outcome per planned deletion, saying why."""
    return [Outcome(a.path, "delete", "not_deleted", 0, 0, f"not deleted: {why}") for a in plan.deletes]
