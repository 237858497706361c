"""Plan: a pure function of two listings and the options, one action per path.

``make_plan`` decides, for every relative path, whether to copy (new), update
(changed), delete (only on the destination), or skip (identical or excluded),
with a reason a person can read and the conflict strategy applied. A ``Plan``
saves to versioned JSON and loads back; ``Plan.override`` changes decisions
before anything is written.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Literal, Mapping

from ..exceptions import OptionError, PlanError
from ..model.entries import Entry, Listing
from ..model.gcpause import gc_paused
from ..model.paths import check_rel
from ..model.units import human_bytes
from .compare import COMPARE_MODES, Category, compare_entries, normalize_compare
from .filters import Filters, selection
from .rename_match import match_moves

logger = logging.getLogger(__name__)

__all__ = [
    "Action",
    "Plan",
    "SyncOptions",
    "Totals",
    "make_plan",
    "compare_entries",
    "conflict_name",
    "kept_conflict_of",
    "COMPARE_MODES",
    "STRATEGIES",
    "PLAN_FORMAT_VERSION",
]

PLAN_FORMAT_VERSION = 1

Kind = Literal["copy", "update", "delete", "skip", "move"]
#: Every kind an action can have (a plan file naming another is refused).
ACTION_KINDS = ("copy", "update", "delete", "skip", "move")

STRATEGIES = ("source_wins", "newer", "larger", "skip", "keep_both")

@dataclass(frozen=True, slots=True)
class SyncOptions:
    """How two trees are compared and what a sync may do."""

    compare: str = "size_mtime"
    strategy: str = "source_wins"
    delete: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    modified_after: float | None = None  # epoch seconds; older source files are left alone
    partitions: str | None = None  # partition predicate text, e.g. "year>=2023 and month=01"
    #: A file moved or renamed on the source is moved on the destination (rclone's --track-renames).
    track_renames: bool = False
    #: rclone-style rules, size and age limits, and --delete-excluded (see ``fsspeckit.planning.filters``).
    filters: Filters | None = None

    def __post_init__(self):
        object.__setattr__(self, "compare", normalize_compare(self.compare))
        if self.strategy not in STRATEGIES:
            raise OptionError(f"Unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}.")
        for name in ("include", "exclude"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value or ()))
        if isinstance(self.modified_after, datetime):
            object.__setattr__(self, "modified_after", self.modified_after.timestamp())
        if isinstance(self.filters, Mapping):
            object.__setattr__(self, "filters", Filters.from_dict(self.filters))

    @property
    def delete_excluded(self) -> bool:
        """Excluded destination files are deleted (a mirror that drops what the filters leave out)."""
        return self.delete and self.filters is not None and self.filters.delete_excluded

    def to_dict(self) -> dict:
        d = asdict(self)
        d["include"] = list(self.include)
        d["exclude"] = list(self.exclude)
        d["filters"] = self.filters.to_dict() if self.filters is not None else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SyncOptions":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for name in ("include", "exclude"):
            if name in known:
                known[name] = tuple(known[name] or ())
        return cls(**known)


@dataclass(slots=True, unsafe_hash=True)
class Action:
    """What the sync will do with one relative path, and why.

    Treat it as immutable (``dataclasses.replace`` makes a changed copy); it is
    not frozen for the same reason as ``Entry``: a plan builds one per path.
    """

    path: str
    kind: Kind
    category: Category
    reason: str
    src: Entry | None = None
    dst: Entry | None = None
    #: keep_both: the destination's version is first renamed to this relative path.
    keep_as: str | None = None
    #: True when the user changed this decision by hand.
    overridden: bool = False
    #: A move: the destination's file at this relative path is moved to ``path``.
    move_from: str | None = None

    @property
    def size(self) -> int:
        """Bytes this action transfers (or frees, for a delete)."""
        if self.kind in ("copy", "update"):
            return self.src.size if self.src else 0
        if self.kind == "delete":
            return self.dst.size if self.dst else 0
        return 0

    @property
    def writes(self) -> bool:
        return self.kind != "skip"

    def to_dict(self) -> dict:
        d = {"path": self.path, "kind": self.kind, "category": self.category, "reason": self.reason}
        if self.src is not None:
            d["src"] = self.src.to_dict()
        if self.dst is not None:
            d["dst"] = self.dst.to_dict()
        if self.keep_as:
            d["keep_as"] = self.keep_as
        if self.overridden:
            d["overridden"] = True
        if self.move_from is not None:
            d["move_from"] = self.move_from
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Action":
        """An action read from a plan file: every field is checked, every path made safe."""
        if not isinstance(d, Mapping):
            raise PlanError(f"an action is {type(d).__name__}, not an object")
        path, kind, keep_as = d.get("path"), d.get("kind"), d.get("keep_as")
        if not isinstance(path, str):
            raise PlanError(f"an action has no text 'path' (got {path!r})")
        if kind not in ACTION_KINDS:
            raise PlanError(f"the action for {path!r} has kind {kind!r}; a plan knows only "
                            + ", ".join(ACTION_KINDS))
        check_rel(path, "plan path")
        if keep_as is not None:
            if not isinstance(keep_as, str):
                raise PlanError(f"the action for {path!r} has a 'keep_as' that is not text")
            check_rel(keep_as, "plan keep_as")
            if kind != "update":
                raise PlanError(f"the action for {path!r} keeps a copy aside but is a {kind}, not an update")
        for side in ("src", "dst"):
            if d.get(side) is not None and not isinstance(d.get(side), Mapping):
                raise PlanError(f"the action for {path!r} has a '{side}' that is not an object")
        _check_move(path, kind, d)
        return cls(
            d["path"], d["kind"], d.get("category", "changed"), d.get("reason", ""),
            Entry.from_dict(d["src"]) if d.get("src") else None,
            Entry.from_dict(d["dst"]) if d.get("dst") else None,
            d.get("keep_as"), bool(d.get("overridden", False)), d.get("move_from"),
        )


def _check_move(path: str, kind: str, d: Mapping) -> None:
    """A plan file's move names a safe old path and both files; nothing else names one."""
    move_from = d.get("move_from")
    if move_from is None:
        if kind == "move":
            raise PlanError(f"the move to {path!r} has no 'move_from'")
        return
    if not isinstance(move_from, str):
        raise PlanError(f"the action for {path!r} has a 'move_from' that is not text")
    check_rel(move_from, "plan move_from")
    if kind not in ("move", "skip") or move_from == path:
        raise PlanError(f"the action for {path!r} moves a file but is a {kind}")
    if kind == "move" and not (d.get("src") and d.get("dst")):
        raise PlanError(f"the move to {path!r} lacks the source or destination file it moves")


@dataclass(frozen=True, slots=True)
class Totals:
    """Files and bytes per action kind."""

    files: Mapping[str, int]
    bytes: Mapping[str, int]

    def __getitem__(self, kind: str) -> tuple[int, int]:
        return self.files.get(kind, 0), self.bytes.get(kind, 0)

    @property
    def transfer_bytes(self) -> int:
        return self.bytes.get("copy", 0) + self.bytes.get("update", 0)


@dataclass(frozen=True)
class Plan:
    """The actions of one sync, in path order, with what they were planned from."""

    actions: tuple[Action, ...]
    options: SyncOptions = field(default_factory=SyncOptions)
    src_url: str = ""
    dst_url: str = ""
    src_root: str = ""
    dst_root: str = ""
    created: float = field(default_factory=time.time)
    #: True where the destination dates files by upload (object stores).
    dst_upload_times: bool = False
    #: Facts about the source listing, to tell an empty source from a typo.
    src_exists: bool = True
    src_files: int = 0
    #: True for a plan read back from JSON: applying it first skips what is already done.
    loaded: bool = field(default=False, compare=False, repr=False)
    #: Source files a text partition predicate selected when planning (None: no predicate, or not counted).
    partition_matches: int | None = field(default=None, compare=False, repr=False)

    # -- queries ----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.actions)

    def __iter__(self):
        return iter(self.actions)

    @property
    def totals(self) -> Totals:
        files: Counter = Counter()
        nbytes: Counter = Counter()
        for a in self.actions:
            files[a.kind] += 1
            nbytes[a.kind] += a.size if a.kind != "skip" else (a.src.size if a.src else 0)
        return Totals(dict(files), dict(nbytes))

    def by_kind(self, *kinds: str) -> list[Action]:
        return [a for a in self.actions if a.kind in kinds]

    @property
    def transfers(self) -> list[Action]:
        return self.by_kind("copy", "update")

    @property
    def deletes(self) -> list[Action]:
        return self.by_kind("delete")

    def get(self, path: str) -> Action | None:
        for a in self.actions:
            if a.path == path:
                return a
        return None

    def summary(self) -> str:
        """One line: files and bytes per action."""
        t = self.totals
        parts = []
        for kind in ("copy", "update", "delete", "skip"):
            n, b = t[kind]
            parts.append(f"{kind} {n} ({human_bytes(b)})")
        if t["move"][0]:
            parts.insert(2, f"move {t['move'][0]} (no bytes copied)")
        return ", ".join(parts)

    # -- overrides --------------------------------------------------------
    def override(self, paths: Iterable[str] | str, decision: str) -> "Plan":
        """Return a plan with the decision for ``paths`` changed by hand.

        A path names a file or a folder (every file under it). Decisions:
        ``exclude`` (leave alone), ``include`` (back to the planned action, or
        copy when it was excluded), ``source_wins`` (copy source over
        destination), ``keep_both`` (keep the destination under a conflict name,
        then copy), ``keep`` (don't delete), ``delete`` (delete a
        destination-only file). A move takes ``move`` (carry it out), ``copy``
        (copy the new path and delete the old one instead) or ``exclude``/``keep``
        (leave both files alone).
        """
        if isinstance(paths, str):
            paths = [paths]
        targets = [p.strip("/") for p in paths]
        new_actions = []
        for a in self.actions:
            if any(t == "" or a.path == t or a.path.startswith(t + "/") for t in targets):
                new_actions.extend(_override_one(a, decision))
            else:
                new_actions.append(a)
        return replace(self, actions=tuple(new_actions))

    # -- persistence ------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "fsspeckit-plan",
            "version": PLAN_FORMAT_VERSION,
            "created": self.created,
            "src_url": self.src_url,
            "dst_url": self.dst_url,
            "src_root": self.src_root,
            "dst_root": self.dst_root,
            "dst_upload_times": self.dst_upload_times,
            "src_exists": self.src_exists,
            "src_files": self.src_files,
            "options": self.options.to_dict(),
            "totals": {k: {"files": v, "bytes": self.totals.bytes.get(k, 0)} for k, v in self.totals.files.items()},
            "actions": [a.to_dict() for a in self.actions],
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def save(self, path) -> None:
        """Write the plan as JSON (to a local path)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Plan":
        if not isinstance(d, Mapping):
            raise PlanError(f"This file is not an fsspeckit plan: it holds a JSON {type(d).__name__}, not an object.")
        if d.get("format") != "fsspeckit-plan":
            raise PlanError("This file is not an fsspeckit plan (its 'format' field is missing or different).")
        version = d.get("version")
        if not isinstance(version, int) or version > PLAN_FORMAT_VERSION:
            raise PlanError(f"This plan has format version {version!r}; this fsspeckit reads versions up to {PLAN_FORMAT_VERSION}.")
        actions = d.get("actions", [])
        if not isinstance(actions, list):
            raise PlanError("The plan file is damaged: its 'actions' is not a list.")
        for name in ("src_url", "dst_url", "src_root", "dst_root"):
            if not isinstance(d.get(name, ""), str):
                raise PlanError(f"The plan file is damaged: its {name!r} is not text.")
        try:
            return cls(
                actions=tuple(Action.from_dict(a) for a in actions),
                options=SyncOptions.from_dict(d.get("options", {})),
                src_url=d.get("src_url", ""),
                dst_url=d.get("dst_url", ""),
                src_root=d.get("src_root", ""),
                dst_root=d.get("dst_root", ""),
                created=float(d.get("created", 0.0)),
                dst_upload_times=bool(d.get("dst_upload_times", False)),
                src_exists=bool(d.get("src_exists", True)),
                src_files=int(d.get("src_files", 0)),
                loaded=True,
            )
        except PlanError as exc:
            raise PlanError(f"The plan file is damaged: {exc}.") from exc
        except KeyError as exc:
            raise PlanError(f"The plan file is damaged: a field {exc} is missing.") from exc
        except (TypeError, ValueError) as exc:
            raise PlanError(f"The plan file is damaged: {exc}.") from exc

    @classmethod
    def from_json(cls, text: str) -> "Plan":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanError(f"The plan file is not valid JSON: {exc}.") from exc
        return cls.from_dict(data)

    @classmethod
    def load(cls, path) -> "Plan":
        with open(path, encoding="utf-8") as f:
            return cls.from_json(f.read())


def _apply_override(a: Action, decision: str) -> Action:
    if decision == "exclude":
        if a.kind == "skip":
            return a
        return replace(a, kind="skip", reason=f"excluded by hand (was: {a.kind})", overridden=True, keep_as=None)
    if decision == "include":
        if a.kind != "skip":
            return a
        if a.src is None:
            return a
        if a.category == "identical":
            return a
        kind = "update" if a.dst is not None else "copy"
        return replace(a, kind=kind, reason="included by hand", overridden=True)
    if decision == "source_wins":
        if a.src is None:
            return a
        kind = "update" if a.dst is not None else "copy"
        return replace(a, kind=kind, keep_as=None, reason="source wins (chosen by hand)", overridden=True)
    if decision in ("destination_wins", "keep"):
        if a.kind == "skip":
            return a
        why = "keep the destination (chosen by hand)" if a.kind != "delete" else "don't delete (chosen by hand)"
        return replace(a, kind="skip", keep_as=None, reason=why, overridden=True)
    if decision == "keep_both":
        if a.src is None or a.dst is None:
            return a
        return replace(a, kind="update", keep_as=conflict_name(a.path, a.dst), reason="keep both (chosen by hand)", overridden=True)
    if decision == "delete":
        if a.src is not None or a.dst is None:
            return a
        return replace(a, kind="delete", reason="delete (chosen by hand)", overridden=True)
    raise OptionError(f"Unknown decision {decision!r}: use exclude, include, source_wins, keep, keep_both or delete.")


def _override_one(a: Action, decision: str) -> list[Action]:
    if a.move_from:
        return _override_move(a, decision)
    return [a] if decision in ("move", "copy") else [_apply_override(a, decision)]


def _override_move(a: Action, decision: str) -> list[Action]:
    """A decision on a move (or a move set aside): one action, or the copy and the delete it stands for."""
    if decision in ("exclude", "keep", "destination_wins"):
        return [replace(a, kind="skip", reason=f"move from {a.move_from} left alone (chosen by hand)", overridden=True)]
    if decision in ("move", "include"):
        return [replace(a, kind="move", reason=f"move from {a.move_from} (chosen by hand)", overridden=True)]
    if decision in ("copy", "source_wins"):
        why = "copy and delete instead of a move (chosen by hand)"
        return [Action(a.path, "copy", "new", why, a.src, None, overridden=True),
                Action(a.move_from, "delete", "dst_only", why, None, a.dst, overridden=True)]
    raise OptionError(f"Unknown decision {decision!r} for a move: use move, copy or exclude.")


def _pair_moves(actions: list[Action]) -> list[Action]:
    """Each one-to-one (copy of a new file, delete of a gone one) holding the same file, as one move."""
    new = {a.path: a.src for a in actions if a.kind == "copy" and a.src is not None and a.dst is None}
    gone = {a.path: a.dst for a in actions if a.kind == "delete" and a.dst is not None and a.src is None}
    found = match_moves(new, gone) if new and gone else {}
    if not found:
        return actions
    moved_away = {old for old, _ in found.values()}
    logger.info("%d files were moved or renamed on the source: moving them on the destination", len(found))
    return [Action(a.path, "move", "moved", f"moved on the source: {found[a.path][1]}", a.src,
                   gone[found[a.path][0]], move_from=found[a.path][0]) if a.path in found else a
            for a in actions if a.path not in moved_away]



def conflict_name(path: str, dst: Entry | None) -> str:
    """Where keep_both puts the destination's version: ``a/b.conflict-YYYYmmdd-HHMMSS.csv``."""
    when = dst.mtime if dst and dst.mtime is not None else time.time()
    stamp = datetime.fromtimestamp(when, tz=timezone.utc).strftime("%Y%m%d-%H%M%S")
    folder, name = posixpath.split(path)
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no extension or dotfile
        new = f"{name}.conflict-{stamp}"
    else:
        new = f"{stem}.conflict-{stamp}.{ext}"
    return posixpath.join(folder, new) if folder else new


_CONFLICT_STAMP = re.compile(r"\.conflict-\d{8}-\d{6}")


def kept_conflict_of(path: str, src_entries) -> str | None:
    """The source path whose keep-both copy ``path`` is (``a/b.conflict-20261201-054206.csv`` -> ``a/b.csv``).

    None when ``path`` is not named like one, or its original is not on the source.
    """
    folder, name = posixpath.split(path)
    for m in _CONFLICT_STAMP.finditer(name):
        original = name[:m.start()] + name[m.end():]
        rel = posixpath.join(folder, original) if folder else original
        if original and rel in src_entries:
            return rel
    return None


def make_plan(
    src: Listing,
    dst: Listing,
    options: SyncOptions | None = None,
    *,
    partition_filter: Callable[[dict], bool] | None = None,
    src_url: str = "",
    dst_url: str = "",
) -> Plan:
    """Decide one action per relative path from two listings. No I/O.

    Paths excluded by globs, filters, partitions or ``modified_after`` are skipped
    on the source side and never deleted on the destination side (unless the
    filters say ``delete_excluded`` and the plan deletes).
    """
    options = options or SyncOptions()
    keep = selection(options, partition_filter)
    upload = dst.upload_times
    after = options.modified_after
    src_entries = src.entries
    dst_entries = dst.entries
    with gc_paused():
        actions = _decide(src_entries, dst_entries, options, keep, after, upload)
        if options.track_renames and options.delete:
            actions = _pair_moves(actions)
    return Plan(
        actions=tuple(actions),
        options=options,
        src_url=src_url,
        dst_url=dst_url,
        src_root=src.root,
        dst_root=dst.root,
        dst_upload_times=upload,
        src_exists=src.exists,
        src_files=len(src_entries),
    )


def _decide(src_entries: dict, dst_entries: dict, options: SyncOptions, keep, after, upload: bool) -> list[Action]:
    """One action per path of either side (the loop of ``make_plan``)."""
    compare = options.compare
    strategy = options.strategy
    actions: list[Action] = []
    append = actions.append
    for path in sorted(src_entries.keys() | dst_entries.keys()):
        s = src_entries.get(path)
        d = dst_entries.get(path)
        if keep is not None and not keep(path, s, d):
            append(_excluded(path, s, d, options))
            continue
        if s is None:
            original = kept_conflict_of(path, src_entries) if options.delete else None
            if original is not None:
                # A copy keep_both set aside: deleting it on the next mirror would undo that choice.
                append(Action(path, "skip", "dst_only", f"kept copy of a conflict of {original} (keep both)", None, d))
                continue
            if options.delete:
                append(Action(path, "delete", "dst_only", "only in destination", None, d))
            else:
                append(Action(path, "skip", "dst_only", "only in destination (deletion off)", None, d))
            continue
        if after is not None and (s.mtime is None or s.mtime < after):
            append(Action(path, "skip", "excluded", "modified before the cut-off", s, d))
            continue
        if d is None:
            append(Action(path, "copy", "new", "only in source", s, None))
            continue
        category, reason = compare_entries(s, d, compare, upload)
        if category == "identical":
            append(Action(path, "skip", "identical", reason, s, d))
        elif category == "changed" and strategy in ("source_wins", "keep_both"):
            append(Action(path, "update", "changed", reason, s, d))
        else:
            append(_resolve(path, s, d, category, reason, strategy, upload))
    return actions


def _excluded(path: str, s: Entry | None, d: Entry | None, options: SyncOptions) -> Action:
    if d is not None and options.delete_excluded:
        return Action(path, "delete", "excluded", "excluded by filter (--delete-excluded)", None, d)
    return Action(path, "skip", "excluded", "excluded by filter", s, d)


def _resolve(path: str, s: Entry, d: Entry, category: str, reason: str, strategy: str, upload: bool) -> Action:
    """Apply the strategy to a changed or conflicting pair."""
    if strategy == "source_wins":
        return Action(path, "update", category, f"{reason}; source wins", s, d)
    if strategy == "skip":
        # "Skip conflicts": a destination that looks newer is kept, a plain change is copied.
        if category == "conflict":
            return Action(path, "skip", category, f"{reason}; destination kept (strategy 'skip')", s, d)
        return Action(path, "update", category, reason, s, d)
    if strategy == "keep_both":
        if category == "conflict":
            return Action(path, "update", category, f"{reason}; keeping both", s, d, keep_as=conflict_name(path, d))
        return Action(path, "update", category, reason, s, d)
    if strategy == "larger":
        if s.size > d.size:
            return Action(path, "update", category, f"{reason}; source is larger", s, d)
        return Action(path, "skip", category, f"{reason}; destination is not smaller (strategy 'larger')", s, d)
    # newer
    if upload:
        # An object store dates a copy by its upload: only a source modified after
        # the upload is newer.
        if s.mtime is not None and d.mtime is not None and s.mtime > d.mtime:
            return Action(path, "update", category, f"{reason}; source modified after the upload", s, d)
        return Action(path, "skip", category, f"{reason}; destination uploaded after the source's last change (strategy 'newer')", s, d)
    if category == "conflict":
        return Action(path, "skip", category, f"{reason}; destination kept (strategy 'newer')", s, d)
    return Action(path, "update", category, f"{reason}; source is newer", s, d)
