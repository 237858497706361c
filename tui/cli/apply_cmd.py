"""``fsspeckit-tui apply PLAN.json``: reopen both sides of a saved plan, refuse a
stale one, carry out what is left (on threads or a Dask cluster) and report
every path's outcome.
"""

from __future__ import annotations

import os

from ..service import DEFAULT_WORKERS
from .common import (
    EXIT_CODES,
    EXIT_FAILED,
    EXIT_MAX_TRANSFER,
    EXIT_OK,
    UsageError,
    add_command,
    add_live_options,
    add_sync_options,
    connect,
    fail,
    log,
    non_negative_int,
    out,
    parse_options,
    positive_int,
    print_json,
)
from .logs import RunOutput
from .store_opts import add_s3_options, check_s3_destination, dst_options

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
    p.add_argument("--workers", "--transfers", dest="workers", type=positive_int, default=DEFAULT_WORKERS,
                   metavar="N", help=f"files copied at once (default {DEFAULT_WORKERS}; rclone: --transfers)")
    add_run_options(p)
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    add_sync_options(p)
    add_s3_options(p)
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
    p.add_argument("--suffix", metavar="SUFFIX",
                   help="add SUFFIX to the name of each backup in --backup-dir (e.g. .bak or -2024-06-01)")
    p.add_argument("--suffix-keep-extension", action="store_true",
                   help="put the --suffix before the extension: a.csv -> a.bak.csv")
    p.add_argument("--bwlimit", metavar="RATE",
                   help="at most RATE bytes a second over all transfers, e.g. 10M (binary units; a bare "
                        "number is KiB/s as in rclone); the store's own copies are not limited")
    p.add_argument("--max-transfer", metavar="SIZE",
                   help="start no new transfer once SIZE bytes were transferred (e.g. 50G); then nothing "
                        "is deleted and the exit code is 8, as rclone")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the copies on a Dask cluster: its scheduler's address (tcp://host:8786, or "
                        "host:8786); planning checks and deletions stay on this machine. Needs the "
                        "'distributed' package (the [dask] extra); memory:// locations cannot be used")
    p.add_argument("--report", metavar="FILE", help="write every path's outcome to FILE (.json or .csv)")
    p.add_argument("-n", "--dry-run", "--dryrun", dest="dry_run", action="store_true",
                   help="check the plan and report, write nothing (aws: --dryrun)")
    add_live_options(p)


def run_options(args, max_delete, backup: str | None):
    """The run stage's one settings object (``RunOptions``) from the options of ``add_run_options``."""
    from fsspeckit.model.options import RunOptions

    return RunOptions(max_workers=args.workers, retries=args.retries, verify=args.verify, max_delete=max_delete,
                      backup_dir=backup, dry_run=args.dry_run, **run_limits(args))


def run_limits(args) -> dict:
    """--suffix, --suffix-keep-extension, --bwlimit and --max-transfer as ``apply_plan`` keywords."""
    from fsspeckit.exceptions import FilterError
    from fsspeckit.planning.filters import parse_size

    if (args.suffix or args.suffix_keep_extension) and not args.backup_dir:
        raise UsageError("--suffix names the backups in --backup-dir: give --backup-dir too")
    if args.suffix is not None and ("/" in args.suffix or not args.suffix.strip()):
        raise UsageError(f"--suffix {args.suffix!r} must be a non-empty name part without '/'")
    bwlimit = _size(args.bwlimit, "--bwlimit", parse_size, FilterError)
    max_transfer = _size(args.max_transfer, "--max-transfer", parse_size, FilterError)
    if bwlimit == 0:
        raise UsageError("--bwlimit 0 would never transfer anything: leave it out for no limit")
    return {"backup_suffix": args.suffix or "", "suffix_keep_extension": args.suffix_keep_extension,
            "bwlimit": bwlimit, "max_transfer": max_transfer}


def _size(text, flag: str, parse, error) -> int | None:
    if not text:
        return None
    try:
        return parse(text)
    except error as exc:
        raise UsageError(f"{flag}: {exc}") from None


def cmd_apply(args) -> int:
    from fsspeckit.exceptions import DeleteLimitError, SourceError
    from fsspeckit.execution.apply import apply_plan
    from fsspeckit.planning.plan_check import list_plan_side, raise_if_stale, refresh_plan

    check_report_path(args.report)
    plan = _load_plan(args.plan)
    max_delete = parse_max_delete(args.max_delete)
    src_fs = _plan_side(plan.src_url, parse_options(args.src_option), "source", plan.src_root)
    dst_fs = _plan_side(plan.dst_url, dst_options(args), "destination", plan.dst_root)
    check_s3_destination(args, dst_fs, plan.dst_url)
    backup = backup_dir(args.backup_dir, dst_fs, plan.dst_url, plan.dst_root, src=(src_fs, plan.src_root))
    options = run_options(args, max_delete, backup)

    src_listing = connect("source", lambda: list_plan_side(plan, src_fs, "source"), plan.src_url)
    raise_if_stale(plan, src_fs, src_listing)
    dst_listing = connect("destination", lambda: list_plan_side(plan, dst_fs, "destination"), plan.dst_url)
    todo = connect("destination", lambda: refresh_plan(plan, src_fs, dst_fs, src_listing=src_listing,
                                                       dst_listing=dst_listing), plan.dst_url)
    already = sum(1 for a, b in zip(plan.actions, todo.actions) if a.kind != b.kind)

    live = RunOutput(args)
    try:
        result = apply_plan(todo, src_fs, dst_fs, options=options, progress_hook=progress_hook(args, live),
                            partials=dst_listing.partials, executor=args.scheduler)
    except (DeleteLimitError, SourceError) as exc:
        return fail(args, EXIT_FAILED, str(exc))
    finally:
        live.close()
    return finish(result, args, plan.src_url, plan.dst_url, already)


def progress_hook(args, live: RunOutput):
    """The copies' progress for the display and the stats (a dry run copies nothing)."""
    return None if args.dry_run else live.watch.on_progress


def check_report_path(path: str | None) -> None:
    """Refuse, before anything is written, a --report that could not be written afterwards."""
    if not path:
        return
    if not path.lower().endswith((".json", ".csv")):
        raise UsageError(f"--report {path}: the file name must end in .json or .csv.")
    folder = os.path.dirname(os.path.abspath(path)) or "."
    if os.path.isdir(path):
        raise UsageError(f"--report {path} is a folder; give a file name ending in .json or .csv.")
    if not os.path.isdir(folder):
        raise UsageError(f"cannot write the report to {path}: the folder {folder} does not exist.")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise UsageError(f"cannot write the report to {path}: permission denied.")


def finish(result, args, src_url: str, dst_url: str, already: int = 0) -> int:
    """Write the report, print the outcome (text or --json) and return the exit code."""
    if args.report:
        try:
            result.save(args.report)
        except OSError as exc:
            return fail(args, EXIT_FAILED, f"cannot write the report to {args.report}: {exc.strerror or exc}")
    if args.json:
        _print_result_json(result, src_url, dst_url, args, already)
    elif args.dry_run:
        _print_dry_run(result, src_url, dst_url, args, already)
    else:
        _print_result(result, src_url, dst_url, args, already)
    if result.failed or result.cancelled:
        return EXIT_FAILED
    return EXIT_MAX_TRANSFER if result.max_transfer_reached else EXIT_OK


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
        "bytes_per_s": round(result.bytes_transferred / result.duration, 1) if result.duration > 0 else 0.0,
        "files_per_s": (round((result.counts["copied"] + result.counts["updated"]) / result.duration, 2)
                        if result.duration > 0 else 0.0),
        "deletes_skipped": result.deletes_skipped,
        "warnings": result.warnings,
        "partition_matches": result.partition_matches,
        "max_transfer_reached": result.max_transfer_reached,
        "would": _dry_run_counts(result) if args.dry_run else None,
        "would_paths": ({k: [o.path for o in result.outcomes if o.action == k and o.error == "dry run"]
                         for k in ("copy", "update", "delete", "move")} if args.dry_run else None),
        "failed": [{"path": o.path, "error": o.error} for o in result.failed],
        "report": args.report,
    })


def _print_result(result, src_url: str, dst_url: str, args, already: int) -> None:
    """The outcome of a run; the failures once each (the stderr log leaves them out). -q: failures only."""
    failed = result.failed
    quiet = getattr(args, "quiet", False)
    if not quiet:
        out(f"{src_url} -> {dst_url}")
    if already and not quiet:
        out(f"  {already} planned action{'s were' if already != 1 else ' was'} already done; skipped.")
    for o in failed[:SHOWN_FAILURES]:
        out(f"  failed {o.path}: {o.error}")
    if len(failed) > SHOWN_FAILURES:
        out(f"  ... and {len(failed) - SHOWN_FAILURES} more failures" + (" (see the report)" if args.report else ""))
    if result.max_transfer_reached:
        left = sum(1 for o in result.outcomes if o.error and "--max-transfer" in o.error and o.action != "delete")
        out(f"  stopped: the --max-transfer limit was reached; {left} file{'s' if left != 1 else ''} not started, "
            "nothing deleted")
    if not quiet or failed:
        out(result.summary())
    if args.report and not quiet:
        out(f"Report written to {args.report}")


def _print_dry_run(result, src_url: str, dst_url: str, args, already: int) -> None:
    """Each action a run would take, then one summary of them (nothing was done, so no 'copied 0')."""
    out(f"Dry run, nothing written: {src_url} -> {dst_url}")
    for o in result.outcomes:
        if o.outcome == "skipped" and o.error == "dry run":
            out(f"would {o.action} {o.path}")
    would = _dry_run_counts(result)
    if already:
        out(f"  {already} planned action{'s were' if already != 1 else ' was'} already done; skipped.")
    skipped = sum(1 for o in result.outcomes if o.action == "skip")
    out(f"  would copy {would['copy']}, update {would['update']}, delete {would['delete']}"
        + (f", move {would['move']}" if would["move"] else "") + f"; skip {skipped}"
        + "".join(f"; warning: {w}" for w in result.warnings))
    if args.report:
        out(f"Report written to {args.report}")


def _dry_run_counts(result) -> dict[str, int]:
    """What a dry run left undone, by kind of action."""
    counts = {"copy": 0, "update": 0, "delete": 0, "move": 0}
    for o in result.outcomes:
        if o.outcome == "skipped" and o.action in counts and o.error == "dry run":
            counts[o.action] += 1
    return counts


def _load_plan(path: str):
    from fsspeckit.planning.plan import Plan

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
    from fsspeckit.remotes.profiles import find_remote_for_url, resolve_location

    if not url:
        raise UsageError(f"the plan has no {role} URL; it cannot be applied from the command line.")
    options = dict(extra)
    if not options and "://" in url:
        remote = find_remote_for_url(url)
        if remote is not None:
            log.info("using the options of the saved remote %s for %s", remote.name, url)
            options = dict(remote.options)
    fs, path = resolve_location(url, options)
    from fsspeckit.backends.filesystem import unwrap

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
        value = float(t[:-1]) if t.endswith("%") else int(t)
    except ValueError:
        value = -1
    if value < 0:
        raise UsageError(f"--max-delete takes a number of files or a percentage (e.g. 100 or 10%), not {text!r}.")
    if t.endswith("%"):
        if value > 100:
            raise UsageError(f"--max-delete {text}: a percentage is from 0% to 100%.")
        return t
    return value


def backup_dir(text: str | None, dst_fs, dst_url: str, dst_root: str, src=None) -> str | None:
    """``--backup-dir`` as a URL on the destination's store, refused when inside the destination.

    ``src`` is (filesystem, root) of the source: a backup folder inside or equal to the
    source is refused too (moving files there would change the source). On a local disk
    the folders are compared by their real paths, so a symbolic link cannot hide an overlap.
    """
    if not text:
        return None
    from fsspeckit.backends.filesystem import unwrap
    from fsspeckit.backends.transfer import is_local

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
