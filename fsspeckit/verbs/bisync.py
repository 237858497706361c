"""Two-way sync: what each side looked like after the last sync, changes from both sides, real conflicts.

Like FreeFileSync's two-way mode or rclone ``bisync``: a **state** per pair of
locations (and filters) records, for every path, what each side held after
the last sync (size, time, MD5 where the store gives one). A run lists both
sides and compares each with the state, so it can tell a new file from one
deleted on the other side, and a change on one side from changes on both:

=====================  =====================  ================================
left                   right                  action
=====================  =====================  ================================
unchanged              unchanged              nothing
changed / new          unchanged / missing*   copy left → right
unchanged / missing*   changed / new          copy right → left
deleted                unchanged              delete on the right
unchanged              deleted                delete on the left
changed                changed (differently)  **conflict** "changed on both sides"
deleted                changed                **conflict** "deleted on the left, changed on the right"
new                    new (differently)      **conflict** "created on both sides"
=====================  =====================  ================================

(* missing and not in the state: new on the other side.) A conflict is
resolved by ``conflict=``: ``skip`` (default: reported, nothing written),
``newer``, ``larger``, ``left``, ``right``, or ``keep_both``: the winner by
time keeps the name on both sides, the other version is kept beside it on
both sides as ``name.conflict-<side>-<YYYYmmddTHHMMSS>.ext``, an ordinary file
from then on (recorded in the state, so later runs neither delete it nor copy
it back and forth).

The first run, or one with ``resync=True``, has no state to go by: it merges
safely — what is missing on a side is copied to it, paths that differ are
conflicts — and never deletes. Deletions are guarded per side: a side that
lists empty while the state knows files, or that lost more than
``max_delete`` percent of them since the last sync, aborts the run
(``allow_delete_all=True`` to proceed).

The state is a SQLite file in the user's data folder (``$FSKIT_DATA_DIR``,
default ``~/.local/share/fsspeckit``; ``state_dir=`` elsewhere), never on the
synced trees. Each action that succeeds is recorded in its own transaction as
soon as it is done, and nothing else is: a run killed half-way leaves a state
from which the next run does only what is left. A path whose copy did not
finish is not in the state for the other side, so it is copied again — never
taken for a deletion.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import os
import posixpath
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from ..backends.filesystem import unwrap
from ..backends.local import local_escape
from ..backends.retry import retry_call
from ..backends.transfer import copy_file, file_md5, is_local
from ..exceptions import DeleteLimitError, FsspeckitError, OptionError, SourceNotFoundError, describe_error
from ..listing.tree import entry_from_info, list_tree
from ..model.defaults import DEFAULT_WORKERS
from ..model.entries import Entry, join_path
from ..planning.compare import LOCAL_WINDOW
from ..planning.filters import Filters, path_filter
from .sync import url_of

logger = logging.getLogger(__name__)

__all__ = ["bisync", "plan_bisync", "BisyncAction", "BisyncPlan", "BisyncResult", "CONFLICT_CHOICES", "conflict_winner",
           "state_path"]

CONFLICT_CHOICES = ("skip", "newer", "larger", "left", "right", "keep_both")
SIDES = ("left", "right")
_OTHER = {"left": "right", "right": "left"}
#: times closer than this are the same time (FAT and some stores keep 1-2 s)
_TIME_SLACK = 2.0


@dataclass
class BisyncAction:
    """What to do with one path, and why."""

    path: str
    kind: str  # copy / delete / conflict / record / forget
    direction: str | None = None  # "left->right" / "right->left" for copies; the side deleted on for deletes
    reason: str = ""
    #: for conflicts: the chosen resolution (None until resolved, "skip" to leave it)
    resolution: str | None = None


@dataclass
class BisyncPlan:
    left_url: str
    right_url: str
    actions: list[BisyncAction]
    first_run: bool
    listings: dict = field(default_factory=dict, repr=False)

    @property
    def conflicts(self) -> list[BisyncAction]:
        return [a for a in self.actions if a.kind == "conflict"]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            key = a.kind if a.kind != "copy" else f"copy {a.direction}"
            out[key] = out.get(key, 0) + 1
        return out


@dataclass
class BisyncResult:
    """What a two-way run did: per path, (path, what, outcome, error)."""

    outcomes: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    conflicts_left: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: the run was stopped (``cancel``) before every action ran
    cancelled: bool = False

    @property
    def failed(self) -> list[tuple[str, str, str, str | None]]:
        return [o for o in self.outcomes if o[2] == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.conflicts_left and not self.cancelled

    def count(self, what: str) -> int:
        return sum(1 for o in self.outcomes if o[1] == what and o[2] == "done")

    def summary(self) -> str:
        text = (f"copied {self.count('copy left->right')} left→right, {self.count('copy right->left')} right→left, "
                f"deleted {self.count('delete left')} on the left and {self.count('delete right')} on the right, "
                f"failed {len(self.failed)}, conflicts left unresolved {len(self.conflicts_left)}")
        return ("dry run: " + text) if self.dry_run else text


# --- state ------------------------------------------------------------------

def _state_key(include, exclude, partitions, rules) -> dict:
    """The filters a state belongs to (rules only when given, so older states keep their key)."""
    key = {"include": list(include), "exclude": list(exclude), "partitions": partitions or ""}
    if rules:
        key["rules"] = list(rules)
    return key


def state_path(left_url: str, right_url: str, filters: dict | None = None, state_dir: str | os.PathLike | None = None) -> Path:
    """Where the state of this pair of locations (with these filters) is kept."""
    key = json.dumps({"left": left_url, "right": right_url, "filters": filters or {}}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    if state_dir is None:
        explicit = os.environ.get("FSKIT_DATA_DIR")
        base = Path(explicit).expanduser() if explicit else Path(
            os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")) / "fsspeckit"
        state_dir = base / "bisync"
    return Path(state_dir) / f"{digest}.sqlite"


class _State:
    """The SQLite state: one row per path with what each side held after the last sync."""

    def __init__(self, path: Path, left_url: str, right_url: str, filters: dict):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, "
                         "l_size INTEGER, l_mtime REAL, l_md5 TEXT, r_size INTEGER, r_mtime REAL, r_md5 TEXT)")
        row = self._db.execute("SELECT value FROM meta WHERE key='pair'").fetchone()
        pair = json.dumps({"left": left_url, "right": right_url, "filters": filters}, sort_keys=True)
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('pair', ?)", (pair,))
        elif row[0] != pair:
            raise FsspeckitError(f"The state file {path} belongs to another pair of locations.")

    @property
    def exists(self) -> bool:
        row = self._db.execute("SELECT value FROM meta WHERE key='complete'").fetchone()
        return row is not None

    def rows(self) -> dict[str, tuple]:
        return {r[0]: r[1:] for r in self._db.execute("SELECT * FROM files")}

    def put(self, path: str, left: Entry | None, right: Entry | None) -> None:
        with self._lock:
            if left is None and right is None:
                self._db.execute("DELETE FROM files WHERE path=?", (path,))
                return
            self._db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?,?)", (
                path, *(_row(left)), *(_row(right))))

    def forget(self, path: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM files WHERE path=?", (path,))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM files")
            self._db.execute("DELETE FROM meta WHERE key='complete'")

    def mark_complete(self) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('complete', ?)", (str(time.time()),))

    def close(self) -> None:
        self._db.close()


def _row(e: Entry | None) -> tuple:
    return (None, None, None) if e is None else (e.size, e.mtime, e.md5)


def _same_as_state(e: Entry, size, mtime, md5) -> bool:
    if size is None:
        return False
    if e.size != size:
        return False
    if e.md5 and md5:
        return e.md5 == md5
    if e.mtime is None or mtime is None:
        return True
    return abs(e.mtime - mtime) <= _TIME_SLACK


def _same_content(a: Entry, b: Entry) -> bool | None:
    """True/False when the listings can tell, None when only a hash could."""
    if a.size != b.size:
        return False
    if a.md5 and b.md5:
        return a.md5 == b.md5
    return None


# --- planning ----------------------------------------------------------------

def plan_bisync(left_fs, right_fs, left_path: str = "", right_path: str = "", *, include=(), exclude=(),
                partitions: str | None = None, state_dir=None, resync: bool = False,
                conflict: str = "skip", max_delete: float = 50.0, allow_delete_all: bool = False,
                rules=()) -> BisyncPlan:
    """List both sides, compare them with the state, and say what a two-way run would do.

    ``rules`` are rclone filter rules (``+ GLOB``/``- GLOB``/``!``, first match wins)."""
    if conflict not in CONFLICT_CHOICES:
        raise OptionError(f"conflict must be one of {', '.join(CONFLICT_CHOICES)}, not {conflict!r}.")

    left_url, right_url = url_of(left_fs, left_path), url_of(right_fs, right_path)
    filters = _state_key(include, exclude, partitions, rules)
    keep = path_filter(SimpleNamespace(include=tuple(include), exclude=tuple(exclude), partitions=partitions,
                                       filters=Filters(rules=tuple(rules)) if rules else None))
    listings = {}
    for side, fs, path in (("left", left_fs, left_path), ("right", right_fs, right_path)):
        listing = list_tree(fs, path, role="source" if side == "left" else "destination")
        if not listing.exists:
            raise SourceNotFoundError(f"The {side} side {url_of(fs, path)} does not exist; nothing was changed.")
        listings[side] = {p: e for p, e in listing.entries.items() if keep is None or keep(p)}
    state = _State(state_path(left_url, right_url, filters, state_dir), left_url, right_url, filters)
    try:
        first = resync or not state.exists
        rows = {} if first else state.rows()
    finally:
        state.close()
    L, R = listings["left"], listings["right"]
    _hash_undecided(L, R, rows, {"left": left_fs, "right": right_fs}, {"left": left_path, "right": right_path})
    actions: list[BisyncAction] = []
    for path in sorted(set(L) | set(R) | set(rows)):
        a = _decide(path, L.get(path), R.get(path), rows.get(path), first)
        if a is not None:
            if a.kind == "conflict":
                a.resolution = conflict
            actions.append(a)
    if not first:
        _check_deletes(actions, rows, L, R, max_delete, allow_delete_all, left_url, right_url)
    return BisyncPlan(left_url, right_url, actions, first, listings)


def _hash_undecided(L, R, rows, fss, roots) -> None:
    """Paths on both sides with no state, the same size and no MD5 to compare: hash the local side(s).

    (A copy whose state line was lost to a kill looks like this; so does a
    first run over trees copied by another tool. One read each, only for them.)
    """
    for path in set(L) & set(R):
        if path in rows:
            continue
        left, right = L[path], R[path]
        if _same_content(left, right) is not None:
            continue
        if left.mtime is not None and right.mtime is not None and abs(left.mtime - right.mtime) <= _TIME_SLACK:
            continue
        for side, e in (("left", left), ("right", right)):
            if e.md5 is None:
                backend, base = unwrap(fss[side], roots[side])
                if is_local(backend):
                    e.md5 = file_md5(backend, join_path(base, path))


def _decide(path: str, left: Entry | None, right: Entry | None, row: tuple | None, first: bool) -> BisyncAction | None:
    if row is None:
        if left is not None and right is not None:
            same = _same_content(left, right)
            if same or (same is None and left.mtime is not None and right.mtime is not None
                        and abs(left.mtime - right.mtime) <= _TIME_SLACK):
                return BisyncAction(path, "record", reason="the same on both sides")
            why = "created on both sides" if not first else "differs between the sides (no state to tell which changed)"
            return BisyncAction(path, "conflict", reason=why)
        if left is not None:
            return BisyncAction(path, "copy", "left->right", "new on the left")
        if right is not None:
            return BisyncAction(path, "copy", "right->left", "new on the right")
        return None
    l_state, r_state = row[0:3], row[3:6]
    l_changed = left is not None and not _same_as_state(left, *l_state)
    r_changed = right is not None and not _same_as_state(right, *r_state)
    if left is not None and right is not None:
        if not l_changed and not r_changed:
            return None
        if l_changed and r_changed:
            if _same_content(left, right):
                return BisyncAction(path, "record", reason="changed the same way on both sides")
            return BisyncAction(path, "conflict", reason="changed on both sides")
        if l_changed:
            return BisyncAction(path, "copy", "left->right", "changed on the left")
        return BisyncAction(path, "copy", "right->left", "changed on the right")
    if left is None and right is None:
        return BisyncAction(path, "forget", reason="deleted on both sides")
    if left is None:
        if r_changed:
            return BisyncAction(path, "conflict", reason="deleted on the left, changed on the right")
        if l_state[0] is None:
            return BisyncAction(path, "copy", "right->left", "not yet on the left")  # an unfinished copy
        return BisyncAction(path, "delete", "right", "deleted on the left")
    if l_changed:
        return BisyncAction(path, "conflict", reason="changed on the left, deleted on the right")
    if r_state[0] is None:
        return BisyncAction(path, "copy", "left->right", "not yet on the right")
    return BisyncAction(path, "delete", "left", "deleted on the right")


def _check_deletes(actions, rows, L, R, max_delete, allow_delete_all, left_url, right_url) -> None:
    if allow_delete_all or not rows:
        return
    known = len(rows)
    for side, listing, url in (("left", L, left_url), ("right", R, right_url)):
        if not listing:
            raise DeleteLimitError(f"The {side} side {url} lists no files, but the last sync left {known} there; "
                                   "nothing was changed (pass allow_delete_all / --force if that is meant).")
        lost = sum(1 for a in actions if a.kind == "delete" and a.direction == _OTHER[side])
        if max_delete is not None and lost and 100.0 * lost / known > max_delete:
            raise DeleteLimitError(
                f"{lost} of the {known} files of the last sync are gone from the {side} side ({100.0 * lost / known:.0f} %, "
                f"more than the {max_delete:g} % allowed); nothing was changed (--max-delete, or --force).")


# --- applying ----------------------------------------------------------------

def _winner(a: BisyncAction, left: Entry, right: Entry) -> str | None:
    r = a.resolution
    if r in ("left", "right"):
        return r
    if r == "newer":
        if left is None or right is None:
            return "left" if right is None else "right"
        return "left" if (left.mtime or 0) >= (right.mtime or 0) else "right"
    if r == "larger":
        if left is None or right is None:
            return "left" if right is None else "right"
        return "left" if left.size >= right.size else "right"
    if r == "keep_both":
        if left is None or right is None:
            return "left" if right is None else "right"
        return "left" if (left.mtime or 0) >= (right.mtime or 0) else "right"
    return None


def conflict_winner(action: BisyncAction, left: Entry | None, right: Entry | None) -> str | None:
    """Which side a conflict's resolution keeps ("left"/"right"), or None when it is left as it is."""
    return _winner(action, left, right)


def conflict_name(path: str, side: str, when: float | None = None) -> str:
    """The name the losing version of a ``keep_both`` conflict is kept under."""
    folder, name = posixpath.split(path)
    stem, ext = posixpath.splitext(name)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(when if when is not None else time.time()))
    return posixpath.join(folder, f"{stem}.conflict-{side}-{stamp}{ext}")


def _remove(backend, path: str, retries: int, backoff: float) -> None:
    """Delete one file; one that is gone already is what was asked."""
    try:
        retry_call(lambda: backend.rm_file(path), retries=retries, backoff=backoff)
    except FileNotFoundError:
        pass


def _moved_on(backend, path: str, planned: Entry | None) -> str | None:
    """How the file at ``path`` differs from ``planned`` (None: the plan's version, or nothing to lose).

    On a local disk by size and time; on an object store by size and content
    hash, as a fresh stat does not carry the time a listing gave. A file gone
    since is nothing to lose.
    """
    try:
        if is_local(backend):
            st = os.stat(path)
            now = Entry("", st.st_size, st.st_mtime)
        else:
            backend.invalidate_cache(path)
            now = entry_from_info("", backend.info(path))
    except FileNotFoundError:
        return None
    if planned is None:
        return "appeared"
    if now.size != planned.size:
        return f"changed ({planned.size} -> {now.size} bytes)"
    if is_local(backend):
        if planned.mtime is not None and abs(now.mtime - planned.mtime) > LOCAL_WINDOW:
            return "was modified"
    else:
        old, new = planned.md5 or planned.etag, now.md5 or now.etag
        if old and new and old.strip('"') != new.strip('"'):
            return "was rewritten"
    return None


def _run_reporting(run, actions: list, max_workers: int, progress) -> list:
    """``run`` each action on a pool; ``progress`` hears of each as it ends, the result keeps plan order.

    Reporting in plan order would hide every finished file behind the first slow one.
    """
    done: dict[int, list] = {}
    with cf.ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        futures = {pool.submit(run, a): i for i, a in enumerate(actions)}
        for future in cf.as_completed(futures):
            outs = future.result()
            done[futures[future]] = outs
            if progress is not None:
                progress(outs)
    return [o for i in range(len(actions)) for o in done[i]]


def bisync(left_fs, right_fs, left_path: str = "", right_path: str = "", *, plan: BisyncPlan | None = None,
           dry_run: bool = False, max_workers: int = DEFAULT_WORKERS, retries: int = 3, backoff: float = 0.5,
           state_dir=None, include=(), exclude=(), partitions: str | None = None, resync: bool = False,
           conflict: str = "skip", max_delete: float = 50.0, allow_delete_all: bool = False, rules=(),
           progress=None, cancel: threading.Event | None = None) -> BisyncResult:
    """Bring two locations in step, both ways (see the module docstring). Returns a ``BisyncResult``.

    ``progress(outcomes)`` is called, in the calling thread, with the outcomes
    of each action as it finishes. Setting ``cancel`` stops the run between
    files: actions not started are "cancelled", no deletion runs, and the state
    keeps only what was done (it is not marked complete).
    """
    given = plan is not None  # planned earlier (the app's confirm screen): a side may have moved on since
    if plan is None:
        plan = plan_bisync(left_fs, right_fs, left_path, right_path, include=include, exclude=exclude,
                           partitions=partitions, state_dir=state_dir, resync=resync, conflict=conflict,
                           max_delete=max_delete, allow_delete_all=allow_delete_all, rules=rules)
    result = BisyncResult(dry_run=dry_run)
    if dry_run:
        L, R = plan.listings["left"], plan.listings["right"]
        for a in plan.actions:
            result.outcomes.append((a.path, _what(a), "skipped", "dry run"))
        result.conflicts_left = [a.path for a in plan.conflicts if _winner(a, L.get(a.path), R.get(a.path)) is None]
        return result
    filters = _state_key(include, exclude, partitions, rules)
    state = _State(state_path(plan.left_url, plan.right_url, filters, state_dir), plan.left_url, plan.right_url,
                   filters)
    if plan.first_run:
        state.clear()
    run = _Run(plan, {"left": (left_fs, left_path), "right": (right_fs, right_path)}, given, state, result,
               retries, backoff, cancel)
    try:
        writes = [a for a in plan.actions if a.kind != "delete"]
        deletes = [a for a in plan.actions if a.kind == "delete"]
        result.outcomes.extend(_run_reporting(run.one, writes, max_workers, progress))
        stopped = cancel is not None and cancel.is_set()
        if result.failed or stopped:
            # as in one-way syncs: no deletions after a failed copy (or a stopped run)
            why = "not deleted: a copy failed" if result.failed else "not deleted: the run was stopped"
            held = [(a.path, f"delete {a.direction}", "skipped", why) for a in deletes]
            result.outcomes.extend(held)
            if progress is not None and held:
                progress(held)
        else:
            result.outcomes.extend(_run_reporting(run.one, deletes, max_workers, progress))
        stopped = cancel is not None and cancel.is_set()
        result.cancelled = stopped
        if not result.failed and not stopped:
            state.mark_complete()
    finally:
        state.close()
    return result


def _what(a: BisyncAction) -> str:
    return f"{a.kind} {a.direction}" if a.direction else a.kind


class _Run:
    """Carries out the actions of one two-way plan, one path at a time (called from worker threads)."""

    def __init__(self, plan: BisyncPlan, sides: dict, given: bool, state: "_State", result: BisyncResult,
                 retries: int, backoff: float, cancel: threading.Event | None):
        self.sides = sides
        self.listed = {"left": plan.listings["left"], "right": plan.listings["right"]}
        self.given = given
        self.state = state
        self.result = result
        self.retries, self.backoff = retries, backoff
        self.cancel = cancel
        self.lock = threading.Lock()

    def where(self, side: str, rel: str):
        fs, root = self.sides[side]
        backend, base = unwrap(fs, root)
        return backend, join_path(base, rel)

    def target(self, side: str, rel: str, new_name: bool = False):
        """Where to write or delete: never through a symbolic link that leads out of the side's root.

        Nor over a version the plan did not see: a plan made earlier is checked
        against what the side holds now, and a name made up for a kept version
        (``new_name``) must be free.
        """
        backend, path = self.where(side, rel)
        if is_local(backend):
            why = local_escape(unwrap(*self.sides[side])[1], path)
            if why:
                raise FsspeckitError(why)
        if new_name or self.given:
            planned = None if new_name else self.listed[side].get(rel)
            why = _moved_on(backend, path, planned)
            if why:
                raise FsspeckitError(f"{rel} {why} on the {side} since the plan; not replaced (run again to "
                                     "plan it anew)")
        return backend, path

    def listed_after(self, side: str, rel: str, expect: Entry) -> Entry:
        """What the written side holds now (an object store dates it by the upload)."""
        backend, path = self.where(side, rel)
        if is_local(backend):
            st = os.stat(path)
            return Entry(rel, st.st_size, st.st_mtime, expect.md5)
        got = entry_from_info(rel, backend.info(path))
        return Entry(rel, got.size, got.mtime, got.md5 or expect.md5)

    def copy(self, rel: str, frm: str, to: str, to_rel: str | None = None) -> Entry:
        """Copy ``rel`` from side ``frm`` to side ``to`` (as ``to_rel``, a name that must be free)."""
        e = self.listed[frm][rel]
        src_b, src_p = self.where(frm, rel)
        dst_b, dst_p = self.target(to, to_rel or rel, new_name=to_rel is not None)
        retry_call(lambda: copy_file(src_b, src_p, dst_b, dst_p, size=e.size, mtime=e.mtime, etag=e.etag,
                                     md5=e.md5, crc32c=e.crc32c), retries=self.retries, backoff=self.backoff)
        return self.listed_after(to, to_rel or rel, e)

    def record(self, rel: str, frm: str, kept: Entry, written: Entry) -> None:
        """Remember ``rel`` as in step: ``kept`` on side ``frm``, ``written`` on the other."""
        self.state.put(rel, *((kept, written) if frm == "left" else (written, kept)))

    def one(self, a: BisyncAction) -> list[tuple[str, str, str, str | None]]:
        rel = a.path
        if self.cancel is not None and self.cancel.is_set():
            return [(rel, _what(a), "cancelled", "the run was stopped before this file")]
        try:
            if a.kind == "record":
                self.state.put(rel, self.listed["left"][rel], self.listed["right"][rel])
                return []
            if a.kind == "forget":
                self.state.forget(rel)
                return []
            if a.kind == "copy":
                frm, to = a.direction.split("->")
                self.record(rel, frm, self.listed[frm][rel], self.copy(rel, frm, to))
                return [(rel, f"copy {a.direction}", "done", None)]
            if a.kind == "delete":
                backend, path = self.target(a.direction, rel)
                _remove(backend, path, self.retries, self.backoff)
                self.state.forget(rel)
                return [(rel, f"delete {a.direction}", "done", None)]
            return self.conflict(a)
        except Exception as exc:  # noqa: BLE001 - one path's failure is in the result
            logger.warning("failed %s %s: %s", _what(a), rel, describe_error(exc))
            return [(rel, _what(a), "failed", describe_error(exc))]

    def conflict(self, a: BisyncAction) -> list[tuple[str, str, str, str | None]]:
        rel = a.path
        win = _winner(a, self.listed["left"].get(rel), self.listed["right"].get(rel))
        if win is None:
            with self.lock:
                self.result.conflicts_left.append(rel)
            return [(rel, "conflict", "skipped", a.reason)]
        lose = _OTHER[win]
        done = []
        winner_entry, loser_entry = self.listed[win].get(rel), self.listed[lose].get(rel)
        if a.resolution == "keep_both" and loser_entry is not None:
            done.append(self.keep_aside(rel, lose, win, loser_entry))
        if winner_entry is None:  # the winner deleted it
            backend, path = self.target(lose, rel)
            retry_call(lambda: backend.rm_file(path), retries=self.retries, backoff=self.backoff)
            self.state.forget(rel)
            done.append((rel, f"delete {lose}", "done", f"conflict resolved: {a.resolution}"))
            return done
        self.record(rel, win, winner_entry, self.copy(rel, win, lose))
        done.append((rel, f"copy {win}->{lose}", "done", f"conflict resolved: {a.resolution}"))
        return done

    def keep_aside(self, rel: str, lose: str, win: str, loser_entry: Entry) -> tuple[str, str, str, str]:
        """Keep the losing version beside ``rel``, on both sides, before the name is overwritten."""
        aside = conflict_name(rel, lose, loser_entry.mtime)
        on_loser = self.target(lose, aside, new_name=True)
        src = self.where(lose, rel)
        retry_call(lambda: copy_file(src[0], src[1], on_loser[0], on_loser[1], size=loser_entry.size,
                                     mtime=loser_entry.mtime, etag=loser_entry.etag, md5=loser_entry.md5),
                   retries=self.retries, backoff=self.backoff)
        kept = self.listed_after(lose, aside, loser_entry)
        self.listed[lose][aside] = kept
        self.record(aside, lose, kept, self.copy(aside, lose, win))
        return (aside, f"copy {lose}->{win}", "done", "kept both: the other version")
