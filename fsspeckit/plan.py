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

from .exceptions import PlanError
from .listing import Entry, Listing

logger = logging.getLogger(__name__)

__all__ = [
    "Action",
    "Plan",
    "SyncOptions",
    "Totals",
    "make_plan",
    "compare_entries",
    "conflict_name",
    "COMPARE_MODES",
    "STRATEGIES",
    "PLAN_FORMAT_VERSION",
]

PLAN_FORMAT_VERSION = 1

Kind = Literal["copy", "update", "delete", "skip"]
#: FreeFileSync-like categories of a path, before the strategy decides.
Category = Literal["new", "changed", "conflict", "identical", "dst_only", "excluded"]

COMPARE_MODES = ("size_mtime", "size", "checksum", "always")
STRATEGIES = ("source_wins", "newer", "larger", "skip", "keep_both")
_COMPARE_ALIASES = {"size+mtime": "size_mtime", "mtime": "size_mtime", "default": "size_mtime", "hash": "checksum", "md5": "checksum"}

#: On a destination that keeps its own times (local), a copy is dated like its source;
#: times closer than this are equal (float rounding of nanosecond times).
LOCAL_WINDOW = 0.002
#: Object stores record upload times at one-second precision: a copy is "clearly
#: newer than its source" only beyond this margin; inside it, hashes decide.
UPLOAD_WINDOW = 2.0


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

    def __post_init__(self):
        compare = _COMPARE_ALIASES.get(self.compare, self.compare)
        object.__setattr__(self, "compare", compare)
        if compare not in COMPARE_MODES:
            raise ValueError(f"Unknown compare mode {self.compare!r}: use one of {', '.join(COMPARE_MODES)}.")
        if self.strategy not in STRATEGIES:
            raise ValueError(f"Unknown strategy {self.strategy!r}: use one of {', '.join(STRATEGIES)}.")
        for name in ("include", "exclude"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, (value,))
            elif not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value or ()))
        if isinstance(self.modified_after, datetime):
            object.__setattr__(self, "modified_after", self.modified_after.timestamp())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["include"] = list(self.include)
        d["exclude"] = list(self.exclude)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SyncOptions":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        for name in ("include", "exclude"):
            if name in known:
                known[name] = tuple(known[name] or ())
        return cls(**known)


@dataclass(frozen=True, slots=True)
class Action:
    """What the sync will do with one relative path, and why."""

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
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Action":
        return cls(
            d["path"], d["kind"], d.get("category", "changed"), d.get("reason", ""),
            Entry.from_dict(d["src"]) if d.get("src") else None,
            Entry.from_dict(d["dst"]) if d.get("dst") else None,
            d.get("keep_as"), bool(d.get("overridden", False)),
        )


@dataclass(frozen=True, slots=True)
class Totals:
    """Files and bytes per action kind."""

    files: Mapping[str, int]
    bytes: Mapping[str, int]

    def __getitem__(self, kind: str) -> tuple[int, int]:
        return self.files.get(kind, 0), self.bytes.get(kind, 0)

    @property
    def transfer_files(self) -> int:
        return self.files.get("copy", 0) + self.files.get("update", 0)

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
            parts.append(f"{kind} {n} ({_human(b)})")
        return ", ".join(parts)

    # -- overrides --------------------------------------------------------
    def override(self, paths: Iterable[str] | str, decision: str) -> "Plan":
        """Return a plan with the decision for ``paths`` changed by hand.

        A path names a file or a folder (every file under it). Decisions:
        ``exclude`` (leave alone), ``include`` (back to the planned action, or
        copy when it was excluded), ``source_wins`` (copy source over
        destination), ``keep_both`` (keep the destination under a conflict name,
        then copy), ``keep`` (don't delete), ``delete`` (delete a
        destination-only file).
        """
        if isinstance(paths, str):
            paths = [paths]
        targets = [p.strip("/") for p in paths]
        new_actions = []
        for a in self.actions:
            if any(t == "" or a.path == t or a.path.startswith(t + "/") for t in targets):
                new_actions.append(_apply_override(a, decision))
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
        if d.get("format") != "fsspeckit-plan":
            raise PlanError("This file is not an fsspeckit plan (its 'format' field is missing or different).")
        version = d.get("version")
        if not isinstance(version, int) or version > PLAN_FORMAT_VERSION:
            raise PlanError(f"This plan has format version {version!r}; this fsspeckit reads versions up to {PLAN_FORMAT_VERSION}.")
        try:
            return cls(
                actions=tuple(Action.from_dict(a) for a in d.get("actions", [])),
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
        except (KeyError, TypeError, ValueError) as exc:
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
    raise ValueError(f"Unknown decision {decision!r}: use exclude, include, source_wins, keep, keep_both or delete.")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


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


# --- comparison ------------------------------------------------------------

def compare_entries(src: Entry, dst: Entry, compare: str, dst_upload_times: bool) -> tuple[Category, str]:
    """Compare one path present on both sides: (category, reason).

    ``conflict`` means the destination looks newer than the source, so the
    strategy decides; ``changed`` means the source should replace it.
    """
    if compare == "always":
        return "changed", "compare mode 'always'"
    same_size = src.size == dst.size
    if compare == "size":
        return ("identical", "same size") if same_size else ("changed", f"size differs ({src.size} vs {dst.size} bytes)")
    hashes = _comparable_hash(src, dst)
    if compare == "checksum":
        if not same_size:
            return "changed", f"size differs ({src.size} vs {dst.size} bytes)"
        if hashes is None:
            return "changed", "no comparable checksum on both sides; copying to be safe"
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
    if delta < 0:
        return "changed", "same size, source is newer"
    return "conflict", "same size, destination is newer than source"


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


# --- the plan --------------------------------------------------------------

def _glob_to_regex(patterns: tuple[str, ...]) -> re.Pattern | None:
    """Compile globs: a pattern with '/' matches the whole relative path,
    one without matches any path segment or the file name (like rsync/rclone);
    ``**`` crosses folders."""
    if not patterns:
        return None
    parts = []
    for pat in patterns:
        anchored = "/" in pat.strip("/") or pat.startswith("/")
        body = _translate_glob(pat.strip("/"))
        if anchored:
            parts.append(f"(?:{body})(?:/.*)?")
        else:
            parts.append(f"(?:.*/)?(?:{body})(?:/.*)?")
    return re.compile("^(?:" + "|".join(parts) + ")$", re.DOTALL)


def _translate_glob(pat: str) -> str:
    out = []
    i = 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pat.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pat.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                inner = pat[i + 1:j]
                if inner.startswith("!"):
                    inner = "^" + inner[1:]
                out.append(f"[{inner}]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def path_filter(options: SyncOptions, partition_filter: Callable[[dict], bool] | None = None) -> Callable[[str], bool] | None:
    """A predicate on relative paths from include/exclude globs and a partition filter."""
    inc = _glob_to_regex(options.include)
    exc = _glob_to_regex(options.exclude)
    part = partition_filter
    if part is None and options.partitions:
        from .partitions import compile_predicate

        part = compile_predicate(options.partitions)
    if inc is None and exc is None and part is None:
        return None
    if part is not None:
        from .partitions import get_partitions_from_path

    def keep(path: str) -> bool:
        if inc is not None and not inc.match(path):
            return False
        if exc is not None and exc.match(path):
            return False
        if part is not None:
            parts = get_partitions_from_path(path)
            if not part(parts):
                return False
        return True

    return keep


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

    Paths excluded by globs, partitions or ``modified_after`` are skipped on the
    source side and never deleted on the destination side.
    """
    options = options or SyncOptions()
    keep = path_filter(options, partition_filter)
    compare = options.compare
    strategy = options.strategy
    upload = dst.upload_times
    after = options.modified_after
    src_entries = src.entries
    dst_entries = dst.entries
    actions: list[Action] = []
    append = actions.append
    for path in sorted(src_entries.keys() | dst_entries.keys()):
        s = src_entries.get(path)
        d = dst_entries.get(path)
        if keep is not None and not keep(path):
            append(Action(path, "skip", "excluded", "excluded by filter", s, d))
            continue
        if s is None:
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


def _resolve(path: str, s: Entry, d: Entry, category: str, reason: str, strategy: str, upload: bool) -> Action:
    """Apply the strategy to a changed or conflicting pair."""
    if strategy == "source_wins":
        return Action(path, "update", category, f"{reason}; source wins", s, d)
    if strategy == "skip":
        return Action(path, "skip", category, f"{reason}; destination kept (strategy 'skip')", s, d)
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
