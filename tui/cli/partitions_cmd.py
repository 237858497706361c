"""``fsspeckit-tui partitions SRC [DST]``: what is inside each hive partition, what is wrong with the
layout (``--check``), and, given two locations, the partitions of both compared.
"""

from __future__ import annotations

import argparse
import re

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    ConnectError,
    add_command,
    add_sync_options,
    connect,
    human,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
    when,
)

CHECK_EXIT = """\
with --check the exit code is 1 when a finding is reported or, with two locations,
when a partition is not identical on both sides (for CI); otherwise 0.
"""

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def size_type(text: str) -> int:
    """An argparse ``type`` for sizes: ``1048576``, ``500KB``, ``16MiB``."""
    m = _SIZE.fullmatch(text)
    unit = (m.group(2) or "").lower() if m else None
    if not m or unit not in _UNITS:
        raise argparse.ArgumentTypeError(f"'{text}' is not a size (write 1048576, 500KB or 16MiB)")
    n = int(float(m.group(1)) * _UNITS[unit])
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 byte or more")
    return n


def factor_type(text: str) -> float:
    try:
        f = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not f > 1:
        raise argparse.ArgumentTypeError("must be more than 1")
    return f


def add_parser(sub) -> None:
    p = add_command(
        sub, "partitions",
        help="show what is inside each hive partition, check the layout, compare two layouts",
        description="List SRC and summarise its hive partitions (key=value folders): per key and value, files, "
                    "bytes and the oldest and newest modification time; with --parquet also rows, row groups, "
                    "compressed and uncompressed bytes, schema fingerprints and column min/max, read from "
                    "Parquet footers only (ranged reads of a few KiB per file). --check reports what is wrong "
                    "with the layout: schema drift, small files, skew, gaps in date partitions, mixed layouts, "
                    "empty and __HIVE_DEFAULT_PARTITION__ partitions. Given DST too, every partition is listed as "
                    "only in source, only in destination, identical or differing (files, bytes, rows, schema).",
        epilog=CHECK_EXIT + "\n" + LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST", nargs="?", help="a second location to compare with, partition by partition")
    p.add_argument("--option", action="append", default=[], metavar="K=V",
                   help=argparse.SUPPRESS)  # the older spelling: a storage option for both locations
    add_sync_options(p)
    p.add_argument("--parquet", action="store_true",
                   help="read Parquet footers: rows, row groups, compressed/uncompressed bytes, schemas, min/max")
    p.add_argument("--lines", action="store_true",
                   help="count the lines of CSV and JSON files (reads them in full)")
    p.add_argument("--partitions", metavar="PREDICATE", default=None,
                   help="only partitions matching PREDICATE, e.g. \"year>=2023 and month in (01, 02)\"")
    p.add_argument("--folders", action="store_true", help="also list every partition folder")
    p.add_argument("--schema", action="store_true", help="print every distinct schema in full (with --parquet)")
    p.add_argument("--stats", action="store_true", help="print column min/max per partition folder (with --parquet)")
    p.add_argument("--check", action="store_true", help="report layout findings; exit 1 when there are any")
    p.add_argument("--small-file-size", type=size_type, default=None, metavar="SIZE",
                   help="files below SIZE count as small (default 16MiB)")
    p.add_argument("--small-file-count", type=positive_int, default=None, metavar="N",
                   help="a partition with N or more small files is reported (default 32)")
    p.add_argument("--skew-factor", type=factor_type, default=None, metavar="F",
                   help="a partition above F times the median bytes or rows is skewed (default 5)")
    p.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"footers read at once (default {DEFAULT_WORKERS})")
    p.add_argument("--json", action="store_true", help="print the layout (and comparison, findings) as JSON")
    p.set_defaults(func=cmd_partitions)


def _summarize(text: str, options: dict, role: str, args):
    from fsspeckit.listing.tree import list_tree
    from fsspeckit.partitions.layout import summarize_layout

    fs, path, _ = location(text, options)
    listing = connect(role, lambda: list_tree(fs, path, role=role), text)
    if not listing.exists:
        raise ConnectError(f"{text} does not exist; check the path.")
    return connect(role, lambda: summarize_layout(
        fs, listing, parquet=args.parquet, lines=args.lines, partitions=args.partitions,
        max_workers=args.workers), text)


def _health(args):
    from fsspeckit.partitions.layout_check import HealthOptions

    given = {k: v for k, v in (("small_file_size", args.small_file_size), ("small_file_count", args.small_file_count),
                               ("skew_factor", args.skew_factor)) if v is not None}
    if given.get("small_file_count") == 1:
        from .common import UsageError

        raise UsageError("--small-file-count must be 2 or more.")
    return HealthOptions(**given)


def cmd_partitions(args) -> int:
    from fsspeckit.partitions.layout_check import check_layout
    from fsspeckit.partitions.predicates import compile_predicate

    if args.partitions is not None:
        compile_predicate(args.partitions)  # a bad predicate fails before any listing
    health = _health(args)
    base = parse_options(args.option)
    src_opts = {**base, **parse_options(args.src_option)}
    src = _summarize(args.src, src_opts, "source", args)
    findings = {"source": check_layout(src, health)}
    if args.dst is None:
        return _one_side(args, src, findings["source"])
    from fsspeckit.partitions.layout_diff import compare_layouts

    dst = _summarize(args.dst, {**base, **parse_options(args.dst_option)}, "destination", args)
    findings["destination"] = check_layout(dst, health)
    cmp = compare_layouts(src, dst)
    if args.json:
        print_json({"source": {"location": args.src, **src.to_dict()},
                    "destination": {"location": args.dst, **dst.to_dict()},
                    "comparison": cmp.to_dict(),
                    "findings": {side: [f.to_dict() for f in fs] for side, fs in findings.items()}})
    else:
        _print_comparison(args, cmp)
        for side, label in (("source", args.src), ("destination", args.dst)):
            _print_findings(args, findings[side], label)
    found = any(findings.values()) or not cmp.same
    return EXIT_FAILED if args.check and found else EXIT_OK


def _one_side(args, summary, findings) -> int:
    if args.json:
        data = summary.to_dict()
        data["location"] = args.src
        data["findings"] = [f.to_dict() for f in findings]
        print_json(data)
        return EXIT_FAILED if args.check and findings else EXIT_OK
    total = summary.total
    by_key = summary.by_key()
    line = (f"{args.src}: {total.files} files, {human(total.bytes)}, "
            f"{len(by_key)} partition key{'s' if len(by_key) != 1 else ''}")
    if summary.footers_read:
        line += f"; {total.parquet_files:,} Parquet files, {total.rows or 0:,} rows, {len(summary.schemas)} " \
                f"schema{'s' if len(summary.schemas) != 1 else ''}"
    if summary.scope:
        line += f" (partitions: {summary.scope})"
    out(line)
    for key, values in by_key.items():
        out(f"{key}:")
        _print_stats(summary, [("(null)" if v is None else str(v), st) for v, st in values.items()])
    if args.folders or args.stats:
        out("partition folders:")
        _print_stats(summary, [(p or "(outside any partition)", st) for p, st in summary.partitions.items()],
                     stats=args.stats)
    outside = summary.partitions.get("")
    if outside is not None and by_key and not args.folders:
        out(f"outside any partition: {outside.files} file{'s' if outside.files != 1 else ''}, {human(outside.bytes)}")
    if args.schema:
        _print_schemas(summary)
    _print_findings(args, findings, args.src)
    return EXIT_FAILED if args.check and findings else EXIT_OK


def _print_stats(summary, rows, stats: bool = False) -> None:
    """One indented, aligned line per ``(label, contents)``; column min/max below each with ``stats``."""
    width = max((len(label) for label, _ in rows), default=0)
    for label, st in rows:
        out(f"  {label:<{width}}  {_stats_line(summary, st)}")
        if stats:
            for col, cs in st.stats.items():
                from fsspeckit.partitions.parquet import plain

                out(f"  {'':<{width}}    {col}: {plain(cs.min)} .. {plain(cs.max)}"
                    + (f", {cs.nulls:,} nulls" if cs.nulls else "") + ("" if cs.complete else " (partial)"))


def _stats_line(summary, st) -> str:
    span = f"{when(st.oldest)} .. {when(st.newest)}" if st.oldest is not None else "-"
    text = f"{st.files:>7} file{'s' if st.files != 1 else ' '}  {human(st.bytes):>10}"
    if summary.footers_read and st.parquet_files:
        schemas = ",".join(st.schemas) if len(st.schemas) <= 2 else f"{len(st.schemas)} schemas"
        text += (f"  {st.rows or 0:>12,} rows  {st.row_groups:>5,} rg  {human(st.compressed_bytes):>10} → "
                 f"{human(st.uncompressed_bytes):>10}  schema {schemas or '-'}")
        if st.errors:
            text += f"  {len(st.errors)} unreadable"
    if summary.lines_counted and st.lines is not None:
        text += f"  {st.lines:>10,} lines"
    return f"{text}  {span}"


def _print_schemas(summary) -> None:
    if not summary.footers_read:
        out("schemas: not read (add --parquet)")
        return
    for fp, info in summary.schemas.items():
        out(f"schema {fp} ({info.files:,} file{'s' if info.files != 1 else ''}):")
        for line in info.text.splitlines():
            out(f"  {line}")


STATUS_TEXT = {"only_src": "only in source", "only_dst": "only in destination", "differing": "differing",
               "identical": "identical"}


def _print_comparison(args, cmp) -> None:
    counts = cmp.counts()
    out(f"{args.src} → {args.dst}: {len(cmp):,} partitions: "
        + ", ".join(f"{counts[s]:,} {STATUS_TEXT[s]}" for s in counts)
        + ("" if cmp.rows_compared else " (files and bytes compared; add --parquet for rows and schemas)"))
    width = max((len(p.path or "(outside any partition)") for p in cmp), default=0)
    for p in cmp:
        why = p.reason if p.status != "identical" else f"{p.src.files:,} files, {human(p.src.bytes)}" + (
            f", {p.src.rows:,} rows" if cmp.rows_compared and p.src.rows is not None else "")
        out(f"  {STATUS_TEXT[p.status]:<19}  {p.path or '(outside any partition)':<{width}}  {why}")


def _print_findings(args, findings, label: str) -> None:
    if not findings:
        if args.check:
            out(f"{label}: no findings")
        return
    if not args.check:
        out(f"{label}: {len(findings)} layout finding{'s' if len(findings) != 1 else ''} (see them with --check)")
        return
    out(f"{label}: {len(findings)} finding{'s' if len(findings) != 1 else ''}:")
    for f in findings:
        out(f"  {f.kind.replace('_', ' ')}: {f.reason}")
        if any(part not in f.reason for part in f.partitions):
            shown = f.partitions[:20]
            out("    " + ", ".join(shown) + (f" and {len(f.partitions) - 20:,} more" if len(f.partitions) > 20 else ""))
