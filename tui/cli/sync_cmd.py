"""``fsspeckit-tui sync SRC DST``: plan and apply in one run, like ``rclone sync``.

The same decisions as ``plan`` and the same way of writing as ``apply``, with
both sides listed once; no plan file is needed.
"""

from __future__ import annotations

import dataclasses

from ..service import DEFAULT_WORKERS
from .apply_cmd import (
    add_run_options,
    backup_dir,
    check_report_path,
    finish,
    parse_max_delete,
    progress_hook,
    run_options,
)
from .common import (
    EXIT_FAILED,
    LOCATIONS_AND_EXIT_CODES,
    add_command,
    add_sync_options,
    connect,
    fail,
    location,
    parse_options,
    positive_int,
)
from .filter_opts import filters_from_args
from .logs import RunOutput
from .plan_cmd import add_plan_options, add_rename_option, check_predicate, plan_options, strict_exit
from .store_opts import add_s3_options, check_s3_destination, dst_options


def add_parser(sub) -> None:
    p = add_command(
        sub, "sync",
        help="make DST a mirror of SRC in one run (plan + apply)",
        description="Make DST like SRC: copy new and changed files and, unless --no-delete, delete the files "
                    "only in DST. A missing or empty SRC changes nothing (exit 4 or 1). Use --dry-run to see "
                    "the outcome first, or `plan` to save and review the plan before `apply`.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC", help="source location")
    p.add_argument("dst", metavar="DST", help="destination location")
    add_plan_options(p, "sync")
    add_rename_option(p)
    p.add_argument("--workers", "--transfers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files copied at once (default {DEFAULT_WORKERS}; rclone: --transfers)")
    p.add_argument("--checkers", type=positive_int, default=None, metavar="N",
                   help="files hashed at once while planning (default: as many as --transfers)")
    add_run_options(p)
    p.add_argument("--allow-empty-source", action="store_true",
                   help="sync from a source that holds no files (with --delete this empties DST)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    add_s3_options(p)
    p.set_defaults(func=cmd_sync)


def cmd_sync(args) -> int:
    from fsspeckit.backends.filesystem import unwrap
    from fsspeckit.exceptions import EmptySourceError
    from fsspeckit.verbs.sync import sync_dir, url_of

    if args.partitions:
        check_predicate(args.partitions)
    check_report_path(args.report)
    max_delete = parse_max_delete(args.max_delete)
    filters = filters_from_args(args)
    run = run_options(args, max_delete, None)
    src_fs, src_path, src_stored = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, dst_stored = location(args.dst, dst_options(args))
    src_url = src_stored or url_of(src_fs, src_path)
    dst_url = dst_stored or url_of(dst_fs, dst_path)
    check_s3_destination(args, dst_fs, dst_url)
    backup = backup_dir(args.backup_dir, dst_fs, dst_url, unwrap(dst_fs, dst_path)[1], src=(src_fs, src_path))

    live = RunOutput(args, src_url, dst_url)
    try:
        result = connect("source and destination", lambda: sync_dir(
            src_fs, dst_fs, src_path, dst_path, options=plan_options(args, filters),
            run_options=dataclasses.replace(run, backup_dir=backup), progress_hook=progress_hook(args, live),
            executor=args.scheduler, allow_empty_source=args.allow_empty_source, raise_on_error=False,
            on_stage=live.watch.on_stage, hash_workers=args.checkers))
    except EmptySourceError:  # a guard, not a connection problem
        return fail(args, EXIT_FAILED, f"the source {src_url} holds no files; nothing was changed (with --delete, "
                    f"a sync from it would delete everything in {dst_url}). Pass --allow-empty-source if that "
                    "is meant.")
    finally:
        live.close()
    code = finish(result, args, src_url, dst_url)
    return code or strict_exit(args, result.partition_matches)
