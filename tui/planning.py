"""What the main screen plans with: the two sides, and the plan computations its workers run.

``Side`` says where one side points (a URL, a local path or ``remote:path``) and
what was listed there. The functions below are what the app's thread workers
call: each takes plain values, does the work off the UI thread and returns what
one message carries.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from fsspeckit.listing.tree import list_tree
from fsspeckit.model.entries import Listing
from fsspeckit.planning.filters import path_filter
from fsspeckit.planning.plan import Plan, SyncOptions
from fsspeckit.planning.plan_check import check_stale, refresh_plan
from fsspeckit.remotes.profiles import parse_location, resolve_location
from fsspeckit.verbs.sync import fill_hashes, plan_sync, url_of

from .widgets.index import PlanView, TreeIndex

__all__ = ["CYCLED_COMPARE", "DECISIONS", "DEFAULT_PLAN_FILE", "Side", "list_side",
           "location_label", "open_saved_plan", "override_plan", "plan_sides", "replay"]

#: Compare modes ``c`` cycles through ("always" stays in the command palette).
CYCLED_COMPARE = ("size_mtime", "size", "checksum")
DECISIONS = {
    "exclude": "Excluded",
    "include": "Included",
    "source_wins": "Source wins for",
    "keep_both": "Keeping both versions of",
    "keep": "Keeping the destination of",
    "delete": "Deleting",
    "move": "Moving",
    "copy": "Copying and deleting instead of moving",
}
DEFAULT_PLAN_FILE = "fsspeckit-plan.json"


@dataclass
class Side:
    """Where one side of the sync points, and what was listed there.

    ``url`` is what the user typed: a URL, a local path or ``remote:path`` (a
    saved remote); the filesystem is made from it in a worker when ``fs`` is None.
    """

    role: str  # "source" | "destination"
    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    fs: Any = None  # created from ``url`` in a worker when None
    path: str = ""
    label: str | None = None
    listing: Listing | None = None
    index: TreeIndex | None = None
    #: A copy of ``listing`` with checksums filled in (checksum mode), so other modes compare as listed.
    hashed: Listing | None = None

    @property
    def title(self) -> str:
        return self.label or self.url


def location_label(text: str, fs: Any, path: str) -> str:
    """How a side is titled: its URL, or ``remote:path (URL)`` for a saved remote."""
    url = url_of(fs, path)
    try:
        remote = parse_location(text).remote
    except Exception:  # noqa: BLE001 - a label is cosmetic
        remote = None
    return f"{text} ({url})" if remote is not None and url != text else url


def list_side(side: Side, progress: Callable[[int], None] | None = None) -> tuple[Any, str, Listing, TreeIndex]:
    """Make the side's filesystem if needed (URL, path or remote:path) and list it.

    ``progress`` is told how many files were found so far (see ``list_tree``).
    """
    fs, path = side.fs, side.path
    if fs is None:
        fs, path = resolve_location(side.url, side.storage_options)
    listing = list_tree(fs, path, role=side.role, progress=progress)
    return fs, path, listing, TreeIndex.build(listing)


def _copy(listing: Listing) -> Listing:
    return listing.with_entries(listing.entries.values())


def plan_sides(src: Side, dst: Side, options: SyncOptions, overrides: list, narrow: bool,
               progress: Callable[[int, int], None] | None = None):
    """Plan from both listings, replay the changes made by hand; ``(plan, base, view, note, indexes)``.

    In checksum mode the files are hashed into copies of the listings kept on
    the sides (``progress(done, total)`` per file), so cycling back to another
    mode compares what was listed, and cycling to checksum again hashes nothing twice.
    """
    t0 = time.perf_counter()
    listings = (src.listing, dst.listing)
    if options.compare == "checksum":
        if src.hashed is None or dst.hashed is None:
            src.hashed, dst.hashed = _copy(src.listing), _copy(dst.listing)
        fill_hashes(src.fs, dst.fs, src.hashed, dst.hashed, "checksum", progress=progress)
        listings = (src.hashed, dst.hashed)
    base = plan_sync(src.fs, dst.fs, src.path, dst.path, listings=listings, options=options)
    plan = replay(base, overrides)
    indexes = None
    if narrow:
        keep = path_filter(SyncOptions(partitions=options.partitions)) if options.partitions else None
        indexes = (TreeIndex.build(src.listing, keep), TreeIndex.build(dst.listing, keep))
    note = f"Planned {len(plan):,} files in {time.perf_counter() - t0:.1f} s: {plan.summary()}."
    return plan, base, PlanView(plan), note, indexes


def replay(base: Plan, overrides: list) -> Plan:
    """``base`` with the changes made by hand applied again, in order."""
    plan = base
    for paths, decision in overrides:
        plan = plan.override(list(paths), decision)
    return plan


def override_plan(plan: Plan, paths: tuple[str, ...], decision: str) -> tuple[Plan, PlanView, str, str]:
    """Apply one decision by hand; ``(plan, view, note, severity)``."""
    new = plan.override(list(paths), decision)
    changed = sum(1 for a, b in zip(plan.actions, new.actions) if a is not b)
    what = paths[0] if len(paths) == 1 else f"{len(paths)} paths"
    if changed:
        note = f"{DECISIONS[decision]} {what or 'everything'}: {changed:,} file{'s' if changed != 1 else ''} changed."
        severity = "information"
    else:
        note = f"Nothing changed: '{decision.replace('_', ' ')}' does not apply to {what or 'everything'}."
        severity = "warning"
    return new, PlanView(new), note, severity


def open_saved_plan(path: str, src: Side, dst: Side) -> tuple[Plan, PlanView, str, str]:
    """Load a plan file and hold it against the sides as listed now. ``(plan, view, note, severity)``.

    A plan made for other locations is shown as it was saved, with a warning. A
    plan for these locations says what changed on the source since (stale), and
    the actions already carried out become skips reading "already done", so the
    confirmation and the totals count only what is left to do.
    """
    plan = Plan.load(path)
    note = f"Opened {path}: {len(plan):,} actions"
    severity = "information"
    src_l, dst_l = src.listing, dst.listing
    if src_l is None or dst_l is None:
        return plan, PlanView(plan), note + f", {plan.summary()}.", severity
    if plan.src_root != src_l.root or plan.dst_root != dst_l.root:
        note += (f", {plan.summary()}. It was made for {plan.src_url or plan.src_root} → "
                 f"{plan.dst_url or plan.dst_root}, not the locations shown.")
        return plan, PlanView(plan), note, "warning"
    stale = check_stale(plan, src.fs, src_l)
    fresh = refresh_plan(plan, src.fs, dst.fs, src_listing=src_l, dst_listing=dst_l)
    fresh = replace(fresh, loaded=True)  # the run checks the source again before writing
    done = sum(1 for a in fresh.actions if a.reason.startswith("already "))
    note += f", {fresh.summary()}."
    if done:
        note += f" {done:,} of them {'is' if done == 1 else 'are'} already done (shown as skips)."
    if stale:
        more = f" (and {len(stale) - 3:,} more)" if len(stale) > 3 else ""
        note += f" The source changed since it was made: {'; '.join(stale[:3])}{more}; the run will refuse it."
        severity = "warning"
    return fresh, PlanView(fresh), note, severity
