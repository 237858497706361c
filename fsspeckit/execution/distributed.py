"""Distributed apply: carry out a plan on a Dask cluster, one task per shard of files.

Planning stays on the caller's machine. ``apply_plan_distributed`` splits the
plan's copies into deterministic shards balanced by bytes and file count, runs
each shard as one Dask task (``apply_plan`` on a worker, with task retries),
relays workers' progress to the caller's callback at a bounded rate, and runs
deletions on the caller's machine only after every shard succeeded.

Needs the optional ``distributed`` package (``pip install 'fsspeckit-tui[dask]'``);
importing this module does not import it.
"""

from __future__ import annotations

import dataclasses
import heapq
import logging
import math
import queue
import sys
import threading
import time
import uuid
from typing import Any, Callable, Iterable, Sequence

import fsspec
from fsspec.callbacks import Callback
from fsspec.implementations.memory import MemoryFileSystem

from ..backends.filesystem import unwrap
from ..exceptions import BackendNotInstalledError, FsspeckitError, OptionError, describe_error
from ..model.options import RunOptions
from ..model.result import Outcome, SyncResult
from ..planning.plan import Action, Plan
from ..planning.plan_check import prepare_plan
from .apply import Progress, apply_plan, register_executor
from .guards import check_delete_guards, deletes_held_back, held_back_outcomes
from .renames import apply_moves
from .state import SyncState

logger = logging.getLogger(__name__)

__all__ = [
    "FILE_OVERHEAD",
    "MAX_SHARD_BYTES",
    "MAX_SHARD_FILES",
    "SHARDS_PER_THREAD",
    "apply_plan_distributed",
    "is_dask_executor",
    "plan_shards",
    "run_shard",
]

#: What one file costs beyond its bytes (request round trips), in bytes, when balancing shards.
FILE_OVERHEAD = 256 * 1024
#: A shard never holds more files than this (a hard cap).
MAX_SHARD_FILES = 2000
#: Shards are sized to hold about this many bytes at most (a single larger file gets its own shard).
MAX_SHARD_BYTES = 4 * 2**30
#: Default shard count per worker thread of the cluster, so that fast workers take more shards.
SHARDS_PER_THREAD = 4
#: How often one worker process sends progress to the coordinator, at most (seconds).
WORKER_PROGRESS_INTERVAL = 0.5

_ADDRESS_SCHEMES = ("tcp://", "tls://", "ws://", "wss://", "inproc://", "ucx://")


# -- shards -------------------------------------------------------------------

def plan_shards(
    actions: Iterable[Action],
    shards: int | None = None,
    *,
    max_files: int = MAX_SHARD_FILES,
    max_bytes: int = MAX_SHARD_BYTES,
    file_overhead: int = FILE_OVERHEAD,
) -> list[tuple[Action, ...]]:
    """Split the copies and updates among ``actions`` into balanced shards.

    Each file weighs its size plus ``file_overhead``; files are dealt heaviest
    first (ties by path) to the lightest shard, so shards end up with similar
    weight and, for files of similar size, similar counts. No shard holds more
    than ``max_files`` files. The shard count is ``shards``, raised as needed so
    shards hold about ``max_bytes`` at most, and never above the file count.
    The result depends only on the actions and these numbers: the same plan
    gives the same shards. Each shard is sorted by path; shards are ordered
    by their first path.
    """
    items = [a for a in actions if a.kind in ("copy", "update")]
    if not items:
        return []
    if max_files < 1:
        raise OptionError("max_files must be at least 1.")
    total_bytes = sum(a.size for a in items)
    wanted = max(int(shards or 1), math.ceil(len(items) / max_files),
                 math.ceil(total_bytes / max_bytes) if max_bytes > 0 else 1)
    k = max(1, min(len(items), wanted))
    bins: list[list[Action]] = [[] for _ in range(k)]
    heap = [(0, 0, i) for i in range(k)]  # (weight, files, shard index): the lightest shard on top
    for a in sorted(items, key=lambda a: (-(a.size + file_overhead), a.path)):
        weight, files, i = heapq.heappop(heap)
        bins[i].append(a)
        if files + 1 < max_files:
            heapq.heappush(heap, (weight + a.size + file_overhead, files + 1, i))
        # A full shard leaves the heap; k * max_files >= len(items) keeps one open.
    out = [tuple(sorted(b, key=lambda a: a.path)) for b in bins if b]
    out.sort(key=lambda s: s[0].path)
    return out


# -- the worker side ------------------------------------------------------------

class _WorkerReporter:
    """One per worker process: batches shard progress and sends it at most every interval."""

    def __init__(self, interval: float = WORKER_PROGRESS_INTERVAL):
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: dict[str, dict[int, dict]] = {}
        self._last = 0.0

    def update(self, worker, topic: str, msg: dict) -> None:
        with self._lock:
            self._pending.setdefault(topic, {})[msg["shard"]] = msg
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last = now
            batch, self._pending = self._pending, {}
        try:
            for name, msgs in batch.items():
                worker.log_event(name, {"shards": list(msgs.values())})
        except Exception:  # noqa: BLE001 - progress is best effort; the result carries the truth
            logger.debug("could not send progress", exc_info=True)


_reporter_lock = threading.Lock()
_reporter: _WorkerReporter | None = None


def _worker_reporter() -> _WorkerReporter:
    global _reporter
    with _reporter_lock:
        if _reporter is None:
            _reporter = _WorkerReporter()
        return _reporter


def _watch_cancel(event, cancel: threading.Event, done: threading.Event) -> None:
    """Set ``cancel`` when the run's cluster-wide event is set; stop when the shard is done."""
    while not done.is_set():
        try:
            if event.wait(timeout=1.0):
                cancel.set()
                return
        except Exception:  # noqa: BLE001 - scheduler gone: the task is lost anyway
            if done.wait(1.0):
                return


def run_shard(
    index: int,
    plan: Plan,
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    options: RunOptions,
    topic: str | None = None,
    cancel_name: str | None = None,
) -> SyncResult:
    """Apply one shard on a worker: the Dask task behind ``apply_plan_distributed``.

    ``plan`` holds only the shard's copies and updates. Progress goes out on
    the event topic ``topic``; the cluster-wide event ``cancel_name`` stops it.
    Running a shard again (after a lost worker) copies its files again.
    """
    token = uuid.uuid4().hex
    cancel = threading.Event()
    done = threading.Event()
    if cancel_name:
        try:
            from distributed import Event

            event = Event(cancel_name)
            if event.client is not None:
                threading.Thread(target=_watch_cancel, args=(event, cancel, done), daemon=True,
                                 name=f"fsspeckit-shard-{index}-cancel").start()
        except Exception:  # noqa: BLE001 - outside a cluster (tests, direct calls)
            logger.debug("no cluster-wide cancel for shard %d", index, exc_info=True)
    hook = None
    if topic:
        from distributed import get_worker

        # Found from the task's thread: apply_plan calls the hook from its own threads.
        worker = get_worker()
        reporter = _worker_reporter()

        def hook(p: Progress) -> None:
            flying = sorted(p.in_flight.items())[:16]
            reporter.update(worker, topic, {
                "shard": index, "token": token, "files_done": p.files_done, "bytes_done": p.bytes_done,
                "bytes_total": p.bytes_total, "failed": p.failed, "last_error": p.last_error,
                "in_flight": [[path, d, s] for path, (d, s) in flying],
            })

    try:
        return apply_plan(plan, src_fs, dst_fs, options, progress_hook=hook, cancel=cancel)
    finally:
        done.set()


# -- the coordinator side ----------------------------------------------------------

def is_dask_executor(executor: Any) -> bool:
    """True for a ``distributed.Client`` or a scheduler address such as ``"tcp://host:8786"``.

    A Client exists only once the ``distributed`` package was imported, so this
    never imports it (that takes a second): an object is a Client when it is an
    instance of the class of the package already loaded.
    """
    if isinstance(executor, str):
        return True
    package = sys.modules.get("distributed")
    return package is not None and isinstance(executor, package.Client)


def _connect(executor: Any):
    """Return ``(client, owned)`` for a Client or a scheduler address."""
    if not isinstance(executor, str):
        return executor, False
    address = executor.strip()
    if address and "://" not in address:
        address = "tcp://" + address  # Dask's default scheme
    if not address.startswith(_ADDRESS_SCHEMES) or address.endswith("://"):
        raise OptionError(
            f"{executor!r} is not a Dask scheduler address; give one like 'tcp://127.0.0.1:8786'."
        )
    try:
        from distributed import Client
    except ImportError:
        raise BackendNotInstalledError(
            "Applying on a Dask cluster needs the 'distributed' package: pip install 'fsspeckit-tui[dask]'."
        ) from None
    try:
        return Client(address, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise FsspeckitError(
            f"Could not reach the Dask scheduler at {address}; check that it runs and the address is right "
            f"({type(exc).__name__})."
        ) from None


class _Relay:
    """Coordinator-side progress: merges shard states, feeds the callback and the hook."""

    def __init__(self, shards: Sequence[tuple[Action, ...]], deletes: int, callback: Callback | None,
                 hook: Callable[[Progress], None] | None, pause: threading.Event | None, interval: float):
        self.inbox: queue.Queue = queue.Queue()
        self.callback = callback
        self.hook = hook
        self.pause = pause
        self.interval = interval
        self._last = 0.0
        self.p = Progress(files_total=sum(len(s) for s in shards), bytes_total=sum(a.size for s in shards for a in s),
                          deletes_total=deletes)
        # Per shard: the attempt reporting now, its counters, whether the final result is in.
        self.state = [{"token": None, "files_done": 0, "bytes_done": 0, "failed": 0,
                       "bytes_total": sum(a.size for a in s), "final": False} for s in shards]
        self.dead_tokens: set[str] = set()
        self.in_flight: dict[int, dict[str, tuple[int, int]]] = {}
        if callback is not None:
            callback.set_size(self.p.bytes_total)

    def on_event(self, event) -> None:
        """Topic handler; runs on the client's event loop, so it only queues."""
        _, msg = event
        self.inbox.put(msg)

    def drain(self, timeout: float) -> None:
        try:
            msg = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return
        while True:
            for s in msg.get("shards", ()):
                self._update(s)
            try:
                msg = self.inbox.get_nowait()
            except queue.Empty:
                break
        self.notify()

    def _update(self, s: dict) -> None:
        i = s.get("shard")
        if not isinstance(i, int) or not 0 <= i < len(self.state):
            return
        st = self.state[i]
        token = s.get("token")
        if st["final"] or token in self.dead_tokens:
            return
        if st["token"] != token:
            # A new attempt of the shard (its worker was lost): it starts from zero.
            if st["token"] is not None:
                self.dead_tokens.add(st["token"])
                logger.info("shard %d is running again (its worker was lost); its files are copied again", i)
            st["token"] = token
        self._set(i, s["files_done"], s["bytes_done"], s["failed"], s["bytes_total"])
        self.in_flight[i] = {p: (d, n) for p, d, n in s.get("in_flight", ())}
        if s.get("last_error"):
            self.p.last_error = s["last_error"]

    def _set(self, i: int, files_done: int, bytes_done: int, failed: int, bytes_total: int) -> None:
        st = self.state[i]
        d_bytes = bytes_done - st["bytes_done"]
        self.p.files_done += files_done - st["files_done"]
        self.p.bytes_done += d_bytes
        self.p.failed += failed - st["failed"]
        self.p.bytes_total += bytes_total - st["bytes_total"]
        st.update(files_done=files_done, bytes_done=bytes_done, failed=failed, bytes_total=bytes_total)
        if d_bytes and self.callback is not None:
            self.callback.relative_update(d_bytes)

    def shard_done(self, i: int, shard: tuple[Action, ...], outcomes: list[Outcome]) -> None:
        """Replace what a shard reported on the way by its final outcomes."""
        ok = {o.path for o in outcomes if o.outcome in ("copied", "updated")}
        done_bytes = sum(a.size for a in shard if a.path in ok)
        self._set(i, len(ok), done_bytes, len(shard) - len(ok), done_bytes)
        self.state[i]["final"] = True
        self.in_flight.pop(i, None)
        errors = [o for o in outcomes if o.outcome == "failed"]
        if errors:
            self.p.last_error = f"{errors[-1].path}: {errors[-1].error}"
        self.notify(force=len(ok) < len(shard))

    def notify(self, force: bool = False) -> None:
        if self.hook is None:
            return
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.p.paused = bool(self.pause is not None and self.pause.is_set())
        snap = self.p.snapshot()
        snap.in_flight = {path: v for flying in self.in_flight.values() for path, v in flying.items()}
        try:
            self.hook(snap)
        except Exception:  # noqa: BLE001 - a drawing error must not stop the sync
            logger.exception("progress hook failed")

    def finish(self) -> None:
        self.in_flight.clear()
        self.p.finished = True
        self.notify(force=True)


def apply_plan_distributed(
    plan: Plan,
    src_fs: fsspec.AbstractFileSystem,
    dst_fs: fsspec.AbstractFileSystem,
    client,
    options: RunOptions | None = None,
    *,
    callback: Callback | None = None,
    progress_hook: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    pause: threading.Event | None = None,
    state: SyncState | None = None,
    partials: list[str] | None = None,
    shards: int | None = None,
    task_retries: int = 2,
    max_in_flight: int | None = None,
    cancel_grace: float = 30.0,
    progress_interval: float = 0.25,
    **settings,
) -> SyncResult:
    """Carry out ``plan`` on a Dask cluster; return every path's outcome, as ``apply_plan`` does.

    ``client`` is a ``distributed.Client`` or a scheduler address
    (``"tcp://host:8786"``; a client is opened and closed for the run).
    ``options`` (or the same settings by keyword) is the ``RunOptions`` of
    ``apply_plan``, which every shard gets unchanged (but for ``refresh``: the
    plan is checked once, here). The copies are split by ``plan_shards`` into ``shards`` tasks (default: four
    per worker thread of the cluster); each task runs ``apply_plan`` on its
    shard with ``max_workers`` threads and the same ``retries``/``verify``/
    ``chunk_size``, and is retried ``task_retries`` times if it raises; a
    shard whose worker dies is run again elsewhere (its files are copied again,
    and reported once). At most ``max_in_flight`` shards are queued on the
    cluster at once (default: twice its threads), so ``pause`` holds back
    shards not yet sent (sent ones finish). ``cancel`` stops running shards
    between chunks, waits up to ``cancel_grace`` seconds for their reports,
    then cancels the tasks. Deletions run here, after every shard succeeded.

    The filesystems are pickled into every task: their storage options,
    credentials included, travel to the workers (they are never logged).
    """
    options = RunOptions.of(options, **settings)
    plan = prepare_plan(plan, src_fs, dst_fs, options.refresh)  # once, here; shards are never checked again
    plan = dataclasses.replace(plan, loaded=False)
    # Every apply_plan below (here or on a worker) gets refresh=False.
    options = dataclasses.replace(options, refresh=False)
    if options.dry_run:
        return apply_plan(plan, src_fs, dst_fs, options, callback=callback, progress_hook=progress_hook)
    for side, fs in (("source", src_fs), ("destination", dst_fs)):
        if isinstance(unwrap(fs, "")[0], MemoryFileSystem):
            raise OptionError(f"The {side} is a memory:// filesystem, which exists only in this process, so "
                             "cluster workers cannot reach it; apply without a Dask executor.")
    check_delete_guards(plan, options.max_delete, options.allow_delete_all)
    cancel = cancel or threading.Event()
    result = SyncResult(src_url=plan.src_url, dst_url=plan.dst_url, started=time.time())
    if partials:
        cleanup = apply_plan(dataclasses.replace(plan, actions=()), src_fs, dst_fs, options, partials=partials)
        result.cleaned_partials = cleanup.cleaned_partials
        result.aborted_uploads = cleanup.aborted_uploads
    # Moves are renames or the store's own copies: done here, before the copies go out.
    result.outcomes.extend(apply_moves(plan, plan.by_kind("move"), dst_fs, retries=options.retries,
                                       backoff=options.backoff, cancel=cancel))
    run = _ClusterRun(plan, src_fs, dst_fs, options, cancel, pause, task_retries, cancel_grace)
    transfer_outcomes, relay = run.copies(client, shards, max_in_flight, callback, progress_hook, progress_interval)
    result.outcomes.extend(Outcome(a.path, "skip", "skipped") for a in plan.actions if a.kind == "skip")
    result.outcomes.extend(transfer_outcomes)
    if state is not None:
        _record_copies(state, plan, transfer_outcomes)
    result.cancelled = cancel.is_set()
    if plan.deletes:
        run.deletes(result, transfer_outcomes, state, relay)
    result.finished = time.time()
    relay.finish()
    return result


def _record_copies(state: SyncState, plan: Plan, outcomes: list[Outcome]) -> None:
    """Remember in the incremental state each file the cluster copied."""
    by_path = {a.path: a for a in plan.transfers}
    for o in outcomes:
        a = by_path.get(o.path)
        if o.outcome in ("copied", "updated") and a is not None and a.src is not None:
            state.record(a.path, a.src.size, a.src.mtime)


class _ClusterRun:
    """The copies of one plan sent to the cluster in shards, then its deletions run here."""

    def __init__(self, plan: Plan, src_fs, dst_fs, options: RunOptions, cancel: threading.Event,
                 pause: threading.Event | None, task_retries: int, cancel_grace: float):
        self.plan, self.src_fs, self.dst_fs, self.options = plan, src_fs, dst_fs, options
        self.cancel, self.pause = cancel, pause
        self.task_retries, self.cancel_grace = task_retries, cancel_grace

    def copies(self, client, shards: int | None, max_in_flight: int | None, callback, progress_hook,
               progress_interval: float) -> tuple[list[Outcome], "_Relay"]:
        """Every copy's outcome, in plan order, and the relay that reported their progress."""
        plan = self.plan
        client, owned = _connect(client)
        try:
            threads = sum(client.nthreads().values()) or 1
            shard_list = plan_shards(plan.actions, shards or threads * SHARDS_PER_THREAD)
            relay = _Relay(shard_list, len(plan.deletes), callback, progress_hook, self.pause, progress_interval)
            relay.notify(force=True)
            logger.info("applying %d copies in %d shards on a cluster of %d threads (%s -> %s)",
                        relay.p.files_total, len(shard_list), threads, plan.src_url, plan.dst_url)
            # A shard holds only copies: the guards on deletions ran on the whole plan.
            shard_options = dataclasses.replace(self.options, max_delete=None)
            outcomes = _run_shards(client, shard_list, plan, self.src_fs, self.dst_fs, shard_options, relay,
                                   self.cancel, self.pause, self.task_retries, max_in_flight or 2 * threads,
                                   self.cancel_grace)
        finally:
            if owned:
                client.close()
        order = {a.path: i for i, a in enumerate(plan.actions)}
        outcomes.sort(key=lambda o: order.get(o.path, -1))
        return outcomes, relay

    def deletes(self, result: SyncResult, transfer_outcomes: list[Outcome], state: SyncState | None,
                relay: "_Relay") -> None:
        """The plan's deletions, here, through apply_plan's delete path; held back after a failed copy or a stop."""
        plan = self.plan
        why = deletes_held_back(transfer_outcomes, self.cancel.is_set())
        if why:
            result.deletes_skipped = why
            result.outcomes.extend(held_back_outcomes(plan, why))
            return

        def delete_hook(p: Progress) -> None:
            relay.p.deleted = p.deleted
            relay.notify()

        # The guards ran on the whole plan already.
        sub = apply_plan(dataclasses.replace(plan, actions=tuple(plan.deletes)), self.src_fs, self.dst_fs,
                         dataclasses.replace(self.options, allow_delete_all=True, max_delete=None),
                         cancel=self.cancel, pause=self.pause, state=state, progress_hook=delete_hook)
        result.outcomes.extend(sub.outcomes)
        result.deletes_skipped = sub.deletes_skipped
        result.cancelled = result.cancelled or sub.cancelled


def _shard_outcomes(shard: tuple[Action, ...], outcome: str, error: str) -> list[Outcome]:
    return [Outcome(a.path, a.kind, outcome, 0, 0, error) for a in shard]


def _collect(future, index: int, shard: tuple[Action, ...]) -> list[Outcome]:
    """The outcomes of a finished shard task: one per file of the shard, whatever happened."""
    if future.status == "cancelled":
        return _shard_outcomes(shard, "cancelled", "cancelled before its report arrived")
    try:
        outcomes = list(future.result().outcomes)
    except Exception as exc:  # noqa: BLE001 - the task failed after its retries, or its workers kept dying
        logger.warning("shard %d (%d files) failed: %s", index, len(shard), describe_error(exc))
        return _shard_outcomes(shard, "failed", f"its shard's task failed: {describe_error(exc)}")
    # Account for every file exactly once, even if a worker reported oddly.
    seen: set[str] = set()
    kept = []
    for o in outcomes:
        if o.path not in seen:
            seen.add(o.path)
            kept.append(o)
    kept.extend(Outcome(a.path, a.kind, "failed", 0, 0, "its shard did not report it")
                for a in shard if a.path not in seen)
    return kept


def _run_shards(client, shard_list, plan: Plan, src_fs, dst_fs, options: RunOptions, relay: _Relay,
                cancel: threading.Event, pause: threading.Event | None, task_retries: int, max_in_flight: int,
                cancel_grace: float) -> list[Outcome]:
    """Submit the shards (at most ``max_in_flight`` queued at once) and gather their outcomes."""
    if not shard_list:
        return []
    from distributed import Event

    run_id = uuid.uuid4().hex[:12]
    topic = f"fsspeckit-progress-{run_id}"
    cancel_name = f"fsspeckit-cancel-{run_id}"
    client.subscribe_topic(topic, relay.on_event)
    outcomes: list[Outcome] = []
    waiting = list(range(len(shard_list)))[::-1]  # popped from the end: first shard first
    running: dict[Any, int] = {}
    deadline = None
    try:
        while waiting or running:
            if cancel.is_set() and deadline is None:
                deadline = time.monotonic() + cancel_grace
                Event(cancel_name, client=client).set()
                for i in waiting:
                    got = _shard_outcomes(shard_list[i], "cancelled", "cancelled before it started")
                    relay.shard_done(i, shard_list[i], got)
                    outcomes.extend(got)
                waiting.clear()
            if deadline is not None and time.monotonic() > deadline:
                client.cancel(list(running))
                for i in running.values():
                    got = _shard_outcomes(shard_list[i], "cancelled", "cancelled; its shard did not stop in time")
                    relay.shard_done(i, shard_list[i], got)
                    outcomes.extend(got)
                running.clear()
                break
            while waiting and len(running) < max_in_flight and not (pause is not None and pause.is_set()):
                i = waiting.pop()
                sub = dataclasses.replace(plan, actions=shard_list[i])
                future = client.submit(run_shard, i, sub, src_fs, dst_fs, options, topic, cancel_name,
                                       key=f"fsspeckit-shard-{run_id}-{i}", retries=task_retries, pure=False)
                running[future] = i
            relay.drain(0.05)
            for future in [f for f in running if f.done()]:
                i = running.pop(future)
                got = _collect(future, i, shard_list[i])
                relay.shard_done(i, shard_list[i], got)
                outcomes.extend(got)
                future.release()
            relay.notify()
    finally:
        if running:
            client.cancel(list(running))
        try:
            client.unsubscribe_topic(topic)
            # Release the shards' cancel watchers (and stop any straggler), then forget the event.
            event = Event(cancel_name, client=client)
            event.set()
            event.clear()
        except Exception:  # noqa: BLE001 - the scheduler may be gone
            logger.debug("could not clean up run %s on the scheduler", run_id, exc_info=True)
    return outcomes


register_executor(is_dask_executor, apply_plan_distributed)
