"""Headless commands of ``fsspeckit-tui``: plan, apply, check, partitions, remote.

For scripts and CI: each command has ``--help`` and, where it makes sense,
``--json``. Nothing here imports Textual, and the library is imported only when
a command runs, so ``--help`` answers at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from datetime import datetime, timezone
from typing import Any, Callable


__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_STALE", "EXIT_CONNECT"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_STALE = 3
EXIT_CONNECT = 4

PROG = "fsspeckit-tui"

EXIT_CODES = """\
exit codes:
  0  success (check: no differences)
  1  some paths failed (check: differences found); or a safety guard refused to run
  2  bad usage or input (options, plan file, remote name)
  3  the plan is stale: the source changed since it was made; nothing was written
  4  could not connect to or list a location
"""

LOCATIONS = """\
locations:
  s3://bucket/prefix, gs://bucket/prefix, memory://name, a local folder (./out, /data),
  or NAME:path for a saved remote (see `fsspeckit-tui remote --help`).
"""

log = logging.getLogger("fsspeckit.cli")


class UsageError(Exception):
    """Bad input on the command line: exit code 2."""


class ConnectError(Exception):
    """A location could not be reached or listed: exit code 4."""


# --- parser ------------------------------------------------------------------

class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=32)


def _common() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    p.add_argument("-v", "--verbose", action="store_true", help="log what the library does (to stderr)")
    return p


def _add_sync_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--src-option", action="append", default=[], metavar="K=V",
                   help="storage option for the source (repeatable), e.g. endpoint_url=http://host:9000, "
                        "profile=prod, region=eu-west-1, anon=true, key=env:MY_KEY")
    p.add_argument("--dst-option", action="append", default=[], metavar="K=V",
                   help="storage option for the destination (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_Formatter,
        description="Headless commands of fsspeckit-tui: plan a sync, apply a plan, check two trees, "
                    "show a partition layout, manage saved remotes.",
        epilog=LOCATIONS + "\n" + EXIT_CODES,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    # plan
    p = sub.add_parser(
        "plan", parents=[common], formatter_class=_Formatter,
        help="compare SRC with DST and save the plan of a sync",
        description="List SRC and DST, decide one action per file (copy, update, delete, skip) and save the "
                    "plan as JSON. Nothing is written to DST; apply the plan with `fsspeckit-tui apply`.",
        epilog=LOCATIONS + "\n" + EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC", help="source location")
    p.add_argument("dst", metavar="DST", help="destination location")
    p.add_argument("-o", "--output", metavar="PLAN.json", help="write the plan here ('-' for stdout)")
    p.add_argument("--strategy", default="source_wins",
                   choices=["source_wins", "newer", "larger", "skip", "keep_both"],
                   help="what to do when a file differs (default: source_wins)")
    p.add_argument("--compare", default="size_mtime", choices=["size_mtime", "size", "checksum", "always"],
                   help="how files are compared (default: size_mtime)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="only files matching GLOB (repeatable; '**' crosses folders)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave files matching GLOB alone (repeatable)")
    p.add_argument("--partitions", metavar="PREDICATE", help="only hive partitions matching, e.g. \"year>=2023\"")
    p.add_argument("--delete", action=argparse.BooleanOptionalAction, default=True,
                   help="delete destination files missing from the source (default: --delete)")
    p.add_argument("--workers", type=_positive_int, default=8, metavar="N", help="parallel hashing (default 8)")
    p.add_argument("--list", action="store_true", help="also print every planned write with its reason")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    _add_sync_options(p)
    p.set_defaults(func=cmd_plan)

    # apply
    p = sub.add_parser(
        "apply", parents=[common], formatter_class=_Formatter,
        help="carry out a saved plan",
        description="Apply a plan saved by `plan` or by the app. The source is listed again first: if it "
                    "changed since planning, nothing is written (exit 3). Actions already done (e.g. by an "
                    "earlier run of the same plan) are skipped. Deletions run only when every copy succeeded. "
                    "Plans hold no secrets: give storage options again with --src-option/--dst-option, or use "
                    "saved remotes.",
        epilog=EXIT_CODES,
    )
    p.add_argument("plan", metavar="PLAN.json", help="the plan file")
    p.add_argument("--workers", type=_positive_int, default=4, metavar="N", help="files copied at once (default 4)")
    p.add_argument("--retries", type=_non_negative_int, default=3, metavar="N",
                   help="attempts after a transient failure (default 3)")
    p.add_argument("--verify", default="size", choices=["size", "checksum"],
                   help="check each copy by size (default) or content hash")
    p.add_argument("--max-delete", metavar="N|P%",
                   help="refuse to run if the plan deletes more than N files or P%% of the destination")
    p.add_argument("--backup-dir", metavar="PATH",
                   help="move replaced and deleted files here (a folder, or a URL on the destination's store) "
                        "instead of destroying them; must be outside the destination")
    p.add_argument("--report", metavar="FILE", help="write every path's outcome to FILE (.json or .csv)")
    p.add_argument("--dry-run", action="store_true", help="check the plan and report, write nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress line on the terminal")
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    _add_sync_options(p)
    p.set_defaults(func=cmd_apply)

    # check
    p = sub.add_parser(
        "check", parents=[common], formatter_class=_Formatter,
        help="compare two trees file by file (like rclone check)",
        description="Compare SRC and DST by size and content hash (the stores' own MD5 where both sides have "
                    "one, a streamed MD5 otherwise). Lists every difference with rclone's marks: '+' only on "
                    "the source (missing on destination), '-' only on the destination, '*' differing, '!' could not be compared.",
        epilog=LOCATIONS + "\n" + EXIT_CODES,
    )
    p.add_argument("src", metavar="SRC")
    p.add_argument("dst", metavar="DST")
    p.add_argument("--size-only", action="store_true", help="compare sizes only, no hashes")
    p.add_argument("--one-way", action="store_true", help="don't report files that are only on DST")
    p.add_argument("--match", action="store_true", help="also list matching files ('=')")
    p.add_argument("--workers", type=_positive_int, default=4, metavar="N", help="files hashed at once (default 4)")
    p.add_argument("--json", action="store_true", help="print the differences as JSON")
    _add_sync_options(p)
    p.set_defaults(func=cmd_check)

    # partitions
    p = sub.add_parser(
        "partitions", parents=[common], formatter_class=_Formatter,
        help="show the hive partition layout under a location",
        description="List LOCATION and summarise its hive partitions (key=value folders): for each key and "
                    "value, the number of files, bytes, and the oldest and newest modification time.",
        epilog=LOCATIONS + "\n" + EXIT_CODES,
    )
    p.add_argument("location", metavar="LOCATION")
    p.add_argument("--option", action="append", default=[], metavar="K=V", help="storage option (repeatable)")
    p.add_argument("--folders", action="store_true", help="also list every partition folder")
    p.add_argument("--json", action="store_true", help="print the layout as JSON")
    p.set_defaults(func=cmd_partitions)

    # remote
    p = sub.add_parser(
        "remote", formatter_class=_Formatter, help="manage saved remotes (list, add, remove, test)",
        description="Saved remotes are named locations with their storage options, used as NAME:path "
                    "wherever a URL is. They live in $FSKIT_CONFIG, or "
                    "$XDG_CONFIG_HOME/fsspeckit/remotes.toml (~/.config/fsspeckit/remotes.toml). Secrets are "
                    "not stored: write key=env:VAR to read a value from the environment when the remote is "
                    "used, or rely on the backend's own credentials (profile=NAME, AWS_PROFILE, gcloud).",
        epilog="example:\n  fsspeckit-tui remote add prod-s3 s3://my-bucket --option region=eu-west-1 \\\n"
               "      --option key=env:PROD_KEY_ID --option secret=env:PROD_SECRET\n"
               "  fsspeckit-tui plan prod-s3:data/2024 ./out -o plan.json\n\n" + EXIT_CODES,
    )
    rsub = p.add_subparsers(dest="remote_command", metavar="ACTION", required=True)
    r = rsub.add_parser("list", parents=[common], help="list saved remotes", formatter_class=_Formatter,
                        description="List the saved remotes and where they are stored.")
    r.add_argument("--json", action="store_true", help="print as JSON")
    r.set_defaults(func=cmd_remote_list)
    r = rsub.add_parser("add", parents=[common], help="save a remote", formatter_class=_Formatter,
                        description="Save URL under NAME, with storage options.",
                        epilog="options: endpoint_url, profile, region, token (GCS: a path to a key file), anon, "
                               "requester_pays, ...; secret values must be env:VAR references.")
    r.add_argument("name", metavar="NAME")
    r.add_argument("url", metavar="URL")
    r.add_argument("--option", action="append", default=[], metavar="K=V", help="storage option (repeatable)")
    r.add_argument("--replace", action="store_true", help="overwrite a remote of the same name")
    r.add_argument("--test", action="store_true", help="check the connection after saving")
    r.set_defaults(func=cmd_remote_add)
    r = rsub.add_parser("remove", parents=[common], help="delete a saved remote", formatter_class=_Formatter,
                        description="Delete the saved remote NAME (nothing on the store is touched).")
    r.add_argument("name", metavar="NAME")
    r.set_defaults(func=cmd_remote_remove)
    r = rsub.add_parser("test", parents=[common], help="check that a remote can be listed", formatter_class=_Formatter,
                        description="List the root of the remote NAME and say what failed, if anything: a missing "
                                    "bucket, denied access, rejected credentials, an unreachable endpoint.",
                        epilog=EXIT_CODES)
    r.add_argument("name", metavar="NAME")
    r.add_argument("--json", action="store_true", help="print as JSON")
    r.set_defaults(func=cmd_remote_test)
    return parser


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return n


def _non_negative_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


# --- entry point -------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    """Run one headless command; return its exit code (see ``EXIT_CODES``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    restore = _setup_logging(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - mapped to an exit code and one sentence
        code, message = _classify(exc)
        _err(message)
        if getattr(args, "debug", False):
            import traceback

            traceback.print_exc(file=sys.stderr)
        return code
    finally:
        restore()


def _setup_logging(args) -> Callable[[], None]:
    """Send the library's log to stderr for this command; return a function undoing it."""
    level = logging.DEBUG if getattr(args, "debug", False) else (
        logging.INFO if getattr(args, "verbose", False) else logging.WARNING)
    logger = logging.getLogger("fsspeckit")
    before = (logger.level, logger.propagate)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(before[0])
        logger.propagate = before[1]

    return restore


def _classify(exc: BaseException) -> tuple[int, str]:
    from fsspeckit.exceptions import (
        BackendError,
        DeleteLimitError,
        DestinationError,
        PlanError,
        SourceError,
        StalePlanError,
        SyncCancelled,
    )
    from fsspeckit.profiles import ProfileError

    if isinstance(exc, StalePlanError):
        return EXIT_STALE, str(exc)
    if isinstance(exc, (UsageError, PlanError, ProfileError, BackendError)):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, DeleteLimitError):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, SyncCancelled):
        return EXIT_FAILED, str(exc)
    if isinstance(exc, (ConnectError, SourceError, DestinationError)):
        return EXIT_CONNECT, str(exc)
    if isinstance(exc, (OSError, TimeoutError)) or "botocore" in type(exc).__module__ or "aiohttp" in type(exc).__module__:
        from fsspeckit.profiles import explain_error

        return EXIT_CONNECT, explain_error(exc, "the location")
    if isinstance(exc, ValueError):
        return EXIT_USAGE, str(exc)
    return EXIT_FAILED, f"unexpected error: {type(exc).__name__}: {exc} (run again with --debug for details)"


def _err(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def _out(text: str = "") -> None:
    print(text, file=sys.stdout)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str), file=sys.stdout)


def _options(items: list[str]) -> dict[str, Any]:
    from fsspeckit.profiles import parse_option

    out: dict[str, Any] = {}
    for item in items:
        key, value = parse_option(item)
        out[key] = value
    return out


def _human(n: float) -> str:
    from fsspeckit.progress import human_bytes

    return human_bytes(n)


def _when(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _connect(what: str, fn: Callable[[], Any], url: str = "") -> Any:
    """Run a listing call; turn network and permission errors into ``ConnectError``."""
    from fsspeckit.exceptions import FsspeckitError
    from fsspeckit.profiles import explain_error

    try:
        return fn()
    except FsspeckitError:
        raise
    except (OSError, TimeoutError) as exc:
        raise ConnectError(f"could not list the {what}: {explain_error(exc, url or what)}") from exc
    except Exception as exc:  # noqa: BLE001
        mod = type(exc).__module__
        if mod.startswith(("botocore", "aiohttp", "google", "s3fs", "gcsfs", "requests", "urllib3")):
            raise ConnectError(f"could not list the {what}: {explain_error(exc, url or what)}") from exc
        raise


def _location(text: str, options: dict) -> tuple[Any, str, str]:
    """(fs, path, text to store in a plan): a remote stays ``NAME:path``, a URL its URL."""
    from fsspeckit.profiles import parse_location, resolve_location

    loc = parse_location(text)
    fs, path = resolve_location(text, options)
    stored = f"{loc.remote.name}:{loc.path}" if loc.remote is not None else None
    return fs, path, stored


# --- plan --------------------------------------------------------------------

def cmd_plan(args) -> int:
    from dataclasses import replace

    from fsspeckit.sync import plan_sync

    if args.partitions:
        _check_predicate(args.partitions)
    src_fs, src_path, src_stored = _location(args.src, _options(args.src_option))
    dst_fs, dst_path, dst_stored = _location(args.dst, _options(args.dst_option))
    t0 = time.monotonic()
    plan = _connect("source and destination", lambda: plan_sync(
        src_fs, dst_fs, src_path, dst_path, delete=args.delete, compare=args.compare, strategy=args.strategy,
        include=args.include, exclude=args.exclude, partitions=args.partitions, max_workers=args.workers))
    took = time.monotonic() - t0
    if not plan.src_exists:
        raise ConnectError(f"the source {plan.src_url} does not exist; check the path (a typo?).")
    if src_stored:
        plan = replace(plan, src_url=src_stored)
    if dst_stored:
        plan = replace(plan, dst_url=dst_stored)
    saved = None
    if args.output == "-":
        sys.stdout.write(plan.to_json() + "\n")
        return EXIT_OK
    if args.output:
        try:
            plan.save(args.output)
        except OSError as exc:
            raise UsageError(f"cannot write the plan to {args.output}: {exc.strerror or exc}") from None
        saved = args.output
    totals = plan.totals
    if args.json:
        _print_json({
            "plan_file": saved,
            "src_url": plan.src_url,
            "dst_url": plan.dst_url,
            "options": plan.options.to_dict(),
            "files": len(plan.actions),
            "totals": {k: {"files": totals.files.get(k, 0), "bytes": totals.bytes.get(k, 0)}
                       for k in ("copy", "update", "delete", "skip")},
            "categories": _count(a.category for a in plan.actions),
            "seconds": round(took, 3),
            "actions": [a.to_dict() for a in plan.actions if a.kind != "skip"] if args.list else None,
        })
        return EXIT_OK
    o = plan.options
    _out(f"Plan: {plan.src_url} -> {plan.dst_url}")
    _out(f"  compare {o.compare}, strategy {o.strategy}, deletion {'on' if o.delete else 'off'}"
         + (f", include {', '.join(o.include)}" if o.include else "")
         + (f", exclude {', '.join(o.exclude)}" if o.exclude else "")
         + (f", partitions {o.partitions}" if o.partitions else ""))
    for kind in ("copy", "update", "delete", "skip"):
        n, b = totals[kind]
        size = f"  {_human(b):>10}" if kind != "skip" else ""
        _out(f"  {kind:<7}{n:>8} file{'s' if n != 1 else ' '}{size}")
    if plan.src_files == 0:
        _out("  note: the source holds no files.")
    if args.list:
        for a in plan.actions:
            if a.kind != "skip":
                _out(f"  {a.kind:<7} {a.path}  ({a.reason})")
    if saved:
        _out(f"Saved the plan to {saved}; apply it with: {PROG} apply {saved}")
    else:
        _out("Nothing saved (use -o PLAN.json to save the plan).")
    return EXIT_OK


def _check_predicate(text: str) -> None:
    from fsspeckit import partitions

    try:
        partitions.compile_predicate(text)
    except NotImplementedError:
        raise UsageError("partition predicates (--partitions) are not available in this version.") from None
    except Exception as exc:  # noqa: BLE001 - the parser's own message
        raise UsageError(f"the partition predicate {text!r} cannot be read: {exc}") from None


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


# --- apply -------------------------------------------------------------------

def _plan_side(url: str, extra: dict, role: str):
    """The filesystem of one side of a saved plan; options of a saved remote holding the URL if none given."""
    from fsspeckit.profiles import find_remote_for_url, resolve_location

    if not url:
        raise UsageError(f"the plan has no {role} URL; it cannot be applied from the command line.")
    options = dict(extra)
    if not options and "://" in url:
        remote = find_remote_for_url(url)
        if remote is not None:
            log.info("using the options of the saved remote %s for %s", remote.name, url)
            options = dict(remote.options)
    fs, _ = resolve_location(url, options)
    return fs


def _max_delete(text: str | None):
    if text is None:
        return None
    t = text.strip()
    try:
        if t.endswith("%"):
            float(t[:-1])
            return t
        n = int(t)
        if n < 0:
            raise ValueError
        return n
    except ValueError:
        raise UsageError(f"--max-delete takes a number of files or a percentage (e.g. 100 or 10%), not {text!r}.") from None


def _backup_dir(text: str | None, dst_fs, plan) -> str | None:
    if not text:
        return None
    from fsspeckit.filesystem import unwrap
    from fsspeckit.transfer import is_local

    backend, _ = unwrap(dst_fs, "")
    if "://" in text:
        target = text
    elif is_local(backend):
        target = "file://" + os.path.abspath(os.path.expanduser(text))
    else:
        raise UsageError(f"--backup-dir on {plan.dst_url} must be a URL on the same store, e.g. "
                         f"{backend.protocol if isinstance(backend.protocol, str) else backend.protocol[0]}://bucket/backup.")
    _, full = unwrap(dst_fs, target)
    root = plan.dst_root.rstrip("/")
    if full.rstrip("/") == root or full.startswith(root + "/"):
        raise UsageError(f"--backup-dir {text} is inside the destination {plan.dst_url}; the next sync would "
                         "delete it. Choose a folder outside it.")
    return target


def cmd_apply(args) -> int:
    from fsspeckit.apply import apply_plan
    from fsspeckit.exceptions import DeleteLimitError, SourceError
    from fsspeckit.plan import Plan
    from fsspeckit.plan_check import list_plan_side, raise_if_stale, refresh_plan

    try:
        plan = Plan.load(args.plan)
    except FileNotFoundError:
        raise UsageError(f"the plan file {args.plan} does not exist.") from None
    except IsADirectoryError:
        raise UsageError(f"{args.plan} is a folder, not a plan file.") from None
    except UnicodeDecodeError:
        raise UsageError(f"{args.plan} is not a plan file (not text).") from None
    max_delete = _max_delete(args.max_delete)
    src_fs = _plan_side(plan.src_url, _options(args.src_option), "source")
    dst_fs = _plan_side(plan.dst_url, _options(args.dst_option), "destination")
    backup = _backup_dir(args.backup_dir, dst_fs, plan)

    src_listing = _connect("source", lambda: list_plan_side(plan, src_fs, "source"), plan.src_url)
    raise_if_stale(plan, src_fs, src_listing)
    dst_listing = _connect("destination", lambda: list_plan_side(plan, dst_fs, "destination"), plan.dst_url)
    todo = _connect("destination", lambda: refresh_plan(plan, src_fs, dst_fs, src_listing=src_listing,
                                                        dst_listing=dst_listing), plan.dst_url)
    already = sum(1 for a, b in zip(plan.actions, todo.actions) if a.kind != b.kind)

    term = None
    if not args.no_progress and sys.stderr.isatty() and not args.dry_run:
        from fsspeckit.progress import TerminalProgress

        term = TerminalProgress(stream=sys.stderr)
    try:
        result = apply_plan(todo, src_fs, dst_fs, max_workers=args.workers, progress_hook=term,
                            retries=args.retries, verify=args.verify, max_delete=max_delete,
                            backup_dir=backup, partials=dst_listing.partials, dry_run=args.dry_run)
    except (DeleteLimitError, SourceError) as exc:
        _err(str(exc))
        return EXIT_FAILED
    finally:
        if term is not None:
            term.close()
    if args.report:
        try:
            result.save(args.report)
        except OSError as exc:
            _err(f"cannot write the report to {args.report}: {exc.strerror or exc}")
            return EXIT_FAILED
    failed = result.failed
    if args.json:
        _print_json({
            "ok": not failed and not result.cancelled,
            "dry_run": args.dry_run,
            "src_url": plan.src_url,
            "dst_url": plan.dst_url,
            "already_done": already,
            "counts": result.counts,
            "bytes_transferred": result.bytes_transferred,
            "seconds": round(result.duration, 3),
            "deletes_skipped": result.deletes_skipped,
            "failed": [{"path": o.path, "error": o.error} for o in failed],
            "report": args.report,
        })
    else:
        prefix = "Dry run, nothing written: " if args.dry_run else ""
        _out(f"{prefix}{plan.src_url} -> {plan.dst_url}")
        if already:
            _out(f"  {already} planned action{'s were' if already != 1 else ' was'} already done; skipped.")
        for o in failed[:20]:
            _out(f"  failed {o.path}: {o.error}")
        if len(failed) > 20:
            _out(f"  ... and {len(failed) - 20} more failures (see the report)")
        _out(result.summary())
        if args.report:
            _out(f"Report written to {args.report}")
    return EXIT_FAILED if failed or result.cancelled else EXIT_OK


# --- check -------------------------------------------------------------------

def cmd_check(args) -> int:
    from fsspeckit.check import check_trees

    src_fs, src_path, _ = _location(args.src, _options(args.src_option))
    dst_fs, dst_path, _ = _location(args.dst, _options(args.dst_option))
    result = _connect("source and destination", lambda: check_trees(
        src_fs, dst_fs, src_path, dst_path, size_only=args.size_only, one_way=args.one_way,
        max_workers=args.workers))
    if args.json:
        data = result.to_dict()
        if args.match:
            data["matching"] = result.matching
        _print_json(data)
    else:
        rows = [(d.mark, d.path, d.reason) for d in result.differences]
        if args.match:
            rows += [("=", p, "matches") for p in result.matching]
            rows.sort(key=lambda r: r[1])
        width = min(60, max((len(p) for _, p, _ in rows), default=0))
        for mark, path, reason in rows:
            _out(f"{mark} {path:<{width}}  {reason}")
        if not result.dst_exists:
            _out(f"note: the destination {result.dst_url} does not exist.")
        _out(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


# --- partitions --------------------------------------------------------------

def cmd_partitions(args) -> int:
    from fsspeckit.listing import list_tree
    from fsspeckit.partitions import partition_index

    fs, path, _ = _location(args.location, _options(args.option))
    listing = _connect("location", lambda: list_tree(fs, path, role="source"), args.location)
    if not listing.exists:
        raise ConnectError(f"{args.location} does not exist; check the path.")
    index = partition_index(listing)
    if args.json:
        data = index.to_dict()
        data["location"] = args.location
        _print_json(data)
        return EXIT_OK
    total = index.total
    by_key = index.by_key()
    _out(f"{args.location}: {total.files} files, {_human(total.bytes)}, "
         f"{len(by_key)} partition key{'s' if len(by_key) != 1 else ''}")
    for key, values in by_key.items():
        _out(f"{key}:")
        labels = {v: ("(null)" if v is None else str(v)) for v in values}
        width = max(len(x) for x in labels.values())
        for value, st in values.items():
            _out(f"  {labels[value]:<{width}}  {_stats_line(st)}")
    if args.folders:
        _out("partition folders:")
        names = {p: p or "(outside any partition)" for p in index.partitions}
        width = max((len(n) for n in names.values()), default=0)
        for folder, st in index.partitions.items():
            _out(f"  {names[folder]:<{width}}  {_stats_line(st)}")
    outside = index.partitions.get("")
    if outside is not None and by_key and not args.folders:
        _out(f"outside any partition: {outside.files} file{'s' if outside.files != 1 else ''}, {_human(outside.bytes)}")
    return EXIT_OK


def _stats_line(st) -> str:
    span = f"{_when(st.oldest)} .. {_when(st.newest)}" if st.oldest is not None else "-"
    return f"{st.files:>7} file{'s' if st.files != 1 else ' '}  {_human(st.bytes):>10}  {span}"


# --- remote ------------------------------------------------------------------

def cmd_remote_list(args) -> int:
    from fsspeckit.profiles import config_path, list_remotes

    remotes = list_remotes()
    if args.json:
        _print_json({"config": str(config_path()), "remotes": [r.to_dict() for r in remotes]})
        return EXIT_OK
    if not remotes:
        _out(f"No saved remotes ({config_path()} has none). Add one with: {PROG} remote add NAME URL")
        return EXIT_OK
    width = max(len(r.name) for r in remotes)
    for r in remotes:
        opts = ", ".join(f"{k}={v}" for k, v in r.options.items())
        _out(f"{r.name:<{width}}  {r.url}" + (f"  ({opts})" if opts else ""))
    _out(f"({len(remotes)} remote{'s' if len(remotes) != 1 else ''} in {config_path()})")
    return EXIT_OK


def cmd_remote_add(args) -> int:
    from fsspeckit.profiles import add_remote, config_path, test_remote

    remote = add_remote(args.name, args.url, _options(args.option), replace=args.replace)
    _out(f"Saved remote {remote.name} -> {remote.url} in {config_path()}; use it as {remote.name}:path")
    if args.test:
        ok, message = test_remote(remote.name)
        _out(message) if ok else _err(message)
        return EXIT_OK if ok else EXIT_CONNECT
    return EXIT_OK


def cmd_remote_remove(args) -> int:
    from fsspeckit.profiles import remove_remote

    remote = remove_remote(args.name)
    _out(f"Removed remote {remote.name} ({remote.url}).")
    return EXIT_OK


def cmd_remote_test(args) -> int:
    from fsspeckit.profiles import get_remote, test_remote

    get_remote(args.name)  # an unknown name is a usage error (exit 2)
    ok, message = test_remote(args.name)
    if args.json:
        _print_json({"name": args.name, "ok": ok, "message": message})
    elif ok:
        _out(message)
    else:
        _err(message)
    return EXIT_OK if ok else EXIT_CONNECT
