"""``fsspeckit-tui partitions LOCATION``: list a location once and summarise its
hive partitions (files, bytes, oldest and newest time per key and value).
"""

from __future__ import annotations

from .common import (
    EXIT_OK,
    LOCATIONS_AND_EXIT_CODES,
    ConnectError,
    add_command,
    connect,
    human,
    location,
    out,
    parse_options,
    print_json,
    when,
)


def add_parser(sub) -> None:
    p = add_command(
        sub, "partitions",
        help="show the hive partition layout under a location",
        description="List LOCATION and summarise its hive partitions (key=value folders): for each key and "
                    "value, the number of files, bytes, and the oldest and newest modification time.",
        epilog=LOCATIONS_AND_EXIT_CODES,
    )
    p.add_argument("location", metavar="LOCATION")
    p.add_argument("--option", action="append", default=[], metavar="K=V", help="storage option (repeatable)")
    p.add_argument("--folders", action="store_true", help="also list every partition folder")
    p.add_argument("--json", action="store_true", help="print the layout as JSON")
    p.set_defaults(func=cmd_partitions)


def cmd_partitions(args) -> int:
    from fsspeckit.listing import list_tree
    from fsspeckit.partitions import partition_index

    fs, path, _ = location(args.location, parse_options(args.option))
    listing = connect("location", lambda: list_tree(fs, path, role="source"), args.location)
    if not listing.exists:
        raise ConnectError(f"{args.location} does not exist; check the path.")
    index = partition_index(listing)
    if args.json:
        data = index.to_dict()
        data["location"] = args.location
        print_json(data)
        return EXIT_OK
    total = index.total
    by_key = index.by_key()
    out(f"{args.location}: {total.files} files, {human(total.bytes)}, "
        f"{len(by_key)} partition key{'s' if len(by_key) != 1 else ''}")
    for key, values in by_key.items():
        out(f"{key}:")
        _print_stats([("(null)" if v is None else str(v), st) for v, st in values.items()])
    if args.folders:
        out("partition folders:")
        _print_stats([(p or "(outside any partition)", st) for p, st in index.partitions.items()])
    outside = index.partitions.get("")
    if outside is not None and by_key and not args.folders:
        out(f"outside any partition: {outside.files} file{'s' if outside.files != 1 else ''}, {human(outside.bytes)}")
    return EXIT_OK


def _print_stats(rows: list[tuple[str, object]]) -> None:
    """One indented, aligned line per ``(label, stats)``."""
    width = max((len(label) for label, _ in rows), default=0)
    for label, st in rows:
        out(f"  {label:<{width}}  {_stats_line(st)}")


def _stats_line(st) -> str:
    span = f"{when(st.oldest)} .. {when(st.newest)}" if st.oldest is not None else "-"
    return f"{st.files:>7} file{'s' if st.files != 1 else ' '}  {human(st.bytes):>10}  {span}"
