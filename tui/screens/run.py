"""The run screen: confirm a plan, apply it in a thread worker, show live progress.

``RunScreen(plan, src_fs, dst_fs)`` first states what will be copied, updated
and deleted, then runs ``fsspeckit.execution.apply.apply_plan`` in a worker. Progress
arrives as absolute-state messages that replace each other in the queue, so a
run of many small files never floods the UI. Pause, resume and cancel go to the
core through ``threading.Event`` objects. When the run ends the report opens;
the screen dismisses with the ``SyncResult`` (``None`` when nothing ran).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Label, Log, ProgressBar, Static
from textual.worker import Worker, WorkerState

from fsspeckit.exceptions import StalePlanError, describe_error
from fsspeckit.execution.apply import Progress, apply_plan
from fsspeckit.model.options import RunOptions
from fsspeckit.model.result import SyncResult
from fsspeckit.planning.plan import Plan

from ..widgets.throughput import ThroughputChart
from . import human_bytes, human_duration, human_rate
from .remotes import ConfirmScreen
from .report import ReportScreen, skip_reasons

__all__ = ["RunScreen", "FileRow", "MAX_FILE_ROWS", "skip_reasons"]

#: How many files in flight get their own bar.
MAX_FILE_ROWS = 8
#: The rate (and the ETA) shown is measured over this many seconds.
RATE_WINDOW = 5.0
#: After this many seconds without a byte, the stats line says so instead of showing an ETA.
STALL_AFTER = 3.0


def _amount(n: int, size: int, noun: str) -> str:
    """``3 new files  (1.2 MB)``, or ``nothing`` (not ``0 new files (0 Bytes)``)."""
    return f"{_count(n, noun)}  ({human_bytes(size)})" if n else "nothing"
#: While a run goes, the throughput chart takes a sample this often (seconds), moving or not.
SAMPLE_INTERVAL = 1.0


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


_STRATEGY_WORDS = {"source_wins": "source wins", "newer": "newer wins", "larger": "larger wins",
                   "skip": "skip conflicts", "keep_both": "keep both"}


def _conflicts(plan: Plan) -> tuple[int, int]:
    """Updates of a destination that looks newer: (overwritten, kept under a conflict name)."""
    overwritten = kept = 0
    for a in plan.transfers:
        if a.kind == "update" and a.category == "conflict":
            if a.keep_as:
                kept += 1
            else:
                overwritten += 1
    return overwritten, kept


def _leave(plan: Plan, n_skip: int) -> str:
    """'3 files as they are (2 identical, 1 already done)'."""
    if not n_skip:
        return "nothing else"
    return f"{_count(n_skip, 'file')} as {'it is' if n_skip == 1 else 'they are'}  ({skip_reasons(plan)})"


class FileRow(Horizontal):
    """One file in flight: its name and a bar. Rows are reused, never remounted."""

    DEFAULT_CSS = """
    FileRow { height: 1; }
    FileRow > .name { width: 1fr; min-width: 20; overflow: hidden; text-overflow: ellipsis; }
    FileRow > ProgressBar { width: 60; }
    FileRow > ProgressBar > Bar { width: 36; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path: str | None = None

    def compose(self) -> ComposeResult:
        yield Label("", classes="name", markup=False)
        yield ProgressBar(total=1, show_eta=False)

    def show(self, path: str, done: int, size: int) -> None:
        if path != self.path:
            self.path = path
            self.query_one(".name", Label).update(path)
        bar = self.query_one(ProgressBar)
        bar.update(total=max(size, 1), progress=min(done, max(size, 1)))
        self.display = True

    def clear(self) -> None:
        self.path = None
        self.display = False


class RunScreen(Screen[SyncResult | None]):
    """Confirm, run and watch a sync; opens the report at the end."""

    DEFAULT_CSS = """
    RunScreen { padding: 1 2; }
    RunScreen #title { text-style: bold; margin-bottom: 1; }
    RunScreen #confirm { height: auto; }
    RunScreen .line { height: auto; }
    RunScreen .deletes { color: $error; text-style: bold; }
    RunScreen .warn { color: $warning; text-style: bold; }
    RunScreen #allow-delete-all { margin-left: 4; }
    RunScreen .no-deletes { color: $text-muted; }
    RunScreen #delete-list { color: $error; max-height: 8; height: auto; margin-left: 4; }
    RunScreen #confirm-buttons { height: auto; margin-top: 1; }
    RunScreen #confirm-buttons Button { margin-right: 2; }
    RunScreen #running { height: 1fr; display: none; }
    RunScreen #status { text-style: bold; margin-bottom: 1; }
    RunScreen #status.paused { color: $warning; }
    RunScreen #status.cancelling, RunScreen #status.failed { color: $error; }
    RunScreen #overall { width: 100%; }
    RunScreen #overall > Bar { width: 1fr; }
    RunScreen #stats { margin-bottom: 1; }
    RunScreen #in-flight-title { text-style: bold; }
    RunScreen #more { color: $text-muted; }
    RunScreen #errors-title { text-style: bold; color: $error; margin-top: 1; display: none; }
    RunScreen #errors { height: 6; display: none; border: round $error; }
    """

    BINDINGS = [
        Binding("enter", "start", "Start"),
        Binding("f5", "start", "Start", show=False),
        Binding("y", "start", "Start", show=False),
        Binding("space", "toggle_pause", "Pause/resume"),
        Binding("escape,q", "back", "Back / stop (asks)"),
    ]

    class ProgressUpdate(Message):
        """Absolute progress of the run; a newer one replaces a queued older one."""

        def __init__(self, progress: Progress) -> None:
            super().__init__()
            self.progress = progress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunScreen.ProgressUpdate)

    def __init__(self, plan: Plan, src_fs, dst_fs, options: RunOptions | None = None, *, executor: Any = None,
                 partials: Sequence[str] = (), show_report: bool = True, where: str | None = None,
                 name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        #: "source → destination" as the main screen titles them (default: the plan's URLs).
        self.where = where
        self.plan = plan
        self.src_fs = src_fs
        self.dst_fs = dst_fs
        #: The run's settings, passed to ``apply_plan`` unchanged; the cluster to run on, if any; and the
        #: temporary files an interrupted run left in the destination (removed before copying).
        self.options = RunOptions.of(options)
        self.executor = executor
        self.partials = list(partials)
        self.show_report = show_report
        self.phase = "confirm"  # confirm -> running -> done | failed
        self._stop_question: ConfirmScreen | None = None
        self.cancel_event = threading.Event()
        self.pause_event = threading.Event()
        self.result: SyncResult | None = None
        self.error: str | None = None
        self.stale = False  # refused because a side changed since the plan: the app lists both again
        #: Progress messages this screen handled (the rest were coalesced away).
        self.progress_updates = 0
        self.last_progress: Progress | None = None
        self._last_progress_at = self._moved_at = time.monotonic()
        self._errors_seen: set[str] = set()
        self._worker: Worker | None = None
        self._sampler = None
        #: (seconds into the run, bytes done) of recent progress messages, for the rate shown.
        self._samples: list[tuple[float, int]] = []
        #: Leave the app once the stopped run has ended (asked for while it ran).
        self.quit_when_stopped = False

    # -- layout ---------------------------------------------------------------
    def compose(self) -> ComposeResult:
        plan = self.plan
        t = plan.totals
        where = self.where or (f"{plan.src_url or plan.src_root or 'source'}  →  "
                               f"{plan.dst_url or plan.dst_root or 'destination'}")
        yield Static(f"Sync {where}", id="title", markup=False)
        with Vertical(id="confirm"):
            n_copy, b_copy = t["copy"]
            n_update, b_update = t["update"]
            n_delete, b_delete = t["delete"]
            n_skip, _ = t["skip"]
            yield Static(f"Copy    {_amount(n_copy, b_copy, 'new file')}", classes="line", id="copy-line")
            yield Static(f"Update  {_amount(n_update, b_update, 'changed file')}", classes="line", id="update-line")
            overwritten, kept = _conflicts(plan)
            if overwritten:
                strategy = _STRATEGY_WORDS.get(plan.options.strategy, plan.options.strategy)
                yield Static(f"  ⚠ of which {_count(overwritten, 'conflict')}: the destination's newer copy is "
                             f"overwritten ({strategy}; t on the main screen changes it)", classes="line warn",
                             id="conflict-line", markup=False)
            if kept:
                yield Static(f"  of which {_count(kept, 'conflict')}: the destination's copy is kept under a "
                             "'.conflict-' name first", classes="line no-deletes", id="keep-both-line", markup=False)
            if n_delete:
                yield Static(f"DELETE  {_count(n_delete, 'file')} from the destination  ({human_bytes(b_delete)})",
                             classes="line deletes", id="delete-line")
                shown = [a.path for a in plan.deletes[:8]]
                more = f"\n… and {n_delete - len(shown):,} more" if n_delete > len(shown) else ""
                yield Static("\n".join(shown) + more, id="delete-list", markup=False)
            else:
                yield Static("Delete  nothing", classes="line no-deletes", id="delete-line")
            yield Static(f"Leave   {_leave(plan, n_skip)}", classes="line no-deletes", id="leave-line", markup=False)
            refusal = self.refusal()
            if refusal:
                yield Static(refusal, classes="line deletes", id="refusal", markup=False)
                yield Checkbox(f"Delete all {n_delete:,} destination files anyway", id="allow-delete-all")
            workers = self.options.workers
            verify = self.options.verify
            where = f"Runs on cluster {self.executor}. " if isinstance(self.executor, str) else ""
            yield Static(f"\n{where}Workers: {workers}, verify: {verify}. Nothing is written before you start.",
                         classes="line no-deletes", id="run-options", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button(self._start_label(), id="start", variant="error" if n_delete else "primary",
                             disabled=not self._can_start())
                yield Button("Back  (esc)", id="back")
        with Vertical(id="running"):
            yield Static("Starting…", id="status")
            yield ProgressBar(total=max(t.transfer_bytes, 1), show_eta=False, id="overall")
            yield Static("", id="stats", markup=False)
            yield ThroughputChart(id="throughput")
            yield Static("Files in flight", id="in-flight-title")
            for _ in range(MAX_FILE_ROWS):
                row = FileRow()
                row.display = False
                yield row
            yield Static("", id="more")
            yield Static("Errors", id="errors-title")
            yield Log(id="errors", max_lines=500)
        yield Footer()

    def on_mount(self) -> None:
        if not self.query_one("#start", Button).disabled:
            self.query_one("#start", Button).focus()
        elif self.query("#allow-delete-all"):
            self.query_one("#allow-delete-all", Checkbox).focus()

    # -- what may start -------------------------------------------------------
    def refusal(self) -> str | None:
        """Why the core will refuse this plan as it stands (a missing or empty source that deletes everything)."""
        plan = self.plan
        if not plan.deletes or (plan.src_exists and plan.src_files) or self.options.allow_delete_all:
            return None
        where = plan.src_url or plan.src_root or "the source"
        state = "does not exist" if not plan.src_exists else "is empty"
        return (f"⚠ The source {where} {state}: this run would delete every file the destination holds here "
                f"({len(plan.deletes):,}). It is refused unless you tick the box below; "
                "to keep them instead, go back and press d (deletions off) or e to fix the source path.")

    def _can_start(self) -> bool:
        plan = self.plan
        if not plan.transfers and not plan.deletes:
            return False
        return not self.refusal() or self._allow_all()

    def _allow_all(self) -> bool:
        boxes = self.query("#allow-delete-all") if self.is_mounted else ()
        return bool(boxes) and boxes.first(Checkbox).value

    def _start_label(self) -> str:
        plan = self.plan
        if not plan.transfers and not plan.deletes:
            return "Nothing to do"
        if self.refusal() and not self._allow_all():
            return "Refused (see above)"
        return "Start  (enter)"

    @on(Checkbox.Changed, "#allow-delete-all")
    def _allow_changed(self, event: Checkbox.Changed) -> None:
        button = self.query_one("#start", Button)
        button.disabled = not self._can_start()
        button.label = self._start_label()
        self.refresh_bindings()

    # -- bindings -------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action == "start":
            return self.phase == "confirm" and self._can_start()
        if action in ("toggle_pause", "cancel_run"):
            return self.phase == "running" and not self.cancel_event.is_set()
        return True

    def action_start(self) -> None:
        if self.phase != "confirm" or not self._can_start():
            return
        if self.refusal() and self._allow_all():
            self.options = RunOptions.of(self.options, allow_delete_all=True)
        self.phase = "running"
        self.query_one("#confirm").display = False
        self.query_one("#running").display = True
        self.query_one("#status", Static).update("Running…")
        self.refresh_bindings()
        self._last_progress_at = self._moved_at = time.monotonic()
        self._worker = self._apply()
        self._sampler = self.set_interval(SAMPLE_INTERVAL, self._sample_throughput)

    def _sample_throughput(self) -> None:
        # Progress messages stop when bytes stop (a stall, a pause): the chart and the stats still show it.
        p = self.last_progress
        if p is not None:
            self.query_one(ThroughputChart).sample(p.elapsed, p.bytes_done, human_rate)
        self._tick_stats()

    def action_back(self) -> None:
        if self.phase == "confirm":
            self.dismiss(None)
        elif self.phase == "running":
            self.ask_to_stop()
        elif self.phase == "failed":
            self.dismiss(None)
        elif self.result is not None:
            self._open_report()

    def action_toggle_pause(self) -> None:
        if self.phase != "running" or self.cancel_event.is_set():
            return
        if self.pause_event.is_set():
            self.pause_event.clear()
        else:
            self.pause_event.set()
        self._show_status()

    def ask_to_stop(self, then_quit: bool = False) -> None:
        """Ask before stopping a run (esc, q, or quitting the app while it runs)."""
        if self.phase != "running":
            if then_quit:
                self.app.exit()
            return
        if self.cancel_event.is_set():
            if then_quit:
                self.quit_when_stopped = True
            return

        question = ("A sync is running. Stop it and quit? Files in flight stop at their next chunk; "
                    "what was copied stays." if then_quit else
                    "Stop this run? Files in flight stop at their next chunk; what was copied stays.")

        def answer(yes: bool | None) -> None:
            if not yes:
                return
            if self.phase != "running":  # the run ended while the question was open
                if then_quit:
                    self.app.exit()
                return
            self.quit_when_stopped = self.quit_when_stopped or then_quit
            self.action_cancel_run()

        self._stop_question = ConfirmScreen(question)
        self.app.push_screen(self._stop_question, answer)

    def _drop_stop_question(self) -> None:
        """The run ended while "Stop it?" was open: the question is moot, take it away."""
        question, self._stop_question = self._stop_question, None
        if question is not None and self.app.screen is question:
            question.dismiss(None)

    def action_cancel_run(self) -> None:
        if self.phase != "running" or self.cancel_event.is_set():
            return
        self.cancel_event.set()
        self.pause_event.clear()
        self._show_status()
        self.refresh_bindings()

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    # -- the worker -----------------------------------------------------------
    @work(thread=True, exit_on_error=False, exclusive=True, group="fsspeckit-run", name="apply")
    def _apply(self) -> SyncResult:
        return apply_plan(self.plan, self.src_fs, self.dst_fs, self.options, progress_hook=self._post_progress,
                          cancel=self.cancel_event, pause=self.pause_event, executor=self.executor,
                          partials=self.partials or None)

    def _post_progress(self, progress: Progress) -> None:
        # Called from the core's threads: post, never touch widgets here.
        self.post_message(self.ProgressUpdate(progress))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            if self._sampler:
                self._sampler.stop()
            self._drop_stop_question()
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED) and self.quit_when_stopped:
            self.app.exit()
            return
        if event.state == WorkerState.SUCCESS:
            self.result = event.worker.result
            self.phase = "done"
            self._show_status()
            self.refresh_bindings()
            if self.show_report:
                self._open_report()
            else:
                self.dismiss(self.result)
        elif event.state == WorkerState.ERROR:
            self.phase = "failed"
            self.error = describe_error(event.worker.error)
            self.stale = isinstance(event.worker.error, StalePlanError)
            self._show_status()
            self.refresh_bindings()

    def on_unmount(self) -> None:
        # Leaving the app mid-run stops the core instead of leaving threads behind.
        self.cancel_event.set()
        self.pause_event.clear()

    def _retry_screen(self, plan: Plan) -> "RunScreen":
        """The screen a retry from the report runs in: the same settings, no report of its own."""
        return RunScreen(plan, self.src_fs, self.dst_fs, self.options, executor=self.executor, show_report=False)

    def _open_report(self) -> None:
        self.app.push_screen(
            ReportScreen(self.result, plan=self.plan, src_fs=self.src_fs, dst_fs=self.dst_fs,
                         rerun=self._retry_screen),
            self._report_closed,
        )

    def _report_closed(self, result: SyncResult | None) -> None:
        self.dismiss(result if result is not None else self.result)

    # -- drawing --------------------------------------------------------------
    def _show_status(self) -> None:
        status = self.query_one("#status", Static)
        status.remove_class("paused", "cancelling", "failed")
        if self.phase == "failed":
            status.update(f"The run could not start: {self.error}  (esc: back)")
            status.add_class("failed")
        elif self.phase == "done":
            r = self.result
            if r is not None and r.cancelled:
                status.update(f"Cancelled. {r.summary()}")
                status.add_class("cancelling")
            else:
                status.update(f"Done. {r.summary() if r else ''}")
        elif self.cancel_event.is_set():
            status.update("Cancelling… files in flight stop at their next chunk; temporary files are removed.")
            status.add_class("cancelling")
        elif self.pause_event.is_set():
            status.update("Paused: workers wait between chunks and files. Press space to resume, esc to stop.")
            status.add_class("paused")
        else:
            status.update("Running…  space: pause   esc: stop (asks first)")

    def on_run_screen_progress_update(self, message: ProgressUpdate) -> None:
        self.progress_updates += 1
        p = message.progress
        if self.last_progress is None or p.bytes_done != self.last_progress.bytes_done:
            self._moved_at = time.monotonic()
        self.last_progress = p
        self._last_progress_at = time.monotonic()
        overall = self.query_one("#overall", ProgressBar)
        total = max(p.bytes_total, 1)
        overall.update(total=total, progress=min(p.bytes_done, total))
        self._show_stats(p)
        self.query_one(ThroughputChart).sample(p.elapsed, p.bytes_done, human_rate)
        self._show_in_flight(p.in_flight)
        if p.last_error and p.last_error not in self._errors_seen:
            self._errors_seen.add(p.last_error)
            self.query_one("#errors-title").display = True
            log = self.query_one("#errors", Log)
            log.display = True
            log.write_line(p.last_error)
        if self.phase == "running":
            self._show_status()

    def _tick_stats(self) -> None:
        """When no progress arrived for a while, the rate falls and the line says what we wait for."""
        p = self.last_progress
        if self.phase != "running" or p is None or p.finished or self.pause_event.is_set():
            return
        late = time.monotonic() - self._last_progress_at
        if late >= 1.0:
            self._show_stats(p, late)

    def _show_stats(self, p: Progress, late: float = 0.0) -> None:
        """The stats line; ``late`` is how long ago ``p`` arrived (0 when it just did)."""
        rate = self._recent_rate(p, late)
        idle = time.monotonic() - self._moved_at
        parts = [
            f"{p.files_done:,} / {p.files_total:,} files",
            f"{human_bytes(p.bytes_done)} / {human_bytes(p.bytes_total)}",
            human_rate(p.rate if p.finished else rate),
        ]
        waiting = p.files_total - p.files_done - p.failed
        if p.finished:
            parts.append(f"took {human_duration(p.elapsed)}")
        elif self.pause_event.is_set():
            parts.append("ETA: paused")
        elif p.bytes_total and p.bytes_done >= p.bytes_total and waiting > 0:
            # Every byte is counted but files are not confirmed yet: no "ETA 0.0 s".
            parts.append(f"waiting for the destination to confirm {_count(waiting, 'file')}")
        elif idle >= STALL_AFTER:
            # Nothing moved for a while (a store assembling a big upload, a slow answer): no stale ETA.
            parts.append(f"no bytes for {human_duration(idle)}: waiting for the destination")
        elif rate > 0:
            parts.append(f"ETA {human_duration(max(0.0, (p.bytes_total - p.bytes_done) / rate))}")
        if p.deletes_total:
            parts.append(f"deleted {p.deleted:,} / {p.deletes_total:,}")
        if p.failed:
            parts.append(f"FAILED {p.failed:,}")
        self.query_one("#stats", Static).update("   ·   ".join(parts))

    def _recent_rate(self, p: Progress, late: float = 0.0) -> float:
        """Bytes per second over the last few seconds (a burst at the start does not set the ETA).

        ``late`` is how long ago ``p`` arrived: its clock runs on, its bytes are not a new sample.
        """
        now = p.elapsed
        samples = self._samples
        if not late:
            samples.append((now, p.bytes_done))
        while len(samples) > 2 and now - samples[0][0] > RATE_WINDOW:
            samples.pop(0)
        t0, b0 = samples[0]
        if now - t0 < 0.5:
            return p.rate
        return max(0.0, (p.bytes_done - b0) / (now - t0))

    def _show_in_flight(self, in_flight: dict[str, tuple[int, int]]) -> None:
        rows = list(self.query(FileRow))
        # Keep a file on the row it already has, so bars do not jump around.
        by_path = {r.path: r for r in rows if r.path is not None}
        for path, row in by_path.items():
            if path not in in_flight:
                row.clear()
        free = [r for r in rows if r.path is None]
        shown = 0
        for path, (done, size) in in_flight.items():
            row = by_path.get(path) if path in by_path and by_path[path].path == path else None
            if row is None:
                if not free:
                    continue
                row = free.pop(0)
            row.show(path, done, size)
            shown += 1
        hidden = len(in_flight) - shown
        self.query_one("#more", Static).update(f"… and {hidden:,} more in flight" if hidden > 0 else "")
