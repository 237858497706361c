"""``fsspeckit-tui check SRC DST``: compare two trees file by file like ``rclone
check`` (sizes and content hashes), list the differences with rclone's marks and
exit 1 when there are any.
"""

from __future__ import annotations

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    add_command,
    add_sync_options,
    connect,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
)

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
    p.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"files hashed at once (default {DEFAULT_WORKERS})")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    add_sync_options(p)
    p.set_defaults(func=cmd_check)


def cmd_check(args) -> int:
    from fsspeckit.check import check_trees

    src_fs, src_path, _ = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, _ = location(args.dst, parse_options(args.dst_option))
    result = connect("source and destination", lambda: check_trees(
        src_fs, dst_fs, src_path, dst_path, size_only=args.size_only, one_way=args.one_way,
        max_workers=args.workers))
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
    return EXIT_OK if result.ok else EXIT_FAILED
