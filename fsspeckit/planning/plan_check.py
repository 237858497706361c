"""Before applying a saved plan: is it stale, and what of it is already done?

``check_stale`` re-lists the source and names every planned path whose source
changed since planning (before anything is written); ``refresh_plan`` re-lists
both sides and turns actions that are already done into skips, so applying the
same plan twice does only the remaining work. Hand-made decisions survive.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import fsspec

from ..backends.filesystem import unwrap
from ..exceptions import StalePlanError
from ..listing.tree import list_tree
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Entry, Listing
from .compare import LOCAL_WINDOW, compare_entries
from .filters import selection
from .hashing import fill_hashes
from .plan import Action, Plan

logger = logging.getLogger(__name__)

__all__ = ["check_stale", "destination_changes", "list_plan_side", "prepare_plan", "raise_if_stale", "refresh_plan"]


def list_plan_side(plan: Plan, fs: fsspec.AbstractFileSystem, side: str = "source") -> Listing:
    """List the root the plan was made on (``plan.src_root``/``plan.dst_root``) on ``fs``'s backend."""
    backend, _ = unwrap(fs, "")
    root = plan.src_root if side == "source" else plan.dst_root
    return list_tree(backend, root, role=side)


def _changed(old: Entry, new: Entry) -> str | None:
    if old.size != new.size:
        return f"size changed ({old.size} -> {new.size} bytes)"
    if old.mtime is not None and new.mtime is not None and abs(old.mtime - new.mtime) > LOCAL_WINDOW:
        return "modified since planning"
    if old.md5 and new.md5 and len(old.md5) == len(new.md5) == 32 and old.md5 != new.md5:
        return "content changed (MD5)"
    return None


def check_stale(plan: Plan, src_fs: fsspec.AbstractFileSystem, src_listing: Listing | None = None) -> list[str]:
    """What changed on the source since ``plan`` was made, one line per path (empty: not stale).

    Counted: a file the plan copies or updates that vanished or changed (size,
    time, or MD5); a file the plan leaves as identical that changed; a new
    source file where the plan deletes the destination's copy; a new source file
    the plan does not know about (and its filters would not exclude). Paths the
    plan excludes are ignored.
    """
    src = src_listing if src_listing is not None else list_plan_side(plan, src_fs, "source")
    reasons: list[str] = []
    known = set()
    for a in plan.actions:
        known.add(a.path)
        now = src.entries.get(a.path)
        if a.category == "excluded":
            continue
        if a.src is not None:
            if now is None:
                if a.kind in ("copy", "update", "move"):
                    reasons.append(f"{a.path}: removed from the source since planning (the plan copies it)")
                elif a.category == "identical":
                    reasons.append(f"{a.path}: removed from the source since planning")
                continue
            why = _changed(a.src, now)
            if why:
                reasons.append(f"{a.path}: {why}")
        elif now is not None:
            if a.kind == "delete":
                reasons.append(f"{a.path}: now exists on the source, but the plan deletes it from the destination")
            else:
                reasons.append(f"{a.path}: new on the source since planning")
    if not src.exists and plan.src_exists:
        reasons.insert(0, f"the source {plan.src_url or plan.src_root} no longer exists")
    new = [p for p in src.entries if p not in known]
    if new:
        keep = _filter(plan)
        for p in sorted(new):
            if keep is None or keep(p, src.entries[p], None):
                reasons.append(f"{p}: new on the source since planning")
    return reasons


def _filter(plan: Plan):
    try:
        return selection(plan.options)
    except Exception:  # noqa: BLE001 - a predicate this version cannot read: count every new file
        return None


def raise_if_stale(plan: Plan, src_fs: fsspec.AbstractFileSystem, src_listing: Listing | None = None) -> None:
    """Raise ``StalePlanError`` naming the changes, when ``check_stale`` finds any."""
    _raise_stale(check_stale(plan, src_fs, src_listing), "source")


def _raise_stale(reasons: list[str], side: str) -> None:
    """``StalePlanError`` naming the first five changes on ``side``, when there are any."""
    if reasons:
        shown = "; ".join(reasons[:5])
        more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
        raise StalePlanError(
            f"The plan is stale: the {side} changed since it was made ({shown}{more}). "
            "Nothing was written; make a new plan."
        )


def prepare_plan(plan: Plan, src_fs, dst_fs, refresh: bool | None = None) -> Plan:
    """The plan as a run carries it out: the one place a run checks a plan before writing.

    A plan marked ``loaded`` (read from a file, or shown for a while before the
    run, as the app does) is refused with ``StalePlanError`` when the source
    changed since; it and any plan with ``refresh=True`` then has the actions
    already done turned into skips. ``refresh=False`` takes the plan as it is.
    """
    if not (refresh or (refresh is None and plan.loaded)):
        return plan
    if plan.loaded:
        raise_if_stale(plan, src_fs)  # before any write: the source must be what was planned
    return refresh_plan(plan, src_fs, dst_fs)


def refresh_plan(
    plan: Plan,
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    *,
    src_listing: Listing | None = None,
    dst_listing: Listing | None = None,
) -> Plan:
    """Return ``plan`` with the actions already carried out turned into skips.

    A copy or update is done when the destination now matches the planned
    source version (same size and time on a local disk, written after the
    source changed on an object store, or equal MD5s; hashing only where the
    plan compares by checksum or upload times are too close to call). A delete
    is done when the file is gone. Skips, exclusions and the other hand-made
    decisions are kept as they are.
    """
    dst = dst_listing if dst_listing is not None else list_plan_side(plan, dst_fs, "destination")
    writes = [a for a in plan.actions if a.kind in ("copy", "update") and a.src is not None and a.path in dst.entries]
    compare = plan.options.compare if plan.options.compare in ("size_mtime", "checksum") else "size_mtime"
    done: dict[str, str] = {}
    if writes:
        sub_src = Listing(plan.src_root, dst.protocol, {a.path: a.src for a in writes}, True, False)
        sub_dst = dst.with_entries(dst.entries[a.path] for a in writes)
        sub_dst.upload_times = dst.upload_times
        fill_hashes(src_fs, dst_fs, sub_src, sub_dst, compare, max_workers=DEFAULT_WORKERS)
        for a in writes:
            category, reason = compare_entries(sub_src.entries[a.path], sub_dst.entries[a.path], compare,
                                               dst.upload_times)
            if category == "identical":
                done[a.path] = f"already done ({reason})"
    for a in plan.actions:
        if a.kind == "delete" and a.path not in dst.entries:
            done[a.path] = "already deleted"
    _raise_stale(destination_changes(plan, dst, done), "destination")
    if not done:
        return replace(plan, loaded=False)  # refreshed: nothing more to check before applying
    logger.info("%d planned actions are already done", len(done))
    actions = tuple(_as_done(a, done[a.path]) if a.path in done else a for a in plan.actions)
    return replace(plan, actions=actions, loaded=False)


def destination_changes(plan: Plan, dst: Listing, done: dict[str, str] | None = None) -> list[str]:
    """What changed on the destination since ``plan`` was made, where the plan would write or delete.

    A file the plan updates or deletes that changed since (size, time or MD5), or
    a file that appeared where the plan copies a new one, unless it is already the
    planned version (``done``). Overwriting or deleting it would lose a version
    nobody saw in the plan. A file that vanished where the plan writes is not a
    change that loses anything.
    """
    done = done or {}
    reasons = []
    for a in plan.actions:
        if a.kind not in ("copy", "update", "delete") or a.path in done:
            continue
        now = dst.entries.get(a.path)
        if now is None:
            continue
        if a.dst is None:
            if a.kind != "delete":
                reasons.append(f"{a.path}: appeared on the destination since planning (the plan copies it there)")
            continue
        why = _changed(a.dst, now)
        if why:
            verb = "deletes" if a.kind == "delete" else "overwrites"
            reasons.append(f"{a.path}: {why} on the destination (the plan {verb} it)")
    return reasons


def _as_done(a: Action, reason: str) -> Action:
    return replace(a, kind="skip", reason=reason, keep_as=None)
