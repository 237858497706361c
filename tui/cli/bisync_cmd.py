"""``fsspeckit-tui bisync A B``: keep two locations in step both ways, like rclone ``bisync``.

What each side held after the last run is kept in a state file in the user's
data folder; changes on either side are carried to the other, deletions too,
and paths changed on both sides are conflicts, resolved by ``--conflict``.
"""

from __future__ import annotations

import json

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    LOCATIONS_AND_EXIT_CODES,
    UsageError,
    add_command,
    connect,
    err,
    fail,
    location,
    out,
    parse_options,
    positive_int,
)
from .filter_opts import add_filter_options, add_glob_options, filters_from_args


def add_parser(sub) -> None:
    from fsspeckit.verbs.bisync import CONFLICT_CHOICES

    p = add_command(
        sub, "bisync",
        help="keep A and B in step both ways (a state of the last run; conflicts when both changed)",
        description="Two-way sync: new, changed and deleted files on either side are carried to the other. "
                    "A path changed on both sides (or changed on one and deleted on the other) is a conflict, "
                    "resolved by --conflict (default: skip and report, exit 1). The first run, and one with "
                    "--resync, only merges (copies what is missing each way) and never deletes.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("left", metavar="A", help="one location")
    p.add_argument("right", metavar="B", help="the other location")
    p.add_argument("--conflict", choices=CONFLICT_CHOICES, default="skip",
                   help="how to resolve a conflict: skip (default), newer, larger, left, right, or keep_both "
                        "(the other version is kept beside it as NAME.conflict-SIDE-TIME.EXT)")
    p.add_argument("--resync", action="store_true", help="forget the state and merge afresh (never deletes)")
    p.add_argument("-n", "--dry-run", "--dryrun", dest="dry_run", action="store_true",
                   help="show what would be done; change nothing (aws: --dryrun)")
    p.add_argument("--max-delete", type=float, default=50.0, metavar="PERCENT",
                   help="abort when a side lost more than this share of the files of the last run (default 50)")
    p.add_argument("--force", action="store_true",
                   help="go on although a side lists empty or lost more than --max-delete")
    add_glob_options(p)
    p.add_argument("--partitions", metavar="PREDICATE", help="only partitions matching, e.g. 'year>=2024'")
    add_filter_options(p, deletes=False)
    p.add_argument("--workers", "--transfers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files copied at once (default {DEFAULT_WORKERS}; rclone: --transfers)")
    p.add_argument("--list", action="store_true", help="print every action with its reason")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.add_argument("--a-option", "--src-option", dest="a_option", action="append", default=[], metavar="K=V",
                   help="storage option for A (repeatable)")
    p.add_argument("--b-option", "--dst-option", dest="b_option", action="append", default=[], metavar="K=V",
                   help="storage option for B (repeatable)")
    p.set_defaults(func=cmd_bisync)


def cmd_bisync(args) -> int:
    from fsspeckit.verbs.bisync import bisync, plan_bisync

    if not 0 <= args.max_delete <= 100:
        return fail(args, EXIT_USAGE, "--max-delete is a percentage from 0 to 100")
    left_fs, left_path, _ = location(args.left, parse_options(args.a_option))
    right_fs, right_path, _ = location(args.right, parse_options(args.b_option))
    filters = filters_from_args(args)
    if filters is not None and filters.limits_test() is not None:
        raise UsageError("bisync takes filter rules but not --min/max-size or --min/max-age: a file that crosses "
                         "a limit would look deleted on its side, and be deleted on the other")
    common = dict(include=tuple(args.include), exclude=tuple(args.exclude), partitions=args.partitions,
                  rules=filters.rules if filters is not None else ())
    plan = connect("both sides", lambda: plan_bisync(
        left_fs, right_fs, left_path, right_path, resync=args.resync, conflict=args.conflict,
        max_delete=args.max_delete, allow_delete_all=args.force, **common))
    result = connect("both sides", lambda: bisync(
        left_fs, right_fs, left_path, right_path, plan=plan, dry_run=args.dry_run, max_workers=args.workers,
        **common))
    if args.json:
        out(json.dumps({
            "first_run": plan.first_run, "dry_run": args.dry_run, "ok": result.ok,
            "plan": [{"path": a.path, "kind": a.kind, "direction": a.direction, "reason": a.reason,
                      "resolution": a.resolution} for a in plan.actions],
            "outcomes": [{"path": p, "what": w, "outcome": o, "error": e} for p, w, o, e in result.outcomes],
            "conflicts_unresolved": result.conflicts_left,
        }, indent=2))
    else:
        if plan.first_run:
            out("first run (or --resync): merging both sides; nothing is deleted")
        if args.list or args.dry_run:
            for a in plan.actions:
                if a.kind in ("record", "forget"):
                    continue
                arrow = {"left->right": "→", "right->left": "←"}.get(a.direction or "", "")
                what = f"copy {arrow}" if a.kind == "copy" else (f"delete on {a.direction}" if a.kind == "delete"
                                                                  else f"CONFLICT ({a.resolution})")
                out(f"{what:<22} {a.path}  ({a.reason})")
        for p, w, o, e in result.outcomes:
            if o == "failed":
                err(f"failed {w} {p}: {e}")
        for p in result.conflicts_left:
            err(f"conflict left as it is: {p} (choose with --conflict)")
        out(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED
