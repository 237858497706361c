"""The app's two-way mode, without Textual: rows of a two-way plan and the decisions made by hand.

``fsspeckit.verbs.bisync.plan_bisync`` says what a two-way run would do (copies both
ways, deletions on either side, conflicts with their reason). Here that plan
becomes rows for the table (conflicts first, then every folder with its files)
and the decisions made by hand are replayed on it, in order, so undo is "drop
the last decision and replay". ``run_plan`` is the plan a run applies: what was
skipped by hand is left out, so the state of the last sync is not told about it
and the next run plans it again.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from dataclasses import dataclass, replace

from fsspeckit.verbs.bisync import BisyncAction, BisyncPlan, BisyncResult, conflict_winner

__all__ = ["CONFLICT_DECISIONS", "CYCLE", "DECISION_WORDS", "Row", "TwoWayView", "arrow_of", "decide", "replay",
           "report_text", "run_plan", "under"]

#: Decisions that pick how a conflict is resolved (the bisync resolutions).
CONFLICT_DECISIONS = ("newer", "larger", "keep_both")
#: The order ``cycle`` (t in the app, as t cycles the one-way strategy) goes through a conflict's resolutions.
CYCLE = ("skip", "newer", "larger", "left", "right", "keep_both")
DECISION_WORDS = {
    "skip": "skip (leave both sides as they are)",
    "newer": "keep the newer version",
    "larger": "keep the larger version",
    "left": "the left side wins",
    "right": "the right side wins",
    "keep_both": "keep both versions",
    "flip": "flip the direction",
    "cycle": "the next resolution",
    "planned": "back to the planned action",
}
_SHOWN = ("copy", "delete", "conflict")


@dataclass(frozen=True)
class Row:
    """One path: the action as planned, the action a run would take now, and whether it is skipped."""

    planned: BisyncAction
    action: BisyncAction
    skipped: bool = False
    by_hand: bool = False

    @property
    def path(self) -> str:
        return self.action.path


def under(path: str, target: str) -> bool:
    """``path`` is ``target`` or inside the folder ``target`` ("a/b/" or "" for everything)."""
    if target.endswith("/") or target == "":
        return target == "" or path.startswith(target)
    return path == target


def arrow_of(row: Row, plan: BisyncPlan) -> str:
    """→ / ← copies, →✕ / ✕← deletions (on the right / left), ⚡ a conflict (⚡→ ⚡← ⚡⇄ ⚡→✕ ⚡✕← once
    decided), · skipped."""
    a = row.action
    if row.skipped:
        return "·"
    if a.kind == "copy":
        return "→" if a.direction == "left->right" else "←"
    if a.kind == "delete":
        return "→✕" if a.direction == "right" else "✕←"
    if a.kind == "conflict":
        win = conflict_winner(a, plan.listings["left"].get(a.path), plan.listings["right"].get(a.path))
        if win is None:
            return "⚡"
        if a.path not in plan.listings[win]:  # the winner deleted it: deleted on the other side
            return "⚡→✕" if win == "left" else "⚡✕←"
        if a.resolution == "keep_both" and a.path in plan.listings["left"] and a.path in plan.listings["right"]:
            return "⚡⇄"
        return "⚡→" if win == "left" else "⚡←"
    return ""


def _wins(row: Row, side: str, plan: BisyncPlan) -> tuple[Row | None, str]:
    """``row`` with ``side``'s version made the one both sides end with; (None, why) when it cannot be."""
    a, planned = row.action, row.planned
    other = "right" if side == "left" else "left"
    if a.kind == "conflict":
        return replace(row, action=replace(a, resolution=side), skipped=False, by_hand=True), ""
    has = a.path in plan.listings[side]
    if has:
        new = BisyncAction(a.path, "copy", f"{side}->{other}", f"you chose: the {side} side wins "
                           f"(planned: {planned.reason})")
    else:
        new = BisyncAction(a.path, "delete", other, f"you chose: the {side} side wins "
                           f"(planned: {planned.reason})")
    if (new.kind, new.direction) == (planned.kind, planned.direction):
        return replace(row, action=planned, skipped=False, by_hand=False), ""
    if new.kind == "delete":
        return None, f"{a.path} is only on the {other} side: '{side} wins' would delete it there; k skips it"
    return replace(row, action=new, skipped=False, by_hand=True), ""


def _flip_side(row: Row, plan: BisyncPlan) -> str | None:
    """The side that wins once the direction is flipped (None: nothing to flip)."""
    a = row.action
    if row.skipped:
        return None
    if a.kind == "copy":
        return a.direction.split("->")[1]
    if a.kind == "delete":
        return a.direction  # the side it was to be deleted on keeps it, and gets it back on the other side
    if a.kind == "conflict":
        win = conflict_winner(a, plan.listings["left"].get(a.path), plan.listings["right"].get(a.path))
        return None if win is None else ("right" if win == "left" else "left")
    return None


def decide(row: Row, decision: str, plan: BisyncPlan) -> tuple[Row | None, str]:
    """``row`` after one decision, or (None, why not)."""
    a = row.action
    if decision == "planned":
        return Row(row.planned, row.planned), ""
    if decision == "skip":
        if a.kind == "conflict":
            return replace(row, action=replace(a, resolution="skip"), skipped=False, by_hand=True), ""
        return replace(row, skipped=True, by_hand=True), ""
    if decision in CONFLICT_DECISIONS:
        if a.kind != "conflict":
            return None, f"{a.path} is not a conflict: '{DECISION_WORDS[decision]}' is for conflicts."
        return replace(row, action=replace(a, resolution=decision), skipped=False, by_hand=True), ""
    if decision in ("left", "right"):
        return _wins(row, decision, plan)
    if decision == "flip":
        side = _flip_side(row, plan)
        if side is None:
            why = "it is skipped" if row.skipped else "its conflict is not decided yet"
            return None, f"{a.path}: nothing to flip, {why}."
        return _wins(row, side, plan)
    raise ValueError(f"unknown decision {decision!r}")


def replay(plan: BisyncPlan, decisions: list[tuple[str, str]]) -> tuple[list[Row], str, int]:
    """Rows of ``plan`` with ``decisions`` ([(file or "folder/", decision)]) applied in order.

    Returns (rows, a note on the last decision, how many rows it changed)."""
    rows = [Row(a, a) for a in plan.actions]
    note, changed = "", 0
    for target, decision in decisions:
        if decision == "cycle":
            decision = _next_resolution(rows, target)
            if decision is None:
                note, changed = f"No conflict in '{target}': t cycles a conflict's resolution.", 0
                continue
        changed = refused = 0
        why = ""
        for i, row in enumerate(rows):
            if row.action.kind not in _SHOWN or not under(row.path, target):
                continue
            if decision in CONFLICT_DECISIONS and row.action.kind != "conflict" and target != row.path:
                continue  # on a folder, a conflict resolution is for the conflicts in it
            new, reason = decide(row, decision, plan)
            if new is None:
                refused += 1
                why = why or reason
            else:
                changed += new != row
                rows[i] = new
        what = f"'{target}'" if target else "everything"
        note = f"{DECISION_WORDS[decision].capitalize()} for {what}: {changed:,} changed"
        note += f", {refused:,} left as they were ({why})" if refused else "."
    return rows, note, changed


def _next_resolution(rows: list[Row], target: str) -> str | None:
    """The resolution after the one of the first conflict under ``target`` (None: no conflict there)."""
    for row in rows:
        if row.action.kind == "conflict" and under(row.path, target):
            current = row.action.resolution or "skip"
            return CYCLE[(CYCLE.index(current) + 1) % len(CYCLE)] if current in CYCLE else CYCLE[0]
    return None


def run_plan(plan: BisyncPlan, rows: list[Row]) -> BisyncPlan:
    """The plan a run applies: the actions as decided, without what was skipped by hand."""
    return replace(plan, actions=[r.action for r in rows if not r.skipped])


def report_text(plan: BisyncPlan, result: BisyncResult, csv_format: bool = False) -> str:
    """A two-way run's report: JSON (the outcomes as ``fsspeckit-tui bisync --json`` gives them) or CSV."""
    rows = [{"path": p, "what": w, "outcome": o, "error": e} for p, w, o, e in result.outcomes]
    if csv_format:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=["path", "what", "outcome", "error"])
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()
    return json.dumps({"left": plan.left_url, "right": plan.right_url, "first_run": plan.first_run,
                       "ok": result.ok, "cancelled": result.cancelled, "summary": result.summary(),
                       "outcomes": rows, "conflicts_unresolved": result.conflicts_left}, indent=2)


class TwoWayView:
    """What the two-way table shows: conflicts first, then folder rows each followed by their files."""

    def __init__(self, plan: BisyncPlan, rows: list[Row]):
        self.plan = plan
        self.rows = rows
        self._totals: dict[str, list[int]] | None = None
        shown = [r for r in rows if r.action.kind in _SHOWN or r.skipped]
        self.conflicts = sorted((r for r in shown if r.planned.kind == "conflict"), key=lambda r: r.path)
        others = sorted((r for r in shown if r.planned.kind != "conflict"),
                        key=lambda r: (posixpath.dirname(r.path), r.path))
        #: (kind, key, row or folder rows): kind is "conflict", "folder" or "file"
        self.lines: list[tuple[str, str, object]] = [("conflict", r.path, r) for r in self.conflicts]
        groups: dict[str, list[Row]] = {}
        for r in shown:
            groups.setdefault(posixpath.dirname(r.path), []).append(r)
        folder = None
        for r in others:
            parent = posixpath.dirname(r.path)
            if parent != folder:
                folder = parent
                # the folder's own files (its arrow); a decision on it reaches everything under it
                self.lines.append(("folder", parent + "/" if parent else "", groups[parent]))
            self.lines.append(("file", r.path, r))

    def folder_arrow(self, members: list[Row]) -> str:
        arrows = {arrow_of(r, self.plan) for r in members if not r.skipped}
        if not arrows:
            return "·"
        if "⚡" in arrows:
            return "⚡"
        if len(arrows) == 1:
            return arrows.pop()
        kinds = {a.replace("⚡", "") for a in arrows}
        return "⇄" if {"→", "←"} & kinds and len(kinds) > 1 else arrows.pop()

    def deletions(self, side: str) -> list[str]:
        """Every path a run deletes on ``side``: deletions, and conflicts decided for the side that deleted it."""
        gone = "→✕" if side == "right" else "✕←"
        return [r.path for r in self.rows if arrow_of(r, self.plan) in (gone, "⚡" + gone)]

    def totals(self) -> dict[str, list[int]]:
        """{"left->right" / "right->left" / "delete left" / "delete right" / "conflicts" / "unresolved" /
        "skipped": [files, bytes]} (counted once, then kept)."""
        if self._totals is None:
            self._totals = self._count()
        return self._totals

    def _count(self) -> dict[str, list[int]]:
        out = {k: [0, 0] for k in ("left->right", "right->left", "delete left", "delete right", "conflicts",
                                    "unresolved", "skipped")}
        L, R = self.plan.listings["left"], self.plan.listings["right"]
        for r in self.rows:
            a = r.action
            if r.skipped:
                out["skipped"][0] += 1
            elif a.kind == "copy":
                src = L if a.direction == "left->right" else R
                out[a.direction][0] += 1
                out[a.direction][1] += src[a.path].size if a.path in src else 0
            elif a.kind == "delete":
                out[f"delete {a.direction}"][0] += 1
            elif a.kind == "conflict":
                out["conflicts"][0] += 1
                if conflict_winner(a, L.get(a.path), R.get(a.path)) is None:
                    out["unresolved"][0] += 1
        for side in ("left", "right"):
            out[f"delete {side}"][0] = len(self.deletions(side))
        return out
