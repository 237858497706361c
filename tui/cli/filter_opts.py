"""The filter flags rclone users know (--filter, --filter-from, --include-from,
--exclude-from, --min/max-size, --min/max-age, --delete-excluded), shared by every
command that selects files, and the one place they become a ``Filters``.
"""

from __future__ import annotations

import argparse

from .common import UsageError

AWS_ORDER = (
    "--exclude is given before --include: here later rules do not win as in aws s3 sync. A file is kept when "
    "it matches an --include and no --exclude, so --exclude '*' --include '*.csv' would keep nothing. "
    "Write --include '*.csv' alone, or rclone's ordered rules: --filter '+ *.csv' --filter '- **' "
    "(the first rule that matches decides)."
)


class OrderedAppend(argparse._AppendAction):
    """``append``, also noting which of --include/--exclude came first."""

    def __call__(self, parser, namespace, values, option_string=None):
        super().__call__(parser, namespace, values, option_string)
        order = list(getattr(namespace, "glob_order", None) or [])
        order.append(self.dest)
        namespace.glob_order = order


def add_glob_options(p: argparse.ArgumentParser) -> None:
    """--include/--exclude (fsspeckit's globs) with their order noted."""
    p.add_argument("--include", action=OrderedAppend, default=[], metavar="GLOB",
                   help="only files matching GLOB (repeatable; '**' crosses folders)")
    p.add_argument("--exclude", action=OrderedAppend, default=[], metavar="GLOB",
                   help="leave files matching GLOB alone (repeatable; applied after --include, see --filter)")


def add_filter_options(p: argparse.ArgumentParser, *, deletes: bool = True) -> None:
    """rclone's filter flags; ``deletes`` adds --delete-excluded."""
    g = p.add_argument_group("rclone filters (first matching rule wins)")
    g.add_argument("--filter", dest="filter_rules", action="append", default=[], metavar="RULE",
                   help="a rule '+ GLOB' or '- GLOB' (repeatable, in order)")
    g.add_argument("--filter-from", action="append", default=[], metavar="FILE",
                   help="read rules from FILE, one per line ('+ GLOB', '- GLOB', '!' resets; '#' comments)")
    g.add_argument("--include-from", action="append", default=[], metavar="FILE",
                   help="read include globs from FILE (everything else is then excluded)")
    g.add_argument("--exclude-from", action="append", default=[], metavar="FILE",
                   help="read exclude globs from FILE")
    g.add_argument("--min-size", metavar="SIZE", help="only files of at least SIZE (KiB, or B/K/M/G/T, binary)")
    g.add_argument("--max-size", metavar="SIZE", help="only files of at most SIZE")
    g.add_argument("--max-age", metavar="AGE", help="only files modified within AGE (7d, 2h, 1w) or since a date")
    g.add_argument("--min-age", metavar="AGE", help="only files modified more than AGE ago, or before a date")
    if deletes:
        g.add_argument("--delete-excluded", action="store_true",
                       help="also delete destination files the filters exclude (sync only)")


def filters_from_args(args):
    """The ``Filters`` of the command line, or None; bad input raises ``UsageError`` (exit 2)."""
    from fsspeckit.exceptions import FilterError
    from fsspeckit.planning.filters import Filters

    check_glob_order(args)
    try:
        filters = Filters.build(
            rules=args.filter_rules, filter_from=args.filter_from, include_from=args.include_from,
            exclude_from=args.exclude_from, min_size=args.min_size, max_size=args.max_size,
            max_age=args.max_age, min_age=args.min_age,
            delete_excluded=getattr(args, "delete_excluded", False))
    except FilterError as exc:
        raise UsageError(str(exc)) from None
    if filters.delete_excluded and not getattr(args, "delete", True):
        raise UsageError("--delete-excluded deletes on the destination: it needs --delete (sync), not copy/move")
    return filters if filters.active or filters.delete_excluded else None


def check_glob_order(args) -> None:
    """Refuse the aws idiom ``--exclude X --include Y``, which means something else here."""
    order = getattr(args, "glob_order", None) or []
    if "exclude" in order and "include" in order and order.index("exclude") < len(order) - order[::-1].index("include") - 1:
        raise UsageError(AWS_ORDER)
