"""The seed API: ``sync_dir`` and ``sync_files``, built on list → plan → apply.

``plan_sync`` lists both sides (hashing only the pairs whose comparison needs
it) and returns a ``Plan``; ``sync_dir`` plans and applies it behind the
deletion guards; ``sync_files`` syncs an explicit list of files.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import threading
import warnings
from dataclasses import replace
from typing import Callable, Iterable

import fsspec
from fsspec.callbacks import Callback

from ..backends.filesystem import unwrap
from ..backends.transfer import is_local, same_store
from ..exceptions import EmptySourceError, OptionError, OptionTypeError, SourceNotFoundError, SyncError
from ..execution.apply import DEFAULT_WORKERS, Progress, apply_plan
from ..execution.progress import TerminalProgress
from ..execution.renames import fill_rename_hashes
from ..execution.state import SyncState
from ..listing.tree import list_tree
from ..model.entries import PARTIAL_MARK, Listing, join_path, rel_key
from ..model.options import RunOptions
from ..model.result import Outcome, SyncResult
from ..planning.filters import Filters, check_partition_scope
from ..planning.hashing import fill_hashes
from ..planning.plan import Action, Plan, SyncOptions, compare_entries, make_plan

logger = logging.getLogger(__name__)

__all__ = ["sync_dir", "sync_files", "plan_sync", "fill_hashes", "url_of"]


def url_of(fs: fsspec.AbstractFileSystem, path: str = "") -> str:
    """A URL naming ``path`` on ``fs``, for reports and plans."""
    backend, full = unwrap(fs, path)
    proto = backend.protocol if isinstance(backend.protocol, str) else backend.protocol[0]
    if proto in ("file", "local"):
        return full
    return f"{proto}://{full}"


def check_overlap(src_fs, src_path: str, dst_fs, dst_path: str) -> None:
    """Refuse a source and destination on the same store where one holds the other (as rclone does)."""
    src_b, src_root = unwrap(src_fs, src_path)
    dst_b, dst_root = unwrap(dst_fs, dst_path)
    if not same_store(src_b, dst_b):
        return
    a, b = src_root.rstrip("/"), dst_root.rstrip("/")
    if is_local(src_b):
        # Symbolic links can make two different paths one folder: compare the real ones.
        a, b = os.path.realpath(a or "/").rstrip("/"), os.path.realpath(b or "/").rstrip("/")
    if a == b or a.startswith(b + "/") or b.startswith(a + "/") or not a or not b:
        raise OptionError(
            f"The source {url_of(src_fs, src_path)} and the destination {url_of(dst_fs, dst_path)} overlap "
            "(one is inside the other); choose folders side by side."
        )


def _options(delete, compare, strategy, include, exclude, modified_after, partitions, filters=None) -> SyncOptions:
    return SyncOptions(
        compare=compare, strategy=strategy, delete=delete,
        include=include, exclude=exclude,  # SyncOptions turns a glob or a list into a tuple
        modified_after=modified_after,
        partitions=partitions if isinstance(partitions, str) else None,
        filters=filters,
    )


def list_both(src_fs, src_path: str, dst_fs, dst_path: str,
              on_stage: "StageHook | None" = None) -> tuple[Listing, Callable[[], Listing]]:
    """List the source now and the destination alongside it when either side is remote.

    Returns the source listing and a function that gives the destination's.
    A remote listing mostly waits on the network, so the other side's listing
    costs no wall time there. Listing only reads: a missing source still
    changes nothing, and its error comes first (a destination error is only
    raised when the destination listing is asked for). ``on_stage`` hears
    ``("listing source" | "listing destination", files found, None)`` as the
    listings grow and ``(stage, n, n)`` when one is complete.
    """
    src_local = is_local(unwrap(src_fs, "")[0])
    dst_local = is_local(unwrap(dst_fs, "")[0])
    def list_side(fs, path: str, role: str) -> Listing:
        stage = f"listing {role}"
        listing = list_tree(fs, path, role=role, progress=_stage_tick(on_stage, stage))
        tell_stage(on_stage, stage, len(listing), len(listing))
        return listing

    if src_local and dst_local:
        src = list_side(src_fs, src_path, "source")
        return src, lambda: list_side(dst_fs, dst_path, "destination")
    lister = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsspeckit-list-destination")
    pending = lister.submit(list_side, dst_fs, dst_path, "destination")
    lister.shutdown(wait=False)
    try:
        src = list_side(src_fs, src_path, "source")
    except BaseException:
        cf.wait([pending])
        raise

    def destination() -> Listing:
        return pending.result()  # raises the destination's error, if any

    return src, destination


#: ``on_stage(stage, done, total)``: what planning is doing ("listing source", "listing
#: destination", "hashing"); ``total`` is None while a listing still grows.
StageHook = Callable[[str, int, "int | None"], None]


def tell_stage(on_stage: StageHook | None, stage: str, done: int, total: int | None) -> None:
    """Call ``on_stage``; a drawing error must not stop a listing or a sync."""
    if on_stage is None:
        return
    try:
        on_stage(stage, done, total)
    except Exception:  # noqa: BLE001
        logger.debug("stage hook failed", exc_info=True)


def _stage_tick(on_stage: StageHook | None, stage: str) -> Callable[[int], None] | None:
    if on_stage is None:
        return None
    return lambda found: tell_stage(on_stage, stage, found, None)


def _hash_tick(on_stage: StageHook | None) -> Callable[[int, int], None] | None:
    if on_stage is None:
        return None
    return lambda done, total: tell_stage(on_stage, "hashing", done, total)


def plan_sync(
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    src_path: str = "",
    dst_path: str = "",
    *,
    delete: bool = True,
    compare: str = "size_mtime",
    strategy: str = "source_wins",
    include: Iterable[str] | str = (),
    exclude: Iterable[str] | str = (),
    modified_after=None,
    partitions: str | Callable[[dict], bool] | None = None,
    state_file: str | None = None,
    max_workers: int | None = None,
    listings: tuple[Listing, Listing] | None = None,
    cancel: threading.Event | None = None,
    track_renames: bool = False,
    on_stage: StageHook | None = None,
    filters: Filters | None = None,
    options: SyncOptions | None = None,
) -> Plan:
    """List both sides and plan the sync from ``src_path`` to ``dst_path``.

    ``options`` (a ``SyncOptions``, the plan stage's one settings object, as the
    app and the commands hold it) is used as it is; without it the keywords
    ``delete`` to ``partitions``, ``filters`` and ``track_renames`` build one.
    ``track_renames`` moves, on the destination, a file moved or renamed on the
    source (see ``fsspeckit.execution.renames``) instead of copying it again.
    ``on_stage(stage, done, total)``, when given, hears the listing counts and
    the hashing progress (see ``StageHook``).
    ``filters`` (a ``fsspeckit.Filters``) adds rclone's filter rules, size and
    age limits and ``delete_excluded`` to ``include``/``exclude``/``partitions``.
    """
    if options is None:
        options = _options(delete, compare, strategy, include, exclude, modified_after, partitions, filters)
        if track_renames:
            options = replace(options, track_renames=True)
    check_overlap(src_fs, src_path, dst_fs, dst_path)
    if listings is None:
        src, pending_dst = list_both(src_fs, src_path, dst_fs, dst_path, on_stage)
        dst = pending_dst()
    else:
        src, dst = listings
    matches = check_partition_scope(options.partitions, src.entries, dst.entries)
    if matches == 0:
        logger.warning("the partition predicate %r selects no file of the source", options.partitions,
                       extra={"event": "partitions_select_nothing"})
    fill_hashes(src_fs, dst_fs, src, dst, options.compare, max_workers or DEFAULT_WORKERS, cancel,
                progress=_hash_tick(on_stage))
    if options.track_renames and options.delete:
        fill_rename_hashes(src_fs, dst_fs, src, dst, max_workers or DEFAULT_WORKERS, cancel)
    if state_file:
        _apply_state(SyncState(state_file), src, dst)
    partition_filter = partitions if callable(partitions) else None
    plan = make_plan(src, dst, options, partition_filter=partition_filter,
                     src_url=url_of(src_fs, src_path), dst_url=url_of(dst_fs, dst_path))
    return replace(plan, partition_matches=matches)


def _apply_state(state: SyncState, src: Listing, dst: Listing) -> None:
    """Mark source files recorded as synced (same size and time, copy still there) as identical."""
    for rel, s in src.entries.items():
        d = dst.entries.get(rel)
        if d is not None and d.size == s.size and state.matches(rel, s.size, s.mtime):
            if s.md5 is None or d.md5 is None:
                # Same evidence as a matching checksum: this exact version was copied and verified.
                token = f"state:{s.size}:{s.mtime}"
                src.entries[rel] = replace(s, md5=token)
                dst.entries[rel] = replace(d, md5=token)


def _workers(parallel: bool, n_jobs: int | None, max_workers: int | None) -> int:
    """Pool size from the seed's ``parallel``/``n_jobs`` (joblib's meaning) or ``max_workers``.

    ``n_jobs=-1`` (0.25's default) and None mean the default pool; another
    negative number means "that many fewer than the CPUs, plus one", as joblib
    reads it; 0 is refused.
    """
    if not isinstance(parallel, bool):
        raise OptionTypeError(f"parallel must be True or False, not {parallel!r}.")
    if not parallel:
        return 1
    if max_workers is not None:
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise OptionError(f"max_workers must be a whole number of at least 1, not {max_workers!r}.")
        return max_workers
    if n_jobs is None or n_jobs == -1:
        return DEFAULT_WORKERS
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0:
        raise OptionError(f"n_jobs must be a whole number other than 0 (-1: the default pool), not {n_jobs!r}.")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


def _check_transfer_args(server_side, chunk_size) -> int:
    if not isinstance(server_side, bool):
        raise OptionTypeError(f"server_side must be True or False, not {server_side!r}.")
    if chunk_size is None:
        return DEFAULT_CHUNK
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise OptionError(f"chunk_size must be a whole number of bytes of at least 1, not {chunk_size!r}.")
    return chunk_size


def _finish(result: SyncResult, raise_on_error: bool) -> SyncResult:
    """Raise ``SyncError`` carrying the result when a file failed (after all other work was done)."""
    if raise_on_error and any(o.outcome == "failed" for o in result.outcomes):
        raise SyncError(result.error_message(), result)
    return result


def _progress_hook(verbose: bool, progress: bool, hook):
    if not (verbose or progress):
        return hook, None

    term = TerminalProgress(show_files=verbose)

    def both(p: Progress) -> None:
        term(p)
        if hook is not None:
            hook(p)

    return both, term


#: 0.25's default chunk size for streamed copies, kept.
DEFAULT_CHUNK = 8 * 2**20


def sync_dir(
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    src_path: str = "",
    dst_path: str = "",
    server_side: bool = True,
    chunk_size: int = DEFAULT_CHUNK,
    parallel: bool = True,
    n_jobs: int | None = None,
    verbose: bool = False,
    progress: bool = False,
    *,
    delete: bool = True,
    compare: str = "size_mtime",
    strategy: str = "source_wins",
    include: Iterable[str] | str = (),
    exclude: Iterable[str] | str = (),
    modified_after=None,
    partitions: str | Callable[[dict], bool] | None = None,
    partition_filter: Callable[[dict], bool] | None = None,
    dry_run: bool = False,
    allow_empty_source: bool = False,
    max_delete=None,
    backup_dir: str | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    verify: str = "size",
    state_file: str | None = None,
    max_workers: int | None = None,
    callback: Callback | None = None,
    progress_hook: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    pause: threading.Event | None = None,
    executor=None,
    raise_on_error: bool = True,
    track_renames: bool = False,
    on_stage: StageHook | None = None,
    hash_workers: int | None = None,
    filters: Filters | None = None,
    backup_suffix: str = "",
    suffix_keep_extension: bool = False,
    bwlimit: float | None = None,
    max_transfer: int | None = None,
    options: SyncOptions | None = None,
    run_options: RunOptions | None = None,
) -> SyncResult:
    """Make ``dst_path`` on ``dst_fs`` a mirror of ``src_path`` on ``src_fs``.

    New and changed files are copied; files only on the destination are
    deleted unless ``delete=False``. A missing or empty source raises
    ``SourceNotFoundError``/``EmptySourceError`` and changes nothing, unless
    ``allow_empty_source=True``.

    The first ten parameters are those of fsspeckit 0.25, in its order:
    ``server_side`` lets a copy inside one store run as the store's own copy
    (S3 CopyObject, GCS rewrite; False sends the bytes through this process),
    ``chunk_size`` is the read size of a streamed copy, ``parallel``/``n_jobs``
    the pool (``n_jobs=-1``: the default pool), ``verbose`` prints each path
    and the summary on stderr, ``progress`` a progress line.

    Returns a ``SyncResult`` with every path's outcome (it also answers
    ``result["added_files"]`` and ``result["deleted_files"]``). When a file
    fails, every other file is still synced, deletions are skipped, and then
    ``SyncError`` (a ``RuntimeError``) is raised with the full result as its
    ``.result``; ``raise_on_error=False`` returns the result instead.
    ``on_stage`` hears the listing counts and hashing progress before the
    copies start (see ``StageHook``); ``progress_hook`` the copies.
    ``hash_workers`` is how many files are hashed at once while planning
    (default: the copy pool's size).
    ``filters`` (a ``Filters``) adds rclone's filter rules and size/age limits;
    ``backup_suffix``, ``suffix_keep_extension``, ``bwlimit`` and
    ``max_transfer`` are those of ``apply_plan``.

    ``options`` (a ``SyncOptions``) and ``run_options`` (a ``RunOptions``) are
    the two stages' settings objects, as the commands and the app hold them;
    given, each is used unchanged and the keywords of its stage are not read.
    """
    if run_options is None:
        run_options = RunOptions(
            max_workers=_workers(parallel, n_jobs, max_workers), retries=retries, backoff=backoff, verify=verify,
            chunk_size=_check_transfer_args(server_side, chunk_size), max_delete=max_delete,
            backup_dir=backup_dir, dry_run=dry_run, server_side=server_side, backup_suffix=backup_suffix,
            suffix_keep_extension=suffix_keep_extension, bwlimit=bwlimit, max_transfer=max_transfer)
    run_options = RunOptions.of(run_options, allow_delete_all=run_options.allow_delete_all or allow_empty_source)
    check_overlap(src_fs, src_path, dst_fs, dst_path)
    src, pending_dst = list_both(src_fs, src_path, dst_fs, dst_path, on_stage)
    if not src.exists and not allow_empty_source:
        raise SourceNotFoundError(
            f"The source {url_of(src_fs, src_path)} does not exist; nothing was changed. "
            "Check the path (a typo?)."
        )
    if len(src) == 0 and not allow_empty_source:
        raise EmptySourceError(
            f"The source {url_of(src_fs, src_path)} holds no files; nothing was changed "
            "(a sync from it would delete everything on the destination). "
            "Pass allow_empty_source=True if that is meant."
        )
    dst = pending_dst()
    if options is None:
        options = _options(delete, compare, strategy, include, exclude, modified_after,
                           None if partition_filter else partitions, filters)
        options = replace(options, track_renames=track_renames) if track_renames else options
    plan = plan_sync(src_fs, dst_fs, src_path, dst_path, options=options,
                     partitions=partition_filter or (partitions if callable(partitions) else None),
                     state_file=state_file, max_workers=hash_workers or run_options.workers, listings=(src, dst),
                     cancel=cancel, on_stage=on_stage)
    hook, term = _progress_hook(verbose, progress, progress_hook)
    state = SyncState(state_file) if state_file else None
    try:
        result = apply_plan(plan, src_fs, dst_fs, run_options, callback=callback, progress_hook=hook, cancel=cancel,
                            pause=pause, state=state, partials=dst.partials, executor=executor)
    finally:
        if state is not None:
            state.close()
        if term is not None:
            term.close()
    result.partition_matches = plan.partition_matches
    if plan.partition_matches == 0:
        result.warnings.append(f"the partition predicate {plan.options.partitions!r} selects no file of the source")
    for rel, why in sorted(_unsynced(src).items()):
        # Keys no file path can hold, and our own leftovers, are never dropped silently: they are in the report.
        result.outcomes.append(Outcome(rel, "skip", "skipped", error=f"not synced: {why}"))
        logger.warning("not synced: %s (%s)", rel, why)
    if term is not None:
        term.report(result)
    return _finish(result, raise_on_error)


def _unsynced(src: Listing) -> dict[str, str]:
    """Source files the listing left out, with why: unsafe keys, and temporaries of an interrupted copy."""
    out = dict(src.skipped)
    for name in src.partials:
        out[rel_key(src.root, name)] = ("the temporary file of an interrupted fsspeckit copy (its name ends in "
                                        f"{PARTIAL_MARK} and ten hex digits); it is never synced")
    return out


def _relative(fs, root: str, name: str, known: Listing) -> str:
    """Map a file named relative to the root, or by its full name as ``ls`` gives it, to a relative key."""
    rel = name.lstrip("/") if "://" not in name else None
    if rel is not None and rel in known.entries:
        return rel
    _, full = unwrap(fs, name)
    root_s = root.rstrip("/")
    for candidate in (full, full.lstrip("/")):
        for r in (root_s, root_s.lstrip("/")):
            if r and candidate.startswith(r + "/"):
                return candidate[len(r) + 1:]
    if rel is not None:
        return rel
    return rel_key(root, full)


def sync_files(
    add_files: Iterable[str],
    delete_files: Iterable[str],
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    src_path: str = "",
    dst_path: str = "",
    server_side: bool = True,
    chunk_size: int = DEFAULT_CHUNK,
    parallel: bool = True,
    n_jobs: int | None = None,
    verbose: bool = False,
    progress: bool = False,
    *,
    compare: str = "size_mtime",
    retries: int = 3,
    backoff: float = 0.5,
    verify: str = "size",
    backup_dir: str | None = None,
    callback: Callback | None = None,
    progress_hook: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    pause: threading.Event | None = None,
    raise_on_error: bool = True,
) -> SyncResult:
    """Copy ``add_files`` from ``src_path`` and delete ``delete_files`` under ``dst_path``.

    Names may be relative to their root or full names as ``ls`` returns them.
    A named file already identical on the destination is skipped; one missing
    from the source fails with "not found" (the others go on). A file named in
    both lists is copied and not deleted, and the result says so in
    ``result.warnings`` (a ``UserWarning`` is issued too). The positional
    parameters and the ``SyncError`` raised when a file fails are as in
    ``sync_dir``.
    """
    chunk = _check_transfer_args(server_side, chunk_size)
    workers = _workers(parallel, n_jobs, None)
    add_files = _names(add_files, "add_files")
    delete_files = _names(delete_files, "delete_files")
    src = list_tree(src_fs, src_path, role="source")
    dst = list_tree(dst_fs, dst_path, role="destination")
    fill_hashes(src_fs, dst_fs, src, dst, compare)

    actions, missing, both = _named_actions(add_files, delete_files, src_fs, dst_fs, src, dst, compare)
    plan = Plan(tuple(actions[k] for k in sorted(actions)), SyncOptions(compare=compare),
                url_of(src_fs, src_path), url_of(dst_fs, dst_path), src.root, dst.root,
                dst_upload_times=dst.upload_times, src_exists=True, src_files=max(1, len(src)))
    hook, term = _progress_hook(verbose, progress, progress_hook)
    try:
        options = RunOptions(max_workers=workers, retries=retries, backoff=backoff, verify=verify, chunk_size=chunk,
                             backup_dir=backup_dir, allow_delete_all=True, server_side=server_side)
        result = apply_plan(plan, src_fs, dst_fs, options, callback=callback, progress_hook=hook, cancel=cancel,
                            pause=pause, partials=dst.partials)
    finally:
        if term is not None:
            term.close()

    for rel in missing:
        result.outcomes.append(Outcome(rel, "copy", "failed", 0, 0, f"Not found: {join_path(src.root, rel)} is not in the source."))
    if both:
        shown = ", ".join(sorted(set(both))[:5]) + (" ..." if len(set(both)) > 5 else "")
        message = (f"{len(set(both))} file(s) named in both add_files and delete_files were copied and not "
                   f"deleted: {shown}")
        result.warnings.append(message)
        logger.warning(message)
        warnings.warn(message, UserWarning, stacklevel=2)
    if term is not None:
        term.report(result)
    return _finish(result, raise_on_error)


def _named_actions(add_files: list[str], delete_files: list[str], src_fs, dst_fs, src: Listing, dst: Listing,
                   compare: str) -> tuple[dict[str, Action], list[str], list[str]]:
    """One action per named file; the named files missing from the source; those named in both lists."""
    actions: dict[str, Action] = {}
    missing: list[str] = []
    both: list[str] = []
    for name in add_files:
        rel = _relative(src_fs, src.root, name, src)
        s = src.entries.get(rel)
        if s is None:
            missing.append(rel)
            continue
        d = dst.entries.get(rel)
        if d is None:
            actions[rel] = Action(rel, "copy", "new", "named in add_files", s, None)
            continue
        category, reason = compare_entries(s, d, compare, dst.upload_times)
        if category == "identical":
            actions[rel] = Action(rel, "skip", "identical", reason, s, d)
        else:
            actions[rel] = Action(rel, "update", category, f"named in add_files; {reason}", s, d)
    for name in delete_files:
        rel = _relative(dst_fs, dst.root, name, dst)
        if rel in actions or rel in missing:
            # Named in both lists (e.g. a recipe keyed by full names on each side):
            # copying wins, a file the caller also wants copied is never deleted; said by the caller.
            both.append(rel)
            continue
        d = dst.entries.get(rel)
        if d is None:
            actions.setdefault(rel, Action(rel, "skip", "dst_only", "named in delete_files, already absent", None, None))
        else:
            actions[rel] = Action(rel, "delete", "dst_only", "named in delete_files", None, d)
    return actions, missing, both


def _names(names, what: str) -> list[str]:
    """A list of file names from a list, tuple, set or generator; one string or bytes is refused."""
    if names is None:
        return []
    if isinstance(names, (str, bytes, os.PathLike)):
        raise OptionTypeError(f"{what} must be a list of file names, not one name ({names!r}); wrap it in a list.")
    out = []
    for n in names:
        if isinstance(n, os.PathLike):
            n = os.fspath(n)
        if not isinstance(n, str):
            raise OptionTypeError(f"{what} must hold file names (strings), not {n!r}.")
        out.append(n)
    return out
