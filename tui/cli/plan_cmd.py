"""``fsspeckit-tui plan SRC DST``: list both sides, decide one action per file and
save the plan as JSON (or print its totals); nothing is written to the destination.
"""

from __future__ import annotations

import argparse
import sys
import time

from .common import (
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    PROG,
    ConnectError,
    UsageError,
    add_command,
    add_sync_options,
    connect,
    human,
    location,
    out,
    parse_options,
    positive_int,
    print_json,
)

from ..service import COMPARE_MODES, DEFAULT_WORKERS, STRATEGIES, delete_default

KINDS = ("copy", "update", "delete", "skip")


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
    p.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"parallel hashing (default {DEFAULT_WORKERS})")
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
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="only files matching GLOB (repeatable; '**' crosses folders)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave files matching GLOB alone (repeatable)")
    p.add_argument("--partitions", metavar="PREDICATE", help="only hive partitions matching, e.g. \"year>=2023\"")
    on = delete_default(verb)
    p.add_argument("--delete", action=argparse.BooleanOptionalAction, default=on,
                   help="delete destination files missing from the source "
                        f"(default: {'--delete' if on else '--no-delete'})")


def plan_options(args):
    """The plan stage's one settings object (``SyncOptions``) from the options of ``add_plan_options``."""
    from fsspeckit.plan import SyncOptions

    return SyncOptions(compare=args.compare, strategy=args.strategy, delete=args.delete, include=tuple(args.include),
                       exclude=tuple(args.exclude), partitions=args.partitions)


def cmd_plan(args) -> int:
    from dataclasses import replace

    from fsspeckit.sync import plan_sync

    if args.partitions:
        check_predicate(args.partitions)
    src_fs, src_path, src_stored = location(args.src, parse_options(args.src_option))
    dst_fs, dst_path, dst_stored = location(args.dst, parse_options(args.dst_option))
    t0 = time.monotonic()
    plan = connect("source and destination", lambda: plan_sync(
        src_fs, dst_fs, src_path, dst_path, options=plan_options(args), max_workers=args.workers))
    took = time.monotonic() - t0
    if not plan.src_exists:
        raise ConnectError(f"the source {plan.src_url} does not exist; check the path (a typo?).")
    if src_stored:
        plan = replace(plan, src_url=src_stored)
    if dst_stored:
        plan = replace(plan, dst_url=dst_stored)
    if args.output == "-":
        sys.stdout.write(plan.to_json() + "\n")
        return EXIT_OK
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
        "actions": [a.to_dict() for a in plan.actions if a.kind != "skip"] if with_actions else None,
    })


def _print_plan(plan, saved: str | None, with_actions: bool) -> None:
    o = plan.options
    out(f"Plan: {plan.src_url} -> {plan.dst_url}")
    out(f"  compare {o.compare}, strategy {o.strategy}, deletion {'on' if o.delete else 'off'}"
        + (f", include {', '.join(o.include)}" if o.include else "")
        + (f", exclude {', '.join(o.exclude)}" if o.exclude else "")
        + (f", partitions {o.partitions}" if o.partitions else ""))
    totals = plan.totals
    for kind in KINDS:
        n, b = totals[kind]
        size = f"  {human(b):>10}" if kind != "skip" else ""
        out(f"  {kind:<7}{n:>8} file{'s' if n != 1 else ' '}{size}")
    if plan.src_files == 0:
        out("  note: the source holds no files.")
    if with_actions:
        for a in plan.actions:
            if a.kind != "skip":
                out(f"  {a.kind:<7} {a.path}  ({a.reason})")
    if saved:
        out(f"Saved the plan to {saved}; apply it with: {PROG} apply {saved}")
    else:
        out("Nothing saved (use -o PLAN.json to save the plan).")


def check_predicate(text: str) -> None:
    from fsspeckit import partitions

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
