"""``fsspeckit-tui sync SRC DST``: plan and apply in one run, like ``rclone sync``.

The same decisions as ``plan`` and the same way of writing as ``apply``, with
both sides listed once; no plan file is needed.
"""

from __future__ import annotations

from .apply_cmd import add_run_options, backup_dir, finish, parse_max_delete, terminal_progress
from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    LOCATIONS_AND_EXIT_CODES,
    add_command,
    add_sync_options,
    connect,
    err,
    location,
    parse_options,
    positive_int,
)
from .plan_cmd import add_plan_options, check_predicate


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
    p.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"files copied at once (default {DEFAULT_WORKERS})")
    add_run_options(p)
    p.add_argument("--allow-empty-source", action="store_true",
                   help="sync from a source that holds no files (with --delete this empties DST)")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    p.set_defaults(func=cmd_sync)


def cmd_sync(args) -> int:
    from fsspeckit.exceptions import EmptySourceError
    from fsspeckit.filesystem import unwrap
    from fsspeckit.sync import sync_dir, url_of

    if args.partitions:
        check_predicate(args.partitions)
    max_delete = parse_max_delete(args.max_delete)
    src_fs, src_path, src_stored = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, dst_stored = location(args.dst, parse_options(args.dst_option))
    src_url = src_stored or url_of(src_fs, src_path)
    dst_url = dst_stored or url_of(dst_fs, dst_path)
    backup = backup_dir(args.backup_dir, dst_fs, dst_url, unwrap(dst_fs, dst_path)[1], src=(src_fs, src_path))

    term = terminal_progress(args)
    try:
        result = connect("source and destination", lambda: sync_dir(
            src_fs, dst_fs, src_path, dst_path, delete=args.delete, compare=args.compare,
            strategy=args.strategy, include=args.include, exclude=args.exclude, partitions=args.partitions,
            dry_run=args.dry_run, max_delete=max_delete, backup_dir=backup, retries=args.retries,
            verify=args.verify, max_workers=args.workers, progress_hook=term, executor=args.scheduler,
            allow_empty_source=args.allow_empty_source, raise_on_error=False))
    except EmptySourceError:  # a guard, not a connection problem
        err(f"the source {src_url} holds no files; nothing was changed (with --delete, a sync from it would "
            f"delete everything in {dst_url}). Pass --allow-empty-source if that is meant.")
        return EXIT_FAILED
    finally:
        if term is not None:
            term.close()
    return finish(result, args, src_url, dst_url)
