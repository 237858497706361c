"""Layout health: what is wrong with a partition layout, each finding with its partitions and a short reason.

``check_layout(summary)`` looks at a ``LayoutSummary`` (no I/O) for schema
drift, unreadable footers, small-file partitions, skew, gaps in date-like
partition sequences, keys at different depths, plain folders beside partition
folders, partitions whose keys differ from the rest, empty partitions and
``__HIVE_DEFAULT_PARTITION__`` values. Thresholds are in ``HealthOptions``.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Mapping

from ..exceptions import OptionError
from ..model.units import human_bytes
from .hive import HIVE_DEFAULT_PARTITION, as_date, get_partitions_from_path
from .layout import LayoutSummary, SchemaInfo

logger = logging.getLogger(__name__)

__all__ = ["FINDING_KINDS", "Finding", "HealthOptions", "check_layout", "describe_schema_change",
           "findings_by_partition", "is_valid_period", "next_period"]

#: Every kind of finding, in the order ``check_layout`` reports them.
FINDING_KINDS = (
    "schema_drift", "unreadable", "small_files", "skew", "gap", "mixed_depth", "non_hive_folder",
    "mixed_keys", "empty_partition", "default_partition",
)
#: Names pyarrow's dataset discovery skips (``_SUCCESS``, ``_delta_log``, ``.hoodie``): never findings.
_IGNORED_PREFIXES = ("_", ".")
#: At most this many partitions are named in one gap finding (the count is always exact).
MAX_LISTED = 1000


@dataclass(frozen=True, slots=True)
class HealthOptions:
    """Thresholds of ``check_layout``.

    A partition is a small-file partition when at least ``small_file_count``
    of its files are smaller than ``small_file_size`` bytes. A partition is
    skewed when its bytes (or rows) exceed ``skew_factor`` times the median of
    the layout's partitions, counted only with ``skew_min_partitions`` or more.
    """

    small_file_size: int = 16 * 1024 * 1024
    small_file_count: int = 32
    skew_factor: float = 5.0
    skew_min_partitions: int = 4

    def __post_init__(self):
        if self.small_file_size < 1 or self.small_file_count < 2:
            raise OptionError("small_file_size must be 1 byte or more and small_file_count 2 or more.")
        if not self.skew_factor > 1:
            raise OptionError(f"skew_factor must be more than 1, not {self.skew_factor}.")


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing wrong with a layout: its kind, the partitions it concerns and a reason a person can read."""

    kind: str
    partitions: tuple[str, ...]
    reason: str
    details: Mapping = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "partitions": list(self.partitions), "reason": self.reason,
                "details": dict(self.details)}


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _listed(items, limit: int = 4) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit:,} more" if len(items) > limit else "")


# --- schema drift ------------------------------------------------------------

def describe_schema_change(base: SchemaInfo, other: SchemaInfo) -> dict[str, list]:
    """How ``other`` differs from ``base``: added, dropped, retyped columns (and whether only the order changed)."""
    a = {n: (t, nl) for n, t, nl in base.fields}
    b = {n: (t, nl) for n, t, nl in other.fields}

    def text(t, nl):
        return t + ("" if nl else " not null")

    added = [f"{n} ({text(*b[n])})" for n in b if n not in a]
    dropped = [f"{n} ({text(*a[n])})" for n in a if n not in b]
    retyped = [f"{n} {text(*a[n])} → {text(*b[n])}" for n in a if n in b and a[n] != b[n]]
    reordered = not (added or dropped or retyped) and [f[0] for f in base.fields] != [f[0] for f in other.fields]
    return {"added": added, "dropped": dropped, "retyped": retyped, "reordered": reordered}


def _schema_findings(summary: LayoutSummary) -> list[Finding]:
    parts = [p for p in summary.partitions.values() if p.schemas]
    if not parts or len(summary.schemas) < 2:
        return []
    in_parts = Counter(fp for p in parts for fp in p.schemas)
    order = {fp: i for i, fp in enumerate(summary.schemas)}
    majority = max(in_parts, key=lambda fp: (in_parts[fp], summary.schemas[fp].files, -order[fp]))
    base = summary.schemas[majority]
    out = []
    for fp in summary.schemas:
        if fp == majority or fp not in in_parts:
            continue
        concerned = tuple(p.path for p in parts if fp in p.schemas)
        change = describe_schema_change(base, summary.schemas[fp])
        bits = []
        for word in ("added", "dropped", "retyped"):
            if change[word]:
                bits.append(f"{word} {', '.join(change[word])}")
        if change["reordered"]:
            bits.append("columns in another order")
        mixed = [p for p in concerned if len(summary.partitions[p].schemas) > 1]
        note = f"; {len(mixed)} of them also hold files with the majority schema" if mixed else ""
        out.append(Finding(
            "schema_drift", concerned,
            f"schema {fp} in {_plural(len(concerned), 'partition')} differs from the majority schema {majority} "
            f"({_plural(in_parts[majority], 'partition')}): {'; '.join(bits) or 'metadata only'}{note}",
            {"schema": fp, "majority": majority, **change},
        ))
    return out


def _unreadable(summary: LayoutSummary) -> list[Finding]:
    bad = [p for p in summary.partitions.values() if p.errors]
    if not bad:
        return []
    files = [f for p in bad for f in p.errors]
    return [Finding("unreadable", tuple(p.path for p in bad),
                    f"{_plural(len(files), 'file')} could not be read (not Parquet or damaged): {_listed(files, 3)}",
                    {"files": files})]


# --- sizes ---------------------------------------------------------------------

def _small_files(summary: LayoutSummary, opts: HealthOptions) -> list[Finding]:
    out = []
    for p in summary.partitions.values():
        small = [s for s in p.sizes if s < opts.small_file_size]
        if len(small) >= opts.small_file_count:
            out.append(Finding(
                "small_files", (p.path or "(outside partitions)",),
                f"{_plural(len(small), 'file')} under {human_bytes(opts.small_file_size)} "
                f"(together {human_bytes(sum(small))}, median {human_bytes(statistics.median(small))}): "
                "a compaction candidate",
                {"small_files": len(small), "files": p.files, "small_bytes": sum(small)},
            ))
    return out


def _skew(summary: LayoutSummary, opts: HealthOptions) -> list[Finding]:
    parts = [p for p in summary.partitions.values() if p.path and p.files]
    if len(parts) < opts.skew_min_partitions:
        return []
    med_bytes = statistics.median(p.bytes for p in parts)
    rows = [p.rows for p in parts if p.rows is not None]
    med_rows = statistics.median(rows) if len(rows) >= opts.skew_min_partitions else None
    out = []
    for p in parts:
        bits = {}
        if med_bytes > 0 and p.bytes > opts.skew_factor * med_bytes:
            bits["bytes"] = f"{human_bytes(p.bytes)}, {p.bytes / med_bytes:.0f}× the median {human_bytes(med_bytes)}"
        if med_rows and p.rows is not None and p.rows > opts.skew_factor * med_rows:
            bits["rows"] = f"{p.rows:,} rows, {p.rows / med_rows:.0f}× the median {med_rows:,.0f}"
        if bits:
            out.append(Finding("skew", (p.path,), "; ".join(bits.values()),
                               {"bytes": p.bytes, "median_bytes": med_bytes, "rows": p.rows, "median_rows": med_rows}))
    return out


# --- gaps in date-like sequences -------------------------------------------------

_DATE_PARTS = {"year": 0, "month": 1, "day": 2, "hour": 3}
_YEAR_MONTH = re.compile(r"(\d{4})-(\d{1,2})")


def _int(v: str | None) -> int | None:
    return int(v) if v is not None and v.isdigit() else None


def _pad(observed: set[str]) -> int:
    """The zero padding the observed values use (0 = none)."""
    return max(len(v) for v in observed) if any(len(v) > 1 and v.startswith("0") for v in observed) else 0


def next_period(unit: str, t: tuple) -> tuple:
    """The date period after ``t`` (a tuple of year, month, day, hour, as long as ``unit`` needs)."""
    if unit == "year":
        return (t[0] + 1,)
    if unit == "month":
        return (t[0] + (t[1] == 12), t[1] % 12 + 1)
    if unit == "day":
        d = date(*t) + timedelta(days=1)
        return (d.year, d.month, d.day)
    d = date(*t[:3])
    if t[3] == 23:
        d += timedelta(days=1)
        return (d.year, d.month, d.day, 0)
    return (*t[:3], t[3] + 1)


def is_valid_period(unit: str, t: tuple) -> bool:
    """True where ``t`` names a real period of ``unit`` (no month 13, no 30 February)."""
    try:
        if unit in ("day", "hour"):
            date(*t[:3])
        return (unit not in ("month", "day", "hour") or 1 <= t[1] <= 12) and (unit != "hour" or 0 <= t[3] <= 23)
    except ValueError:
        return False


def _missing(unit: str, present: set[tuple], limit: int = 100_000) -> list[tuple]:
    lo, hi = min(present), max(present)
    out, t, n = [], lo, 0
    while t < hi and n < limit:
        t = next_period(unit, t)
        n += 1
        if t not in present:
            out.append(t)
    return out


def _gap_sequences(summary: LayoutSummary):
    """Yield ``(label, unit, present tuples, render(tuple) -> path)`` per date-like sequence and group."""
    # Empty partition folders are there (and reported as empty), not missing.
    parts = [(p.path, p.values) for p in summary.partitions.values() if p.path and p.values]
    parts += [(f, get_partitions_from_path(f, directory=True)) for f in summary.empty_folders]
    keys = summary.keys
    lower = {k.lower(): k for k in keys}
    # year/month/day[/hour] as separate keys, the longest chain present.
    chain = []
    for name in ("year", "month", "day", "hour"):
        if name not in lower:
            break
        chain.append(lower[name])
    date_keys = [k for k in keys if k not in chain and _all_dates(summary, k)]
    seqs = []
    if chain:
        seqs.append(("chain", chain))
    seqs += [("single", [k]) for k in date_keys]
    for kind, ks in seqs:
        groups: dict[tuple, dict] = {}
        for path, vals in parts:
            if any(k not in vals or vals[k] is None for k in ks):
                continue
            order = list(vals)
            first = min(order.index(k) for k in ks)
            group = tuple((k, vals[k]) for k in order[:first])
            if kind == "chain":
                t = tuple(_int(vals[k]) for k in ks)
                unit = ("year", "month", "day", "hour")[len(ks) - 1]
                if any(x is None for x in t) or not is_valid_period(unit, t):
                    continue
            else:
                t, unit = _date_tuple(vals[ks[0]])
                if t is None:
                    continue
            g = groups.setdefault(group, {"present": set(), "unit": unit, "values": {k: set() for k in ks},
                                          "shapes": Counter(), "examples": {}, "units": set()})
            shape = tuple(seg.partition("=")[0] for seg in path.split("/"))
            g["shapes"][shape] += 1
            g["examples"].setdefault(shape, path)
            g["present"].add(t)
            g["units"].add(unit)
            for k in ks:
                g["values"][k].add(vals[k])
        for group, g in groups.items():
            if len(g["units"]) != 1 or len(g["present"]) < 2:
                continue
            yield ks, g["unit"], g["present"], _renderer(kind, ks, g), group


def _all_dates(summary: LayoutSummary, key: str) -> bool:
    seen = False
    for p in summary.partitions.values():
        v = p.values.get(key)
        if v is None:
            continue
        if _date_tuple(v)[0] is None:
            return False
        seen = True
    return seen


def _date_tuple(value: str) -> tuple[tuple | None, str]:
    m = _YEAR_MONTH.fullmatch(value.strip())
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        return ((y, mo), "month") if 1 <= mo <= 12 else (None, "")
    d = as_date(value)
    if d is None or (d.hour or d.minute or d.second):
        return None, ""
    return (d.year, d.month, d.day), "day"


def _renderer(kind: str, ks: list[str], g: dict):
    # Missing paths are drawn like the most common path shape of the sequence.
    segs = g["examples"][g["shapes"].most_common(1)[0][0]].split("/")
    pads = {k: _pad(g["values"][k]) for k in ks}
    sample = next(iter(g["values"][ks[0]]))

    def render(t: tuple) -> str:
        out = []
        for seg in segs:
            key, sep, _ = seg.partition("=")
            if sep and key in ks:
                if kind == "chain":
                    n = t[ks.index(key)]
                    out.append(f"{key}={str(n).zfill(pads[key])}")
                elif len(t) == 2:
                    out.append(f"{key}={t[0]:04d}-{t[1]:02d}")
                elif "-" in sample:
                    out.append(f"{key}={t[0]:04d}-{t[1]:02d}-{t[2]:02d}")
                else:
                    out.append(f"{key}={t[0]:04d}{t[1]:02d}{t[2]:02d}")
                if key == ks[-1]:
                    break
            else:
                out.append(seg)
        return "/".join(out)

    return render


def _gaps(summary: LayoutSummary) -> list[Finding]:
    out = []
    for ks, unit, present, render, group in _gap_sequences(summary):
        missing = _missing(unit, present)
        if not missing:
            continue
        paths = [render(t) for t in missing]
        if summary.selects is not None:  # a value the selection leaves out is not missing
            paths = [p for p in paths if summary.selects(get_partitions_from_path(p, directory=True))]
        if not paths:
            continue
        where = (" in " + "/".join(f"{k}={HIVE_DEFAULT_PARTITION if v is None else v}" for k, v in group)) if group else ""
        lo, hi = render(min(present)), render(max(present))
        out.append(Finding(
            "gap", tuple(paths[:MAX_LISTED]),
            f"{_plural(len(paths), unit)} missing in the {'/'.join(ks)} sequence{where} "
            f"({lo.rsplit('/', 1)[-1] if len(ks) == 1 else lo} .. {hi.rsplit('/', 1)[-1] if len(ks) == 1 else hi}): "
            f"{_listed(paths)}",
            {"keys": list(ks), "unit": unit, "missing": len(paths)},
        ))
    return out


# --- mixed layouts -----------------------------------------------------------

def _depths(path: str) -> dict[str, int]:
    out = {}
    for i, seg in enumerate(path.split("/")):
        key, sep, _ = seg.partition("=")
        if sep and key not in out:
            out[key] = i
    return out


def _hive_parents(summary: LayoutSummary) -> dict[str, tuple[list[str], list[str]]]:
    """Per folder: (partition child folders, plain child folders not ignored by pyarrow)."""
    children: dict[str, tuple[list[str], list[str]]] = {}
    for folder in summary.folders:
        parent, _, name = folder.rpartition("/")
        hive, plain = children.setdefault(parent, ([], []))
        if "=" in name:
            hive.append(folder)
        elif not name.startswith(_IGNORED_PREFIXES):
            plain.append(folder)
    return {k: v for k, v in children.items() if v[0] and v[1]}


def _mixed(summary: LayoutSummary) -> list[Finding]:
    parts = [p for p in summary.partitions.values() if p.path and p.values]
    out = []
    plain_beside = sorted(f for _, plain in _hive_parents(summary).values() for f in plain)
    # Keys at different depths.
    depth_of = {p.path: _depths(p.path) for p in parts}
    per_key: dict[str, Counter] = {}
    for d in depth_of.values():
        for k, i in d.items():
            per_key.setdefault(k, Counter())[i] += 1
    common = {k: c.most_common(1)[0][0] for k, c in per_key.items()}
    odd = [p.path for p in parts if any(common[k] != i for k, i in depth_of[p.path].items())]
    if odd:
        bits = []
        for k, c in per_key.items():
            if len(c) > 1:
                bits.append(f"{k} at depth " + ", ".join(f"{i + 1} ({_plural(n, 'partition')})"
                                                          for i, n in sorted(c.items())))
        under = [f for f in plain_beside if any(p.startswith(f + "/") for p in odd)]
        note = f"; under plain folders beside partition folders: {_listed(under)}" if under else ""
        plain_beside = [f for f in plain_beside if f not in under]
        out.append(Finding("mixed_depth", tuple(odd),
                           f"partition keys at different depths: {'; '.join(bits)}{note}",
                           {"depths": {k: dict(c) for k, c in per_key.items()}, "plain_folders": under}))
    if plain_beside:
        out.append(Finding("non_hive_folder", tuple(plain_beside),
                           f"{_plural(len(plain_beside), 'plain folder')} beside partition folders "
                           f"(not key=value): {_listed(plain_beside)}", {}))
    # Partitions whose set of keys differs from the most common one.
    sets = Counter(frozenset(p.values) for p in parts)
    if len(sets) > 1:
        usual = max(sets, key=lambda s: (sets[s], len(s)))
        odd_sets = [p for p in parts if frozenset(p.values) != usual]
        usual_text = ", ".join(k for k in summary.keys if k in usual)
        out.append(Finding("mixed_keys", tuple(p.path for p in odd_sets),
                           f"{_plural(len(odd_sets), 'partition')} with other keys than the usual "
                           f"({usual_text}): {_listed(p.path for p in odd_sets)}",
                           {"usual": sorted(usual)}))
    return out


def _empty(summary: LayoutSummary) -> list[Finding]:
    found = list(summary.empty_folders)
    for p in summary.partitions.values():
        if not p.path or not p.files:
            continue
        no_bytes = all(s == 0 for s in p.sizes)
        no_rows = (summary.footers_read and p.parquet_files == p.files and not p.errors and p.rows == 0)
        if no_bytes or no_rows:
            found.append(p.path)
    if not found:
        return []
    found = sorted(set(found))
    return [Finding("empty_partition", tuple(found),
                    f"{_plural(len(found), 'partition')} without data (no files, only empty files or 0 rows): "
                    f"{_listed(found)}", {})]


def _default(summary: LayoutSummary) -> list[Finding]:
    hits = [p for p in summary.partitions.values() if any(v is None for v in p.values.values())]
    if not hits:
        return []
    keys = sorted({k for p in hits for k, v in p.values.items() if v is None})
    return [Finding("default_partition", tuple(p.path for p in hits),
                    f"{HIVE_DEFAULT_PARTITION} (a null value) for {', '.join(keys)} in "
                    f"{_plural(len(hits), 'partition')}: {_listed(p.path for p in hits)}", {"keys": keys})]


def check_layout(summary: LayoutSummary, options: HealthOptions | None = None) -> list[Finding]:
    """Every finding about ``summary``'s layout, in ``FINDING_KINDS`` order; empty when the layout is healthy.

    Schema drift, unreadable footers and 0-row partitions need a summary made
    with footers read; the rest uses files and sizes only. No I/O.
    """
    opts = options or HealthOptions()
    out: list[Finding] = []
    out += _schema_findings(summary)
    out += _unreadable(summary)
    out += _small_files(summary, opts)
    out += _skew(summary, opts)
    out += _gaps(summary)
    out += _mixed(summary)
    out += _empty(summary)
    out += _default(summary)
    logger.debug("check_layout: %d findings on %s", len(out), summary.root)
    return out


def findings_by_partition(findings: list[Finding]) -> dict[str, list[Finding]]:
    """Partition path -> the findings naming it."""
    out: dict[str, list[Finding]] = {}
    for f in findings:
        for p in f.partitions:
            out.setdefault(p, []).append(f)
    return out
