"""``copy`` and ``move``, the rclone verbs beside ``sync``.

``copy SRC DST`` is ``sync`` that never deletes on the destination (rclone's
``copy``); ``move SRC DST`` copies, verifies each copy by content, and only
then deletes the source file (rclone's ``move``).
"""

from __future__ import annotations

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    EXIT_MAX_TRANSFER,
    EXIT_USAGE,
    LOCATIONS_AND_EXIT_CODES,
    UsageError,
    add_command,
    add_sync_options,
    connect,
    err,
    fail,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
)
from .filter_opts import filters_from_args
from .plan_cmd import add_plan_options, check_predicate, strict_exit
from .store_opts import add_s3_options, check_s3_destination, dst_options


def add_parser(sub) -> None:
    from .sync_cmd import cmd_sync

    p = add_command(
        sub, "copy",
        help="copy new and changed files from SRC to DST; never deletes (like rclone copy)",
        description="Like sync, but files only in DST stay: nothing on DST is ever deleted.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    _locations(p)
    from .apply_cmd import add_run_options

    add_plan_options(p, "copy")
    p.add_argument("--workers", "--transfers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files copied at once (default {DEFAULT_WORKERS}; rclone: --transfers)")
    p.add_argument("--checkers", type=positive_int, default=None, metavar="N",
                   help="files hashed at once while planning (default: as many as --transfers)")
    add_run_options(p)
    p.add_argument("--allow-empty-source", action="store_true", help=argparse_suppress())
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    add_s3_options(p)
    p.set_defaults(func=_guard_copy(cmd_sync))

    m = add_command(
        sub, "move",
        help="move files from SRC to DST: copy, verify by content, then delete the source (like rclone move)",
        description="Copy new and changed files to DST, verify each copy by its MD5, then delete the source "
                    "file. A file already on DST is removed from SRC only when both hash alike; a file whose "
                    "copy failed, or that DST holds in another version, stays in SRC. Nothing on DST is deleted.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    _locations(m)
    add_plan_options(m, "move")
    m.add_argument("--workers", "--transfers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files copied at once (default {DEFAULT_WORKERS}; rclone: --transfers)")
    m.add_argument("--retries", type=positive_int, default=3, metavar="N", help="attempts after a transient failure")
    m.add_argument("-n", "--dry-run", "--dryrun", dest="dry_run", action="store_true",
                   help="show what would be copied; move nothing (aws: --dryrun)")
    m.add_argument("--bwlimit", metavar="RATE", help="at most RATE bytes a second over all transfers, e.g. 10M")
    m.add_argument("--max-transfer", metavar="SIZE",
                   help="start no new copy once SIZE bytes were transferred (the rest stays in SRC; exit 8)")
    m.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(m)
    add_s3_options(m)
    m.set_defaults(func=cmd_move)


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def _locations(p) -> None:
    p.add_argument("src", metavar="SRC", help="source location")
    p.add_argument("dst", metavar="DST", help="destination location")


def _guard_copy(cmd):
    def run(args) -> int:
        if args.delete:
            return fail(args, EXIT_USAGE, "copy never deletes on the destination; use sync to mirror SRC (it "
                        "deletes what SRC lacks)")
        return cmd(args)

    return run


def cmd_move(args) -> int:
    from fsspeckit.verbs.move import move_dir
    from fsspeckit.verbs.sync import url_of

    if args.delete:
        return fail(args, EXIT_USAGE, "move never deletes on the destination (--delete is for sync)")
    if args.partitions:
        check_predicate(args.partitions)
    filters = filters_from_args(args)
    src_fs, src_path, _ = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, _ = location(args.dst, dst_options(args))
    check_s3_destination(args, dst_fs, args.dst)
    result = connect("source and destination", lambda: move_dir(
        src_fs, dst_fs, src_path, dst_path, compare=args.compare, strategy=args.strategy, include=args.include,
        exclude=args.exclude, partitions=args.partitions, max_workers=args.workers, dry_run=args.dry_run,
        retries=args.retries, filters=filters, **_move_limits(args)))
    if result.max_transfer_reached:
        err("stopped: the --max-transfer limit was reached; the files not copied stay in the source")
    moved = [o for o in result.outcomes if o.action == "delete_source" and o.outcome == "deleted"]
    kept = [o for o in result.outcomes if o.action == "delete_source" and o.outcome == "not_deleted"]
    failed = [o for o in result.outcomes if o.outcome == "failed"]
    if args.json:
        print_json({"ok": not failed, "dry_run": args.dry_run, "src_url": url_of(src_fs, src_path),
                    "dst_url": url_of(dst_fs, dst_path), "moved": [o.path for o in moved],
                    "kept_in_source": [{"path": o.path, "why": o.error} for o in kept],
                    "failed": [{"path": o.path, "what": o.action, "error": o.error} for o in failed]})
    else:
        if args.dry_run:
            would = [o for o in result.outcomes if o.action in ("copy", "update")]
            out("Dry run, nothing moved:")
            for o in would:
                out(f"would move {o.path}")
            out(f"  would copy {len(would)} files, then remove each source file once its copy is verified")
        for o in kept:
            out(f"kept {o.path}: {o.error}")
        for o in failed:
            err(f"failed {o.action} {o.path}: {o.error}")
        if not args.dry_run:
            out(f"moved {len(moved)} files, kept {len(kept)} in the source, failed {len(failed)}")
    if failed:
        return EXIT_FAILED
    if result.max_transfer_reached:
        return EXIT_MAX_TRANSFER
    return strict_exit(args, result.partition_matches)


def _move_limits(args) -> dict:
    from fsspeckit.exceptions import FilterError
    from fsspeckit.planning.filters import parse_size

    from .apply_cmd import _size

    limits = {"bwlimit": _size(args.bwlimit, "--bwlimit", parse_size, FilterError),
              "max_transfer": _size(args.max_transfer, "--max-transfer", parse_size, FilterError)}
    if limits["bwlimit"] == 0:
        raise UsageError("--bwlimit 0 would never transfer anything: leave it out for no limit")
    return limits
