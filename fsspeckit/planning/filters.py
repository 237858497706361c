"""Path filters: include/exclude globs, rclone filter rules, size and age limits and
partition predicates, as one test per relative path (and its listing entry).

Rule order follows rclone: ``--include-from`` lines, ``--exclude-from`` lines, then
``--filter``/``--filter-from`` rules in order, then an implicit ``- /**`` when an
include list was given; the first rule that matches decides.
"""

from __future__ import annotations

import posixpath
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Protocol

from ..exceptions import FilterError, PredicateError
from ..model.entries import Entry
from ..partitions.hive import compile_predicate, get_partitions_from_path


class Selecting(Protocol):
    """What choosing paths reads of a plan's settings (``SyncOptions`` has it all)."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    partitions: Any
    filters: "Filters | None"

__all__ = ["Filters", "RuleSet", "entry_filter", "parse_age", "parse_size", "path_filter", "read_rules", "selection"]


# --- fsspeckit's own --include/--exclude globs -------------------------------

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


# --- rclone's glob syntax ----------------------------------------------------

_TOO_HARD = re.compile(r"({[^{}]*(\*\*|/)[^{}]*})|\{\{|\}\}|\{[^{}]*\{")


def rclone_glob(glob: str) -> re.Pattern:
    """Compile one rclone glob: ``*`` stays inside a path segment, ``**`` crosses
    them, ``?`` is one character but '/', ``[...]`` a class, ``{a,b}`` either, ``\\``
    escapes; a leading '/' anchors at the root, otherwise the glob matches the end
    of the path at a segment boundary."""
    if "{{" in glob:
        raise FilterError(f"raw regular expressions ({{{{...}}}}) are not supported in {glob!r}")
    head = "^" if glob.startswith("/") else "(?:^|/)"
    body = _rclone_body(glob[1:] if glob.startswith("/") else glob)
    try:
        return re.compile(head + body + "$")
    except re.error as exc:
        raise FilterError(f"bad glob {glob!r}: {exc}") from None


def _rclone_body(glob: str) -> str:
    out: list[str] = []
    stars = braces = brackets = 0
    escaped = False
    for c in glob:
        if escaped:
            out.append(re.escape(c))
            escaped = False
            continue
        if c != "*" and stars:
            out.append(_stars(stars, glob))
            stars = 0
        if brackets:
            brackets += (c == "[") - (c == "]")
            out.append(c)
            continue
        if c == "*":
            stars += 1
        elif c == "\\":
            escaped = True
        elif c in "?[]{},":
            braces, brackets = _special(c, out, braces, glob)
        else:
            out.append(re.escape(c))
    if stars:
        out.append(_stars(stars, glob))
    if brackets or escaped:
        raise FilterError(f"mismatched '[' and ']' in glob {glob!r}" if brackets else f"glob {glob!r} ends in '\\'")
    if braces:
        raise FilterError(f"mismatched '{{' and '}}' in glob {glob!r}")
    return "".join(out)


def _stars(n: int, glob: str) -> str:
    if n > 2:
        raise FilterError(f"too many stars in glob {glob!r}")
    return "[^/]*" if n == 1 else ".*"


def _special(c: str, out: list[str], braces: int, glob: str) -> tuple[int, int]:
    """One of ``? [ ] { } ,``: append its regex; return (brace depth, bracket depth)."""
    if c == "?":
        out.append("[^/]")
    elif c == "[":
        out.append("[")
        return braces, 1
    elif c == "]":
        raise FilterError(f"mismatched ']' in glob {glob!r}")
    elif c == "{":
        out.append("(?:")
        return braces + 1, 0
    elif c == "}":
        if braces <= 0:
            raise FilterError(f"mismatched '{{' and '}}' in glob {glob!r}")
        out.append(")")
        return braces - 1, 0
    else:  # ','
        out.append("|" if braces else ",")
    return braces, 0


def dir_globs(glob: str) -> list[str]:
    """The folder globs a file glob can live under (rclone's rule for which folders to look in)."""
    if _TOO_HARD.search(glob):
        return ["/**"]
    glob = re.sub("/{2,}", "/", glob)
    out: list[str] = []
    while True:
        i, j = glob.rfind("/"), glob.rfind("**")
        what = "**" if j > i else ""
        i = max(i, j)
        if i < 0:
            return out or ["/**"]
        glob = glob[:i]
        new = glob + what + "/"
        if not out or out[-1] != new:
            out.append(new)


class RuleSet:
    """rclone filter rules compiled: file rules and folder rules, first match wins.

    A file is kept when every folder above it passes the folder rules and the
    file passes the file rules; with no matching rule it is kept.
    """

    def __init__(self, rules: Iterable[str] = ()):
        self.file_rules: list[tuple[bool, re.Pattern]] = []
        self.dir_rules: list[tuple[bool, re.Pattern]] = []
        for rule in rules:
            self.add_rule(rule)

    def add_rule(self, rule: str) -> None:
        """Add ``+ glob``, ``- glob`` or ``!`` (which clears every rule so far)."""
        include, glob = parse_rule(rule)
        if include is None:
            self.file_rules.clear()
            self.dir_rules.clear()
        else:
            self.add(include, glob)

    def add(self, include: bool, glob: str) -> None:
        is_dir = glob.endswith("/")
        if is_dir and not include:
            glob += "**"  # excluding "dir/" excludes everything under it
        is_file = not is_dir or "**" in glob
        is_dir = is_dir or "**" in glob
        pattern = rclone_glob(glob)
        if is_file:
            self.file_rules.append((include, pattern))
            if include or glob == "*":
                self.dir_rules.extend((include, rclone_glob(g)) for g in dir_globs(glob) if g != "/")
        if is_dir:
            self.dir_rules.append((include, pattern))

    def __bool__(self) -> bool:
        return bool(self.file_rules or self.dir_rules)

    def keeps(self, path: str) -> bool:
        """True when the relative file ``path`` passes the rules."""
        if self.dir_rules:
            folder = posixpath.dirname(path)
            parts = folder.split("/") if folder else []
            for n in range(1, len(parts) + 1):
                if not _first_match(self.dir_rules, "/".join(parts[:n]) + "/"):
                    return False
        return _first_match(self.file_rules, path)


def _first_match(rules: list[tuple[bool, re.Pattern]], path: str) -> bool:
    for include, pattern in rules:
        if pattern.search(path):
            return include
    return True


def parse_rule(line: str) -> tuple[bool | None, str]:
    """``+ glob`` -> (True, glob), ``- glob`` -> (False, glob), ``!`` -> (None, '')."""
    if line == "!":
        return None, ""
    if line.startswith(("+ ", "- ")) and len(line) > 2:
        return line[0] == "+", line[2:]
    raise FilterError(f"malformed rule {line!r}: a rule is '+ GLOB' (include), '- GLOB' (exclude) or '!' (reset)")


# --- reading rules, sizes and ages ----------------------------------------------

def read_rules(path: str, kind: str = "filter") -> list[str]:
    """The rules of a local file as ``+ glob``/``- glob``/``!`` lines.

    ``kind`` is ``filter`` (lines are rules), ``include`` or ``exclude`` (lines are
    globs). Blank lines and lines starting with '#' or ';' are comments. A missing
    or unreadable file, or a bad line, raises ``FilterError`` naming it.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise FilterError(f"cannot read the {kind} file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return rules_from_text(text, kind, path)


def rules_from_text(text: str, kind: str = "filter", where: str = "rules") -> list[str]:
    """Like ``read_rules`` on text; ``where`` names the text in errors."""
    out: list[str] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        rule = line if kind == "filter" else ("+ " if kind == "include" else "- ") + line
        try:
            RuleSet([rule])
        except FilterError as exc:
            raise FilterError(f"{where}, line {number}: {exc}") from None
        out.append(rule)
    return out


_SIZE_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50, "e": 1 << 60}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([bkmgtpe]?)(?:i?b?)?\s*$", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """A size as rclone reads it: a bare number is KiB; B, K, M, G, T, P are binary units (1K = 1024)."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(text)
    if m is None:
        raise FilterError(f"bad size {text!r}: write e.g. 100 (KiB), 10M, 1.5G or 512B")
    unit = _SIZE_UNITS[m.group(2).lower()] if m.group(2) else _SIZE_UNITS["k"]
    return int(float(m.group(1)) * unit)


_AGE_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "M": 30 * 86400, "y": 365 * 86400}
_AGE_PART = re.compile(r"(\d+(?:\.\d*)?)(ms|s|m|h|d|w|M|y)")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M")


def parse_age(text: str | float, now: float | None = None) -> float:
    """The epoch time an age points at: ``7d``, ``2h30m``, ``1w``, a bare number of
    seconds (now minus that), or a date ``2024-01-31`` / ``2024-01-31 12:00:00`` (UTC)."""
    now = time.time() if now is None else now
    if isinstance(text, (int, float)):
        return now - float(text)
    s = text.strip()
    if re.fullmatch(r"\d+(?:\.\d*)?", s):
        return now - float(s)
    if s and _AGE_PART.sub("", s) == "":
        return now - sum(float(n) * _AGE_UNITS[u] for n, u in _AGE_PART.findall(s))
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(s, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise FilterError(f"bad age {text!r}: write a duration (90s, 2h, 7d, 1w, 1M, 1y) or a date (2024-01-31)")


# --- the Filters object --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Filters:
    """rclone-style filters: rules, size and age limits, and whether excluded
    destination files may be deleted. Build one with ``Filters.build``.

    ``modified_from``/``modified_to`` are epoch times (``--max-age`` and
    ``--min-age`` turned into times when the filters were built), so a saved
    plan keeps the selection it was made with.
    """

    rules: tuple[str, ...] = ()
    min_size: int | None = None
    max_size: int | None = None
    modified_from: float | None = None
    modified_to: float | None = None
    delete_excluded: bool = False

    def __post_init__(self):
        object.__setattr__(self, "rules", tuple(self.rules))
        RuleSet(self.rules)  # a bad rule is refused here, not at the first path
        if self.modified_from is not None and self.modified_to is not None and self.modified_to < self.modified_from:
            raise FilterError("--min-age is larger than --max-age: no file can be both")

    @classmethod
    def build(cls, *, rules: Iterable[str] = (), filter_from: Iterable[str] = (), include_from: Iterable[str] = (),
              exclude_from: Iterable[str] = (), min_size=None, max_size=None, max_age=None, min_age=None,
              delete_excluded: bool = False, now: float | None = None) -> "Filters":
        """Filters from rclone's flags; files are read here (``FilterError`` names a bad line)."""
        includes = [r for path in include_from for r in read_rules(path, "include")]
        ordered = includes + [r for path in exclude_from for r in read_rules(path, "exclude")]
        ordered += list(rules) + [r for path in filter_from for r in read_rules(path, "filter")]
        if include_from:
            ordered.append("- /**")
        return cls(
            rules=tuple(ordered),
            min_size=None if min_size is None else parse_size(min_size),
            max_size=None if max_size is None else parse_size(max_size),
            modified_from=None if max_age is None else parse_age(max_age, now),
            modified_to=None if min_age is None else parse_age(min_age, now),
            delete_excluded=delete_excluded,
        )

    @property
    def active(self) -> bool:
        return bool(self.rules) or any(v is not None for v in (self.min_size, self.max_size,
                                                               self.modified_from, self.modified_to))

    def to_dict(self) -> dict:
        return {"rules": list(self.rules), "min_size": self.min_size, "max_size": self.max_size,
                "modified_from": self.modified_from, "modified_to": self.modified_to,
                "delete_excluded": self.delete_excluded}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> "Filters | None":
        if not d:
            return None
        known = {k: d[k] for k in ("rules", "min_size", "max_size", "modified_from", "modified_to",
                                   "delete_excluded") if k in d}
        return cls(**known)

    def limits_test(self) -> Callable[["Entry"], str | None] | None:
        """A test on an entry giving why it is left out by size or age, or None to keep it."""
        lo, hi, frm, to = self.min_size, self.max_size, self.modified_from, self.modified_to
        if lo is None and hi is None and frm is None and to is None:
            return None

        def why(e: "Entry") -> str | None:
            if lo is not None and e.size < lo:
                return "smaller than --min-size"
            if hi is not None and e.size > hi:
                return "larger than --max-size"
            if (frm is not None or to is not None) and e.mtime is None:
                return "no modification time to test its age"
            if frm is not None and e.mtime < frm:
                return "older than --max-age"
            if to is not None and e.mtime > to:
                return "newer than --min-age"
            return None

        return why


# --- the tests the planner runs --------------------------------------------------

def path_filter(options: Selecting, partition_filter: Callable[[dict], bool] | None = None) -> Callable[[str], bool] | None:
    """A predicate on relative paths from include/exclude globs, rclone rules and a partition filter."""
    inc = _glob_to_regex(options.include)
    exc = _glob_to_regex(options.exclude)
    filters = getattr(options, "filters", None)
    ruleset = RuleSet(filters.rules) if filters is not None and filters.rules else None
    part = partition_filter
    if part is None and options.partitions:
        part = compile_predicate(options.partitions)
    if inc is None and exc is None and part is None and ruleset is None:
        return None

    def keep(path: str) -> bool:
        if inc is not None and not inc.match(path):
            return False
        if exc is not None and exc.match(path):
            return False
        if ruleset is not None and not ruleset.keeps(path):
            return False
        if part is not None:
            parts = get_partitions_from_path(path)
            if not part(parts):
                return False
        return True

    return keep


def partition_scope(predicate: str, *path_lists) -> tuple[frozenset[str], list[str], int]:
    """What a partition predicate can select among the given relative paths.

    Returns (keys the predicate names that no path has, the keys the paths
    have, sorted, how many of the paths it selects).
    """
    pred = compile_predicate(predicate)
    known: set[str] = set()
    matched = 0
    for paths in path_lists:
        for path in paths:
            parts = get_partitions_from_path(path)
            known.update(parts)
            if pred(parts):
                matched += 1
    named = getattr(pred, "keys", frozenset())
    return frozenset(named - known), sorted(known), matched


def check_partition_scope(predicate: str | None, src_paths, dst_paths) -> int | None:
    """Refuse a predicate naming keys no path has; return how many source paths it selects.

    Raises ``PredicateError`` naming the missing keys and the keys that exist,
    before anything is hashed or written. ``None`` without a text predicate or
    without any file on either side.
    """
    if not isinstance(predicate, str) or not predicate.strip():
        return None
    src_paths, dst_paths = list(src_paths), list(dst_paths)
    if not src_paths and not dst_paths:
        return None
    missing, known, _ = partition_scope(predicate, src_paths, dst_paths)
    if missing:
        names = ", ".join(sorted(missing))
        there = (f"the keys there are: {', '.join(known)}" if known
                 else "no path there holds a key=value folder")
        raise PredicateError(f"the partition predicate {predicate!r} names {names}, which no path of the source "
                             f"or destination has; {there}.")
    return partition_scope(predicate, src_paths)[2]


def entry_filter(options: Selecting) -> Callable[["Entry"], str | None] | None:
    """The size/age test of ``options.filters``: why an entry is left out, or None."""
    filters = getattr(options, "filters", None)
    return None if filters is None else filters.limits_test()


def selection(options: Selecting, partition_filter: Callable[[dict], bool] | None = None):
    """Every filter of ``options`` as one test of (path, source entry, destination entry), or
    None when nothing is filtered. Size and age are the source file's, or the destination's
    when only the destination has the path."""
    keep = path_filter(options, partition_filter)
    limits = entry_filter(options)
    if keep is None and limits is None:
        return None
    if limits is None:
        return lambda path, s, d: keep(path)

    def test(path: str, s: Entry | None, d: Entry | None) -> bool:
        if keep is not None and not keep(path):
            return False
        return limits(s if s is not None else d) is None

    return test
