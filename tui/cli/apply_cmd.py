"""``fsspeckit-tui apply PLAN.json``: reopen both sides of a saved plan, refuse a
stale one, carry out what is left (on threads or a Dask cluster) and report
every path's outcome.
"""

from __future__ import annotations

import os
import sys

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    add_command,
    add_sync_options,
    connect,
    err,
    log,
    non_negative_int,
    out,
    parse_options,
    positive_int,
    print_json,
)

#: Failures listed on the terminal; the rest are in the report.
SHOWN_FAILURES = 20


def add_parser(sub) -> None:
    p = add_command(
        sub, "apply",
        help="carry out a saved plan",
        description="Apply a plan saved by `plan` or by the app. The source is listed again first: if it "
                    "changed since planning, nothing is written (exit 3). Actions already done (e.g. by an "
                    "earlier run of the same plan) are skipped. Deletions run only when every copy succeeded. "
                    "Plans hold no secrets: give storage options again with --src-option/--dst-option, or use "
                    "saved remotes.",
        epilog=EXIT_CODES,
    )
    p.add_argument("plan", metavar="PLAN.json", help="the plan file")
    p.add_argument("--workers", type=positive_int, default=DEFAULT_WORKERS, metavar="N",
                   help=f"files copied at once (default {DEFAULT_WORKERS})")
    add_run_options(p)
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    p.set_defaults(func=cmd_apply)


def add_run_options(p) -> None:
    """How the writes are carried out and reported (shared with ``sync``)."""
    p.add_argument("--retries", type=non_negative_int, default=3, metavar="N",
                   help="attempts after a transient failure (default 3)")
    p.add_argument("--verify", default="size", choices=["size", "checksum"],
                   help="check each copy by size (default) or content hash")
    p.add_argument("--max-delete", metavar="N|P%",
                   help="refuse to run if the plan deletes more than N files or P%% of the destination")
    p.add_argument("--backup-dir", metavar="PATH",
                   help="move replaced and deleted files here (a folder, or a URL on the destination's store) "
                        "instead of destroying them; must be outside the destination")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the copies on a Dask cluster: its scheduler's address (tcp://host:8786, or "
                        "host:8786); planning checks and deletions stay on this machine. Needs the "
                        "'distributed' package (the [dask] extra); memory:// locations cannot be used")
    p.add_argument("--report", metavar="FILE", help="write every path's outcome to FILE (.json or .csv)")
    p.add_argument("--dry-run", action="store_true", help="check the plan and report, write nothing")
    p.add_argument("--no-progress", action="store_true", help="no progress line on the terminal")


def cmd_apply(args) -> int:
    from fsspeckit.apply import apply_plan
    from fsspeckit.options import RunOptions
    from fsspeckit.exceptions import DeleteLimitError, SourceError
    from fsspeckit.plan_check import list_plan_side, raise_if_stale, refresh_plan

    plan = _load_plan(args.plan)
    max_delete = parse_max_delete(args.max_delete)
    src_fs = _plan_side(plan.src_url, parse_options(args.src_option), "source", plan.src_root)
    dst_fs = _plan_side(plan.dst_url, parse_options(args.dst_option), "destination", plan.dst_root)
    backup = backup_dir(args.backup_dir, dst_fs, plan.dst_url, plan.dst_root, src=(src_fs, plan.src_root))

    src_listing = connect("source", lambda: list_plan_side(plan, src_fs, "source"), plan.src_url)
    raise_if_stale(plan, src_fs, src_listing)
    dst_listing = connect("destination", lambda: list_plan_side(plan, dst_fs, "destination"), plan.dst_url)
    todo = connect("destination", lambda: refresh_plan(plan, src_fs, dst_fs, src_listing=src_listing,
                                                       dst_listing=dst_listing), plan.dst_url)
    already = sum(1 for a, b in zip(plan.actions, todo.actions) if a.kind != b.kind)

    term = terminal_progress(args)
    try:
        options = RunOptions(max_workers=args.workers, retries=args.retries, verify=args.verify,
                             max_delete=max_delete, backup_dir=backup, dry_run=args.dry_run)
        result = apply_plan(todo, src_fs, dst_fs, options=options, progress_hook=term, partials=dst_listing.partials,
                            executor=args.scheduler)
    except (DeleteLimitError, SourceError) as exc:
        err(str(exc))
        return EXIT_FAILED
    finally:
        if term is not None:
            term.close()
    return finish(result, args, plan.src_url, plan.dst_url, already)


def terminal_progress(args):
    """A progress line on stderr when it is a terminal (not with --no-progress or --dry-run)."""
    if args.no_progress or args.dry_run or not sys.stderr.isatty():
        return None
    from fsspeckit.progress import TerminalProgress

    return TerminalProgress(stream=sys.stderr)


def finish(result, args, src_url: str, dst_url: str, already: int = 0) -> int:
    """Write the report, print the outcome (text or --json) and return the exit code."""
    if args.report:
        try:
            result.save(args.report)
        except OSError as exc:
            err(f"cannot write the report to {args.report}: {exc.strerror or exc}")
            return EXIT_FAILED
    if args.json:
        _print_result_json(result, src_url, dst_url, args, already)
    else:
        _print_result(result, src_url, dst_url, args, already)
    return EXIT_FAILED if result.failed or result.cancelled else EXIT_OK


def _print_result_json(result, src_url: str, dst_url: str, args, already: int) -> None:
    print_json({
        "ok": not result.failed and not result.cancelled,
        "dry_run": args.dry_run,
        "src_url": src_url,
        "dst_url": dst_url,
        "already_done": already,
        "counts": result.counts,
        "bytes_transferred": result.bytes_transferred,
        "seconds": round(result.duration, 3),
        "deletes_skipped": result.deletes_skipped,
        "would": _dry_run_counts(result) if args.dry_run else None,
        "failed": [{"path": o.path, "error": o.error} for o in result.failed],
        "report": args.report,
    })


def _print_result(result, src_url: str, dst_url: str, args, already: int) -> None:
    failed = result.failed
    prefix = "Dry run, nothing written: " if args.dry_run else ""
    out(f"{prefix}{src_url} -> {dst_url}")
    if args.dry_run:
        would = _dry_run_counts(result)
        out(f"  would copy {would['copy']}, update {would['update']}, delete {would['delete']}")
    if already:
        out(f"  {already} planned action{'s were' if already != 1 else ' was'} already done; skipped.")
    for o in failed[:SHOWN_FAILURES]:
        out(f"  failed {o.path}: {o.error}")
    if len(failed) > SHOWN_FAILURES:
        out(f"  ... and {len(failed) - SHOWN_FAILURES} more failures (see the report)")
    out(result.summary())
    if args.report:
        out(f"Report written to {args.report}")


def _dry_run_counts(result) -> dict[str, int]:
    """What a dry run left undone, by kind of action."""
    counts = {"copy": 0, "update": 0, "delete": 0}
    for o in result.outcomes:
        if o.outcome == "skipped" and o.action in counts and o.error == "dry run":
            counts[o.action] += 1
    return counts


def _load_plan(path: str):
    from fsspeckit.plan import Plan

    try:
        return Plan.load(path)
    except FileNotFoundError:
        raise UsageError(f"the plan file {path} does not exist.") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a plan file.") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a plan file (not text).") from None


def _plan_side(url: str, extra: dict, role: str, root: str):
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
    fs, path = resolve_location(url, options)
    from fsspeckit.filesystem import unwrap

    actual = unwrap(fs, path)[1]
    if actual.rstrip("/") != (root or "").rstrip("/"):
        raise UsageError(f"the plan's {role} folder {root!r} is not the folder of its {role} URL {url} "
                         f"({actual!r}); the plan was edited or damaged, and is not applied.")
    return fs


def parse_max_delete(text: str | None):
    """``--max-delete``: a number of files (int) or a percentage ("10%"), as ``apply_plan`` takes it."""
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


def backup_dir(text: str | None, dst_fs, dst_url: str, dst_root: str, src=None) -> str | None:
    """``--backup-dir`` as a URL on the destination's store, refused when inside the destination.

    ``src`` is (filesystem, root) of the source: a backup folder inside or equal to the
    source is refused too (moving files there would change the source). On a local disk
    the folders are compared by their real paths, so a symbolic link cannot hide an overlap.
    """
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
        raise UsageError(f"--backup-dir on {dst_url} must be a URL on the same store, e.g. "
                         f"{backend.protocol if isinstance(backend.protocol, str) else backend.protocol[0]}://bucket/backup.")
    _, full = unwrap(dst_fs, target)
    root = dst_root.rstrip("/")
    if full.rstrip("/") == root or full.startswith(root + "/"):
        raise UsageError(f"--backup-dir {text} is inside the destination {dst_url}; the next sync would "
                         "delete it. Choose a folder outside it.")
    if is_local(backend):
        real = os.path.realpath(full)
        sides = [("destination", os.path.realpath(dst_root))]
        if src is not None:
            src_backend, src_full = unwrap(src[0], src[1])
            if is_local(src_backend):
                sides.append(("source", os.path.realpath(src_full)))
        for role, other in sides:
            if _within(real, other) or _within(other, real):
                raise UsageError(f"--backup-dir {text} overlaps the {role} (real path {other}); moving "
                                 f"files there would change the {role}. Choose a folder outside both.")
    elif src is not None:
        src_backend, src_full = unwrap(src[0], src[1])
        if type(src_backend) is type(backend) and (_within(full, src_full) or _within(src_full, full)):
            raise UsageError(f"--backup-dir {text} overlaps the source; moving files there would change "
                             "the source. Choose a folder outside it.")
    return target


def _within(path: str, root: str) -> bool:
    path, root = path.rstrip("/"), root.rstrip("/")
    return path == root or path.startswith(root + "/")
