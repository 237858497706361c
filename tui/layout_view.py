"""The rows of the layout screen, built from layout summaries (no Textual, no I/O).

Three levels, one table each: partition keys, the values of one key, the files
of one value. Each row carries its cells (text) and its sort values (numbers
sort as numbers, values in partition order); the comparison of two sides has
the same three levels with a status per row. ``chart_series`` gives a key's
figures by value for the screen's chart, with missing whole numbers as zeros
so a gap shows as a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fsspeckit.partitions.hive import HIVE_DEFAULT_PARTITION, as_number, value_sort_key
from fsspeckit.partitions.layout import FileContents, LayoutSummary, PartitionContents, merge_contents
from fsspeckit.partitions.layout_check import is_valid_period, next_period
from fsspeckit.partitions.layout_diff import LayoutComparison, PartitionComparison

from .service import human_bytes, human_date

__all__ = ["METRICS", "MAX_FILE_ROWS", "Row", "STATUS_LABELS", "chart_series", "compare_rows", "rows_for",
           "value_label"]

METRICS = ("bytes", "files", "rows")
#: The files level shows at most this many files (the rest are counted in the title).
MAX_FILE_ROWS = 5000
STATUS_LABELS = {"only_src": "only in source", "only_dst": "only in destination", "differing": "differing",
                 "identical": "identical"}
STATUS_STYLES = {"only_src": "green", "only_dst": "red", "differing": "yellow", "identical": "dim"}


@dataclass(frozen=True, slots=True)
class Row:
    """One table row: its key (what Enter drills into), cells, and one sort value per cell."""

    key: Any
    cells: tuple[str, ...]
    sort: tuple
    style: str = ""


def value_label(value: str | None) -> str:
    return HIVE_DEFAULT_PARTITION if value is None else value


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _num(value) -> float:
    return -1 if value is None else value


def _parts_with(summary: LayoutSummary, key: str, value) -> list[PartitionContents]:
    return [p for p in summary.partitions.values() if key in p.values and p.values[key] == value]


def _schemas(p: PartitionContents) -> str:
    if not p.schemas:
        return "-"
    return p.schemas[0] if len(p.schemas) == 1 else f"{len(p.schemas)} schemas"


# --- one side ---------------------------------------------------------------------

KEY_COLUMNS = ("key", "values", "partitions", "files", "bytes", "rows", "oldest", "newest", "findings")
VALUE_COLUMNS = ("value", "partitions", "files", "bytes", "rows", "row groups", "compressed", "uncompressed",
                 "schema", "findings")
FILE_COLUMNS = ("file", "format", "size", "rows", "row groups", "compressed", "uncompressed", "schema", "note")


def rows_for(summary: LayoutSummary, level: str, key: str | None = None, value: Any = None,
             findings: dict[str, list] | None = None) -> tuple[tuple[str, ...], list[Row]]:
    """The columns and rows of ``level`` ("keys", "values" or "files") for one side."""
    findings = findings or {}
    if level == "keys":
        rows = []
        for order, (k, per) in enumerate(summary.by_key().items()):
            merged = merge_contents(list(per.values()), k)
            nparts = sum(p.partitions for p in per.values())
            hits = sum(len(findings.get(p.path, ())) for p in summary.partitions.values() if k in p.values)
            rows.append(Row(k, (k, f"{len(per):,}", f"{nparts:,}", f"{merged.files:,}", human_bytes(merged.bytes),
                                _n(merged.rows), human_date(merged.oldest), human_date(merged.newest),
                                f"⚠ {hits}" if hits else ""),
                            (order, len(per), nparts, merged.files, merged.bytes, _num(merged.rows),
                             _num(merged.oldest), _num(merged.newest), hits),
                            "bold yellow" if hits else ""))
        return KEY_COLUMNS, rows
    if level == "values":
        rows = []
        for v, p in summary.by_key().get(key, {}).items():
            paths = [q.path for q in _parts_with(summary, key, v)]
            notes = {f.kind for path in paths for f in findings.get(path, ())}
            rows.append(Row(v, (value_label(v), f"{p.partitions:,}", f"{p.files:,}", human_bytes(p.bytes), _n(p.rows),
                                f"{p.row_groups:,}" if p.parquet_files else "-",
                                human_bytes(p.compressed_bytes) if p.parquet_files else "-",
                                human_bytes(p.uncompressed_bytes) if p.parquet_files else "-",
                                _schemas(p), ", ".join(sorted(k.replace("_", " ") for k in notes))),
                            (value_sort_key(v), p.partitions, p.files, p.bytes, _num(p.rows), p.row_groups,
                             p.compressed_bytes, p.uncompressed_bytes, _schemas(p), len(notes)),
                            "bold yellow" if notes else ""))
        return VALUE_COLUMNS, rows
    files = _files_of(summary, key, value)
    rows = []
    for f in files[:MAX_FILE_ROWS]:
        rows.append(Row(f.path, (f.path, f.format, human_bytes(f.size), _n(f.rows if f.rows is not None else f.lines),
                                 f"{f.row_groups:,}" if f.fingerprint else "-",
                                 human_bytes(f.compressed_bytes) if f.fingerprint else "-",
                                 human_bytes(f.uncompressed_bytes) if f.fingerprint else "-",
                                 f.fingerprint or "-", f"⚠ {f.error}" if f.error else ""),
                        (f.path, f.format, f.size, _num(f.rows if f.rows is not None else f.lines), f.row_groups,
                         f.compressed_bytes, f.uncompressed_bytes, f.fingerprint or "", f.error or ""),
                        "red" if f.error else ""))
    return FILE_COLUMNS, rows


def _files_of(summary: LayoutSummary, key: str, value) -> list[FileContents]:
    return summary.files_of(p.path for p in _parts_with(summary, key, value))


def file_count(summary: LayoutSummary, key: str, value) -> int:
    return sum(p.files for p in _parts_with(summary, key, value))


# --- two sides --------------------------------------------------------------------

CMP_KEY_COLUMNS = ("key", "values", "only in source", "only in destination", "differing", "identical")
CMP_VALUE_COLUMNS = ("value", "status", "files src", "files dst", "bytes src", "bytes dst", "rows src",
                     "rows dst", "what differs")
CMP_FILE_COLUMNS = ("file", "status", "size src", "size dst", "rows src", "rows dst", "schema src", "schema dst")
_ORDER = {"only_src": 0, "only_dst": 1, "differing": 2, "identical": 3}


def _status_of(items: list[PartitionComparison]) -> tuple[str, tuple[str, ...]]:
    statuses = {c.status for c in items}
    diffs = tuple(dict.fromkeys(d for c in items for d in c.differences))
    if len(statuses) == 1:
        return statuses.pop(), diffs
    return "differing", diffs or ("partitions",)


def compare_rows(cmp: LayoutComparison, src: LayoutSummary, dst: LayoutSummary, level: str,
                 key: str | None = None, value: Any = None) -> tuple[tuple[str, ...], list[Row]]:
    """The columns and rows of ``level`` comparing source and destination."""
    if level == "keys":
        keys = list(dict.fromkeys(src.keys + dst.keys))
        rows = []
        for order, k in enumerate(keys):
            per = _by_value(cmp, k)
            counts = dict.fromkeys(_ORDER, 0)
            for items in per.values():
                counts[_status_of(items)[0]] += 1
            rows.append(Row(k, (k, f"{len(per):,}", *(f"{counts[s]:,}" for s in _ORDER)),
                            (order, len(per), *(counts[s] for s in _ORDER)),
                            "" if counts["identical"] == len(per) else "bold"))
        return CMP_KEY_COLUMNS, rows
    if level == "values":
        rows = []
        for v, items in sorted(_by_value(cmp, key).items(), key=lambda kv: value_sort_key(kv[0])):
            status, diffs = _status_of(items)
            s = merge_contents([c.src for c in items if c.src], "") if any(c.src for c in items) else None
            d = merge_contents([c.dst for c in items if c.dst], "") if any(c.dst for c in items) else None
            why = ""
            if status == "differing":
                bits = [f"{c.path}: {c.reason}" if len(items) > 1 else c.reason
                        for c in items if c.status == "differing"]
                bits += [f"{STATUS_LABELS[c.status]}: {c.path}" for c in items if c.status in ("only_src", "only_dst")]
                why = "; ".join(bits)
            rows.append(Row(v, (value_label(v), STATUS_LABELS[status], _n(s and s.files), _n(d and d.files),
                                human_bytes(s.bytes) if s else "-", human_bytes(d.bytes) if d else "-",
                                _n(s.rows if s else None), _n(d.rows if d else None), why or ", ".join(diffs)),
                            (value_sort_key(v), _ORDER[status], _num(s and s.files), _num(d and d.files),
                             _num(s and s.bytes), _num(d and d.bytes), _num(s.rows if s else None),
                             _num(d.rows if d else None), why),
                            STATUS_STYLES[status]))
        return CMP_VALUE_COLUMNS, rows
    a = {f.path: f for f in _files_of(src, key, value)}
    b = {f.path: f for f in _files_of(dst, key, value)}
    rows = []
    for path in sorted(a.keys() | b.keys())[:MAX_FILE_ROWS]:
        f, g = a.get(path), b.get(path)
        if g is None:
            status = "only_src"
        elif f is None:
            status = "only_dst"
        else:
            same = f.size == g.size and f.rows == g.rows and f.fingerprint == g.fingerprint
            status = "identical" if same else "differing"
        rows.append(Row(path, (path, STATUS_LABELS[status], human_bytes(f.size) if f else "-",
                               human_bytes(g.size) if g else "-", _n(f.rows if f else None), _n(g.rows if g else None),
                               (f.fingerprint if f else None) or "-", (g.fingerprint if g else None) or "-"),
                        (path, _ORDER[status], _num(f and f.size), _num(g and g.size), _num(f.rows if f else None),
                         _num(g.rows if g else None), (f.fingerprint if f else "") or "", (g.fingerprint if g else "") or ""),
                        STATUS_STYLES[status]))
    return CMP_FILE_COLUMNS, rows


def _by_value(cmp: LayoutComparison, key: str) -> dict[Any, list[PartitionComparison]]:
    out: dict[Any, list[PartitionComparison]] = {}
    for c in cmp:
        values = (c.src or c.dst).values
        if key in values:
            out.setdefault(values[key], []).append(c)
    return out


# --- chart ------------------------------------------------------------------------

def chart_series(summary: LayoutSummary, key: str, metric: str) -> tuple[list[str], list[float]]:
    """``(labels, figures)`` of ``key``'s values for ``metric`` (bytes, files or rows), in value order.

    A key of a ``year/month/day`` chain is drawn as a timeline (a bar per
    month for ``month``: ``2023-01``, ``2023-02``...). When every value is a
    whole number, the missing ones in between are shown as zeros, so
    ``month=05`` absent is a dip to nothing, not a skipped bar.
    """
    timeline = _timeline(summary, key, metric)
    if timeline is not None:
        return timeline
    per = summary.by_key().get(key, {})

    def figure(p: PartitionContents) -> float:
        return float(p.bytes if metric == "bytes" else p.files if metric == "files" else (p.rows or 0))

    labels = [value_label(v) for v in per]
    figures = [figure(p) for p in per.values()]
    nums = [as_number(v) for v in per]
    if per and all(n is not None and n == int(n) for n in nums) and len(per) > 1:
        ints = {int(n): f for n, f in zip(nums, figures)}
        lo, hi = min(ints), max(ints)
        if hi - lo < 10_000:
            width = max(len(v) for v in per if v is not None)
            padded = any(v is not None and len(v) > 1 and v.startswith("0") for v in per)
            labels = [str(i).zfill(width) if padded else str(i) for i in range(lo, hi + 1)]
            figures = [ints.get(i, 0.0) for i in range(lo, hi + 1)]
    return labels, figures


_CHAIN = ("year", "month", "day", "hour")


def _timeline(summary: LayoutSummary, key: str, metric: str) -> tuple[list[str], list[float]] | None:
    lower = {k.lower(): k for k in summary.keys}
    chain = []
    for name in _CHAIN:
        if name not in lower:
            break
        chain.append(lower[name])
        if lower[name] == key:
            break
    if len(chain) < 2 or chain[-1] != key:
        return None
    unit = _CHAIN[len(chain) - 1]
    sums: dict[tuple, float] = {}
    for p in summary.partitions.values():
        vals = [p.values.get(k) for k in chain]
        if any(v is None or not v.isdigit() for v in vals):
            continue
        t = tuple(int(v) for v in vals)
        if not is_valid_period(unit, t):
            continue
        sums[t] = sums.get(t, 0.0) + float(p.bytes if metric == "bytes" else p.files if metric == "files" else (p.rows or 0))
    if len(sums) < 2:
        return None
    t, hi = min(sums), max(sums)
    labels, figures = [], []
    while len(labels) < 10_000:
        labels.append("-".join(f"{n:02d}" if i else str(n) for i, n in enumerate(t)))
        figures.append(sums.get(t, 0.0))
        if t >= hi:
            break
        t = next_period(unit, t)
    return labels, figures
