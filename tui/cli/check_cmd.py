"""``fsspeckit-tui check SRC DST``: compare two trees file by file like ``rclone
check`` (sizes and content hashes), list the differences with rclone's marks and
exit 1 when there are any.
"""

from __future__ import annotations

import sys

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    UsageError,
    add_command,
    add_live_options,
    add_sync_options,
    connect,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
)
from .filter_opts import add_filter_options, add_glob_options, filters_from_args
from .logs import RunOutput

#: Paths longer than this do not widen the path column.
MAX_PATH_WIDTH = 60


def add_parser(sub) -> None:
    p = add_command(
        sub, "check",
        help="compare two trees file by file (like rclone check)",
        description="Compare SRC and DST by size and content hash (the stores' own MD5 where both sides have "
                    "one, a streamed MD5 otherwise). Lists every difference with rclone's marks: '+' only on "
                    "the source (missing on destination), '-' only on the destination, '*' differing, '!' could not be compared.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST")
    p.add_argument("--size-only", action="store_true", help="compare sizes only, no hashes")
    p.add_argument("--one-way", action="store_true", help="don't report files that are only on DST")
    p.add_argument("--match", action="store_true", help="also list matching files ('=')")
    p.add_argument("--download", action="store_true",
                   help="compare same-size files by reading both sides' bytes, not by hashes")
    p.add_argument("--combined", metavar="FILE",
                   help="write rclone's combined report to FILE ('-' for stdout): one line per file, "
                        "'= ' same, '- ' only on DST, '+ ' only on SRC, '* ' different, '! ' error")
    add_glob_options(p)
    p.add_argument("--partitions", metavar="PREDICATE", help="only hive partitions matching, e.g. \"year>=2023\"")
    add_filter_options(p, deletes=False)
    p.add_argument("--workers", "--checkers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files hashed at once (default {DEFAULT_WORKERS}; rclone: --checkers)")
    add_live_options(p)
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_sync_options(p)
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    from fsspeckit.verbs.check import check_trees
    from fsspeckit.verbs.sync import list_both

    from .plan_cmd import check_predicate

    if args.partitions:
        check_predicate(args.partitions)
    if args.size_only and args.download:
        raise UsageError("--size-only and --download contradict each other: pick one")
    filters = filters_from_args(args)
    src_fs, src_path, _ = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, _ = location(args.dst, parse_options(args.dst_option))
    live = RunOutput(args, args.src, args.dst)
    try:
        src, pending = connect("source", lambda: list_both(src_fs, src_path, dst_fs, dst_path,
                                                             live.watch.on_stage), args.src)
        dst = connect("destination", pending, args.dst)
        result = connect("source and destination", lambda: check_trees(
            src_fs, dst_fs, src_path, dst_path, size_only=args.size_only, one_way=args.one_way,
            max_workers=args.workers, listings=(src, dst), include=args.include, exclude=args.exclude,
            partitions=args.partitions, filters=filters, download=args.download))
    finally:
        live.close()
    if args.combined:
        write_combined(result, args.combined)
    if args.combined != "-":  # with the report on stdout, nothing else goes there
        _print(result, args)
    return EXIT_OK if result.ok else EXIT_FAILED


def _print(result, args) -> None:
    if args.json:
        data = result.to_dict()
        if args.match:
            data["matching"] = result.matching
        print_json(data)
    else:
        rows = [(d.mark, d.path, d.reason) for d in result.differences]
        if args.match:
            rows += [("=", p, "matches") for p in result.matching]
            rows.sort(key=lambda r: r[1])
        width = min(MAX_PATH_WIDTH, max((len(p) for _, p, _ in rows), default=0))
        for mark, path, reason in rows:
            out(f"{mark} {path:<{width}}  {reason}")
        if not result.dst_exists:
            out(f"note: the destination {result.dst_url} does not exist.")
        out(result.summary())


def combined_lines(result) -> list[str]:
    """rclone's ``--combined`` report: every compared path with its mark, sorted by path."""
    rows = [(d.path, d.mark) for d in result.differences] + [(p, "=") for p in result.matching]
    return [f"{mark} {path}" for path, mark in sorted(rows)]


def write_combined(result, target: str) -> None:
    text = "".join(line + "\n" for line in combined_lines(result))
    if target == "-":
        sys.stdout.write(text)
        return
    try:
        with open(target, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write the combined report {target}: {exc.strerror or exc}") from None
