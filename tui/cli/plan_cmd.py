"""``fsspeckit-tui plan SRC DST``: list both sides, decide one action per file and
save the plan as JSON (or print its totals); nothing is written to the destination.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..service import COMPARE_MODES, DEFAULT_WORKERS, STRATEGIES, delete_default
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    PROG,
    ConnectError,
    UsageError,
    add_command,
    add_live_options,
    add_sync_options,
    connect,
    err,
    human,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
)
from .filter_opts import add_filter_options, add_glob_options, filters_from_args
from .logs import RunOutput

KINDS = ("copy", "update", "move", "delete", "skip")


def add_parser(sub) -> None:
    p = add_command(
        sub, "plan",
        help="compare SRC with DST and save the plan of a sync",
        description="List SRC and DST, decide one action per file (copy, update, delete, skip) and save the "
                    "plan as JSON. Nothing is written to DST; apply the plan with `fsspeckit-tui apply`.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC", help="source location")
    p.add_argument("dst", metavar="DST", help="destination location")
    p.add_argument("-o", "--output", metavar="PLAN.json", help="write the plan here ('-' for stdout)")
    add_plan_options(p)
    add_rename_option(p)
    p.add_argument("--workers", "--checkers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files hashed at once (default {DEFAULT_WORKERS}; rclone: --checkers)")
    add_live_options(p)
    p.add_argument("--list", action="store_true", help="also print every planned write with its reason")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    p.set_defaults(func=cmd_plan)


def add_plan_options(p: argparse.ArgumentParser, verb: str = "plan") -> None:
    """What decides the actions: strategy, comparison, filters, deletion (shared with ``sync``).

    The deletion default is the verb's documented one (``tui.service.DELETE_DEFAULTS``)."""
    p.add_argument("--strategy", default=STRATEGIES[0], choices=STRATEGIES,
                   help=f"what to do when a file differs (default: {STRATEGIES[0]})")
    p.add_argument("--compare", default=COMPARE_MODES[0], choices=COMPARE_MODES,
                   help=f"how files are compared (default: {COMPARE_MODES[0]})")
    p.add_argument("-c", "--checksum", dest="compare", action="store_const", const="checksum",
                   help="compare by content hash (rclone's --checksum; --compare checksum)")
    p.add_argument("--size-only", dest="compare", action="store_const", const="size",
                   help="compare by size only (rclone's and aws's --size-only; --compare size)")
    p.add_argument("--exact-timestamps", dest="compare", action="store_const", const="size_mtime",
                   help="a file of the same size is unchanged only when its time matches (aws; the default here)")
    p.add_argument("-u", "--update", dest="strategy", action="store_const", const="newer",
                   help="never replace a file that is newer on DST (rclone's --update; --strategy newer)")
    p.add_argument("--ignore-existing", dest="strategy", action="store_const", const="skip",
                   help="never replace a file DST already has (rclone's --ignore-existing; --strategy skip)")
    add_glob_options(p)
    p.add_argument("--partitions", metavar="PREDICATE", help="only hive partitions matching, e.g. \"year>=2023\"")
    p.add_argument("--strict", action="store_true",
                   help="exit 1 when --partitions selects no file of the source (else a warning)")
    on = delete_default(verb)
    p.add_argument("--delete", action=argparse.BooleanOptionalAction, default=on,
                   help="delete destination files missing from the source "
                        f"(default: {'--delete' if on else '--no-delete'})")
    add_filter_options(p)


def plan_options(args, filters=None):
    """The plan stage's one settings object (``SyncOptions``) from the options of ``add_plan_options``."""
    from fsspeckit.planning.plan import SyncOptions

    return SyncOptions(compare=args.compare, strategy=args.strategy, delete=args.delete, include=tuple(args.include),
                       exclude=tuple(args.exclude), partitions=args.partitions, filters=filters,
                       track_renames=getattr(args, "track_renames", False))


def add_rename_option(p: argparse.ArgumentParser) -> None:
    """``--track-renames`` (``plan`` and ``sync``; off by default, as in rclone)."""
    p.add_argument("--track-renames", action="store_true",
                   help="move a file moved or renamed in SRC within DST instead of copying it again "
                        "(same size and hash, or same size and time where no hash decides; ambiguous "
                        "matches are copied); needs --delete")


def move_line(a) -> str:
    """One planned move as people read it: ``move a -> b``."""
    return f"move    {a.move_from} → {a.path}  ({a.reason})"


def cmd_plan(args) -> int:
    from dataclasses import replace

    from fsspeckit.verbs.sync import plan_sync

    if args.partitions:
        check_predicate(args.partitions)
    filters = filters_from_args(args)
    src_fs, src_path, src_stored = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, dst_stored = location(args.dst, parse_options(args.dst_option))
    t0 = time.monotonic()
    live = RunOutput(args, args.src, args.dst)
    try:
        plan = connect("source and destination", lambda: plan_sync(
            src_fs, dst_fs, src_path, dst_path, options=plan_options(args, filters), max_workers=args.workers,
            on_stage=live.watch.on_stage))
    finally:
        live.close()
    took = time.monotonic() - t0
    if not plan.src_exists:
        raise ConnectError(f"the source {plan.src_url} does not exist; check the path (a typo?).")
    if src_stored:
        plan = replace(plan, src_url=src_stored)
    if dst_stored:
        plan = replace(plan, dst_url=dst_stored)
    code = strict_exit(args, plan.partition_matches)
    if args.output == "-":
        sys.stdout.write(plan.to_json() + "\n")
        return code
    saved = None
    if args.output:
        try:
            plan.save(args.output)
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {args.output}: {exc.strerror or exc}") from None
        saved = args.output
    if args.json:
        _print_plan_json(plan, saved, took, args.list)
    else:
        _print_plan(plan, saved, args.list)
    return code


def strict_exit(args, matches: int | None) -> int:
    """1 under --strict when the partition predicate selected no source file, else 0."""
    if getattr(args, "strict", False) and matches == 0:
        err(f"--strict: the partition predicate {args.partitions!r} selects no file of the source.")
        return EXIT_FAILED  # under --json, the output printed already says partition_matches: 0
    return EXIT_OK


def _print_plan_json(plan, saved: str | None, took: float, with_actions: bool) -> None:
    totals = plan.totals
    print_json({
        "plan_file": saved,
        "src_url": plan.src_url,
        "dst_url": plan.dst_url,
        "options": plan.options.to_dict(),
        "files": len(plan.actions),
        "totals": {k: {"files": totals.files.get(k, 0), "bytes": totals.bytes.get(k, 0)} for k in KINDS},
        "categories": _count(a.category for a in plan.actions),
        "seconds": round(took, 3),
        "partition_matches": plan.partition_matches,
        "actions": [a.to_dict() for a in plan.actions if a.kind != "skip"] if with_actions else None,
    })


def _print_plan(plan, saved: str | None, with_actions: bool) -> None:
    o = plan.options
    out(f"Plan: {plan.src_url} -> {plan.dst_url}")
    out(f"  compare {o.compare}, strategy {o.strategy}, deletion {'on' if o.delete else 'off'}"
        + (f", include {', '.join(o.include)}" if o.include else "")
        + (f", exclude {', '.join(o.exclude)}" if o.exclude else "")
        + (f", partitions {o.partitions}" if o.partitions else "")
        + (f", {len(o.filters.rules)} filter rules" if o.filters is not None and o.filters.rules else "")
        + (", size/age limits" if o.filters is not None and o.filters.limits_test() else "")
        + (", deleting excluded files" if o.delete_excluded else ""))
    totals = plan.totals
    for kind in KINDS:
        n, b = totals[kind]
        if kind == "move" and not n:
            continue
        size = f"  {human(b):>10}" if kind not in ("skip", "move") else ""
        out(f"  {kind:<7}{n:>8} file{'s' if n != 1 else ' '}{size}")
    if plan.src_files == 0:
        out("  note: the source holds no files.")
    if with_actions:
        for a in plan.actions:
            if a.kind == "move":
                out(f"  {move_line(a)}")
            elif a.kind != "skip":
                out(f"  {a.kind:<7} {a.path}  ({a.reason})")
    if saved:
        out(f"Saved the plan to {saved}; apply it with: {PROG} apply {saved}")
    else:
        out("Nothing saved (use -o PLAN.json to save the plan).")


def check_predicate(text: str) -> None:
    from fsspeckit.partitions import hive as partitions

    try:
        partitions.compile_predicate(text)
    except NotImplementedError:
        raise UsageError("partition predicates (--partitions) are not available in this version.") from None
    except Exception as exc:  # noqa: BLE001 - the parser's own message
        raise UsageError(f"the partition predicate {text!r} cannot be read: {exc}") from None


def _count(items) -> dict[str, int]:
    counts: dict[str, int] = {}
    for x in items:
        counts[x] = counts.get(x, 0) + 1
    return counts
