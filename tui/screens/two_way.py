"""Two-way mode: the plan of ``fsspeckit.verbs.bisync`` with decisions by hand, then confirm → run → report.

``TwoWayScreen`` lists both sides and plans in a thread worker (one call of
``plan_bisync``, one message), shows the plan in a ``TwoWayTable`` and takes
decisions per row or per folder, replayed on the plan so undo is one step back.
``TwoWayRunScreen`` confirms what will be written on each side, runs
``bisync(plan=...)`` in a thread worker with live progress, and reports what
was done; the state of the last sync records only what succeeded (the core
writes it per success).
"""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timezone
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from fsspeckit.exceptions import DeleteLimitError, describe_error
from fsspeckit.model.defaults import DEFAULT_WORKERS
from fsspeckit.remotes.profiles import resolve_location
from fsspeckit.verbs.bisync import BisyncPlan, BisyncResult, bisync, plan_bisync

from ..planning import Side
from ..two_way import DECISION_WORDS, TwoWayView, arrow_of, replay, report_text, run_plan
from ..widgets.trees import human_size
from ..widgets.two_way_table import TwoWayTable, row_reason
from . import human_bytes, human_duration
from .location import PathScreen
from .remotes import ConfirmScreen

__all__ = ["TwoWayScreen", "TwoWayRunScreen"]


def _when(epoch: float | None) -> str:
    """A file's time to the second, UTC (conflicts are often minutes apart)."""
    if epoch is None:
        return "no time"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class TwoWayScreen(Screen[bool]):
    """Two-way sync between the app's two sides: left (the source) and right (the destination)."""

    DEFAULT_CSS = """
    TwoWayScreen #tw-title { text-style: bold; padding: 0 1; height: 1; }
    TwoWayScreen #tw-status { padding: 0 1; height: auto; max-height: 3; }
    TwoWayScreen #tw-status.error { color: $error; }
    TwoWayScreen TwoWayTable { height: 1fr; border: round $primary; }
    TwoWayScreen #tw-detail { padding: 0 1; height: 3; color: $text-muted; }
    TwoWayScreen #tw-totals { padding: 0 1; height: auto; max-height: 2; background: $boost; }
    """

    #: Letters mean here what they mean on the one-way screen (s sync, t cycle, b keep both, k keep as is,
    #: i as planned, z undo, r list again); the rest are keys it leaves free (< > space = !).
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("s", "start", "Sync"),
        Binding("f5", "start", "Sync", show=False),
        Binding("less_than_sign", "decide('left')", "Left"),
        Binding("greater_than_sign", "decide('right')", "Right"),
        Binding("t", "decide('cycle')", "Cycle"),
        Binding("b", "decide('keep_both')", "Both", show=False),
        Binding("k", "decide('skip')", "Skip"),
        Binding("space", "decide('flip')", "Flip"),
        Binding("i", "decide('planned')", "As planned", show=False),
        Binding("z", "undo", "Undo"),
        Binding("r", "replan", "List both sides again", show=False),
        Binding("equals_sign", "resync", "Rebuild the state (resync: merge, no deletions)", show=False),
        Binding("exclamation_mark", "force", "Plan again past the deletion guard", show=False),
    ]

    class Planned(Message):
        def __init__(self, plan: BisyncPlan, fss: dict[str, tuple[Any, str]]):
            super().__init__()
            self.plan, self.fss = plan, fss

    class Decided(Message):
        def __init__(self, view: TwoWayView, note: str, generation: int, changed: int, fresh: bool):
            super().__init__()
            self.view, self.note, self.generation = view, note, generation
            #: rows the last decision changed; ``fresh``: that decision was just made (not a replan or an undo)
            self.changed, self.fresh = changed, fresh

    def __init__(self, left: Side, right: Side, *, include=(), exclude=(), partitions: str | None = None,
                 state_dir=None, max_workers: int = DEFAULT_WORKERS):
        super().__init__()
        self.sides = {"left": left, "right": right}
        self.filters = dict(include=tuple(include), exclude=tuple(exclude), partitions=partitions)
        self.state_dir = state_dir
        self.max_workers = max_workers
        self.plan: BisyncPlan | None = None
        self.view: TwoWayView | None = None
        self.decisions: list[tuple[str, str]] = []
        self.fss: dict[str, tuple[Any, str]] = {}
        self.resync = False
        self.force = False
        self.guarded = False
        self._generation = 0
        #: a run wrote something: the one-way screen lists both sides again on the way back
        self.ran = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Two-way:  left {self.sides['left'].title}  ⇄  right {self.sides['right'].title}",
                     id="tw-title", markup=False)
        yield Static("Listing both sides and comparing them with the state of the last sync…", id="tw-status",
                     markup=False)
        yield TwoWayTable(id="tw-table")
        yield Static("", id="tw-detail", markup=False)
        yield Static("", id="tw-totals", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.sub_title = f"{self.sides['left'].title}  ⇄  {self.sides['right'].title}  (two-way)"
        self.query_one(TwoWayTable).focus()
        self.replan()

    # -- the workers ------------------------------------------------------------
    def replan(self) -> None:
        self.plan = self.view = None
        self.query_one("#tw-totals", Static).update("")
        self._status("Listing both sides and comparing them with the state of the last sync…")
        self._plan(self.resync, self.force)

    @work(thread=True, exclusive=True, exit_on_error=False, group="two-way-plan", name="two-way plan")
    def _plan(self, resync: bool, force: bool) -> None:
        fss = {}
        for role, side in self.sides.items():
            fs, path = side.fs, side.path
            if fs is None:
                fs, path = resolve_location(side.url, side.storage_options)
            fss[role] = (fs, path)
        plan = plan_bisync(fss["left"][0], fss["right"][0], fss["left"][1], fss["right"][1], resync=resync,
                           allow_delete_all=force, state_dir=self.state_dir, **self.filters)
        self.post_message(self.Planned(plan, fss))

    @work(thread=True, exclusive=True, exit_on_error=False, group="two-way-decide", name="two-way decide")
    def _replay(self, plan: BisyncPlan, decisions: list, generation: int, note: str | None) -> None:
        rows, last, changed = replay(plan, decisions)
        view = TwoWayView(plan, rows)  # built here: 100,000 paths take about half a second
        view.totals()
        self.post_message(self.Decided(view, note if note is not None else last, generation, changed, note is None))

    def on_two_way_screen_planned(self, message: Planned) -> None:
        self.plan, self.fss = message.plan, message.fss
        self.guarded = False
        self._generation += 1
        self._replay(message.plan, list(self.decisions), self._generation, "")

    def on_two_way_screen_decided(self, message: Decided) -> None:
        if message.generation != self._generation or self.plan is None or message.view.plan is not self.plan:
            return
        if message.fresh and not message.changed and self.decisions:
            self.decisions.pop()  # a decision that changed nothing is not one to undo
        self.view = message.view
        self.query_one(TwoWayTable).show_view(self.view)
        self._show_totals()
        self._status(self._plan_note())
        self._show_detail()
        if message.note:
            self.notify(message.note, timeout=5, severity="warning" if "left as they were" in message.note
                        else "information")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if not event.worker.name.startswith("two-way"):
            return
        event.stop()  # shown here, not as an error of the one-way screen beneath
        if event.state != WorkerState.ERROR:
            return
        exc = event.worker.error
        self.guarded = isinstance(exc, DeleteLimitError)
        hint = "  Press ! to plan past the guard, or esc to go back." if self.guarded else "  (esc: back)"
        self._status(describe_error(exc) + hint, error=True)

    # -- drawing ----------------------------------------------------------------
    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#tw-status", Static)
        status.set_class(error, "error")
        status.update(text)

    def _plan_note(self) -> str:
        plan = self.plan
        if plan.first_run:
            head = ("First run, no state yet: a safe merge (missing files copied each way, paths that "
                    "differ are conflicts, no deletions).")
        else:
            head = "Changes and deletions on either side since the last sync."
        return head + " Nothing is written before s + confirm."

    def _show_totals(self) -> None:
        t = self.view.totals()
        parts = [f"→ {_count(t['left->right'][0], 'file')} ({human_bytes(t['left->right'][1])})",
                 f"← {_count(t['right->left'][0], 'file')} ({human_bytes(t['right->left'][1])})"]
        if t["delete left"][0] or t["delete right"][0]:
            parts.append(f"delete ✕← {t['delete left'][0]:,} on the left, →✕ {t['delete right'][0]:,} on the right")
        if t["conflicts"][0]:
            parts.append(f"⚡ {_count(t['conflicts'][0], 'conflict')}, {t['unresolved'][0]:,} undecided")
        if t["skipped"][0]:
            parts.append(f"· {t['skipped'][0]:,} skipped")
        if self.decisions:
            parts.append(f"✎ {len(self.decisions):,} by hand (z undoes)")
        self.query_one("#tw-totals", Static).update("   ".join(parts))

    def _show_detail(self) -> None:
        line = self.query_one(TwoWayTable).current_line()
        detail = self.query_one("#tw-detail", Static)
        if line is None or self.plan is None:
            detail.update("")
            return
        kind, key, item = line
        if kind == "folder":
            detail.update(f"{key or '(top folder)'}\na key here decides for every file under it\n"
                          "< / > a side wins · space flip · k skip · its conflicts: t cycle, b both")
            return
        L, R = self.plan.listings["left"], self.plan.listings["right"]

        def side(name, listing):
            e = listing.get(key)
            return f"{name} {human_size(e.size)}, {_when(e.mtime)}" if e is not None else f"{name}: absent"

        if kind == "conflict":
            keys = "t: skip→newer→larger→left→right→both · < > a side wins · b both · k skip"
        else:
            keys = "space flips the direction · k skips · < / > that side wins · i as planned"
        width = max(20, detail.size.width - 2)
        lines = [row_reason(item, self.view), f"{side('left', L)}  ·  {side('right', R)}", keys]
        detail.update("\n".join(x if len(x) <= width else x[:width - 1] + "…" for x in lines))

    def on_two_way_table_line_highlighted(self, message: TwoWayTable.LineHighlighted) -> None:
        self._show_detail()

    # -- actions ----------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action == "force":
            return self.guarded
        return True

    def action_decide(self, decision: str) -> None:
        line = self.query_one(TwoWayTable).current_line()
        if self.view is None or line is None:
            self.notify("Nothing to decide yet.", severity="warning")
            return
        kind, key, _ = line
        self.decisions.append((key, decision))
        self._generation += 1
        self._replay(self.plan, list(self.decisions), self._generation, None)

    def action_undo(self) -> None:
        if not self.decisions or self.plan is None:
            self.notify("Nothing was decided by hand.")
            return
        target, decision = self.decisions.pop()
        self._generation += 1
        note = (f"Undid '{DECISION_WORDS[decision]}' on {target or 'everything'}; "
                f"{_count(len(self.decisions), 'decision')} by hand left.")
        self._replay(self.plan, list(self.decisions), self._generation, note)

    def action_replan(self) -> None:
        self.replan()

    def action_resync(self) -> None:
        self.resync = True
        self.decisions.clear()
        self.notify("Rebuilding the state: a safe merge as on a first run (nothing is deleted).", timeout=5)
        self.replan()

    def action_force(self) -> None:
        self.force = True
        self.replan()

    def action_back(self) -> None:
        self.dismiss(self.ran)

    def action_start(self) -> None:
        if self.view is None:
            self.notify("There is no two-way plan to run yet.", severity="warning")
            return
        plan = run_plan(self.plan, self.view.rows)

        def done(result: BisyncResult | None) -> None:
            if result is not None:
                self.ran = True
                self.decisions.clear()
                self.resync = self.force = False
                self.replan()

        where = f"{self.sides['left'].title}  ⇄  {self.sides['right'].title}"
        self.app.push_screen(TwoWayRunScreen(plan, self.view, self.fss, where=where, state_dir=self.state_dir,
                                             max_workers=self.max_workers, **self.filters), done)


class TwoWayRunScreen(Screen[BisyncResult]):
    """Confirm what each side gets, run it with live progress, then report what was done."""

    DEFAULT_CSS = """
    TwoWayRunScreen { padding: 1 2; }
    TwoWayRunScreen #title { text-style: bold; margin-bottom: 1; }
    TwoWayRunScreen .line { height: auto; }
    TwoWayRunScreen .deletes { color: $error; text-style: bold; }
    TwoWayRunScreen .warn { color: $warning; }
    TwoWayRunScreen #confirm-buttons { height: auto; margin-top: 1; }
    TwoWayRunScreen #confirm-buttons Button { margin-right: 2; }
    TwoWayRunScreen #running { display: none; height: 1fr; }
    TwoWayRunScreen #outcomes { height: 1fr; min-height: 4; }
    TwoWayRunScreen #status.bad { color: $error; }
    TwoWayRunScreen #status.good { color: $success; }
    """

    BINDINGS = [
        Binding("enter", "start", "Start"),
        Binding("escape", "back", "Back"),
        Binding("ctrl+s", "export", "Export the report"),
    ]

    class Progress(Message):
        def __init__(self, done: int, total: int, nbytes: int, failed: int):
            super().__init__()
            self.done, self.total, self.nbytes, self.failed = done, total, nbytes, failed

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, TwoWayRunScreen.Progress)

    def __init__(self, plan: BisyncPlan, view: TwoWayView, fss: dict, *, where: str, state_dir=None,
                 max_workers: int = DEFAULT_WORKERS, **filters):
        super().__init__()
        self.plan, self.view, self.fss, self.where = plan, view, fss, where
        self.state_dir, self.max_workers, self.filters = state_dir, max_workers, filters
        self.phase = "confirm"
        self.result: BisyncResult | None = None
        self.error: str | None = None
        self.started = 0.0
        self.cancel_event = threading.Event()
        self.quit_when_stopped = False
        self._stop_question: ConfirmScreen | None = None
        self._worker: Worker | None = None
        t = view.totals()
        self.totals = t
        #: actions that write or delete something (the progress bar's total)
        self.work = sum(1 for r in view.rows if not r.skipped and r.action.kind in ("copy", "delete")) + \
            t["conflicts"][0] - t["unresolved"][0]
        #: paths only recorded in the state (the same on both sides) or forgotten (gone from both)
        self.records = sum(1 for a in plan.actions if a.kind in ("record", "forget"))
        self.startable = bool(self.work or self.records)

    def compose(self) -> ComposeResult:
        t = self.totals
        yield Static(f"Two-way sync  {self.where}", id="title", markup=False)
        with Vertical(id="confirm"):
            yield Static(f"Copy to the right  →  {_count(t['left->right'][0], 'file')}  "
                         f"({human_bytes(t['left->right'][1])})", classes="line", id="to-right")
            yield Static(f"Copy to the left   ←  {_count(t['right->left'][0], 'file')}  "
                         f"({human_bytes(t['right->left'][1])})", classes="line", id="to-left")
            for side, arrow in (("left", "✕←"), ("right", "→✕")):
                n = t[f"delete {side}"][0]
                paths = self.view.deletions(side)
                text = (f"DELETE on the {side} {arrow}  {_count(n, 'file')}: " + ", ".join(paths[:5])
                        + (f" … and {n - 5:,} more" if n > 5 else "")) if n else f"Delete on the {side}  nothing"
                yield Static(text, classes="line deletes" if n else "line", id=f"delete-{side}", markup=False)
            decided = t["conflicts"][0] - t["unresolved"][0]
            if t["conflicts"][0]:
                yield Static(f"Conflicts  ⚡  {decided:,} decided (the chosen version is written to the other side)"
                             f"; {t['unresolved'][0]:,} left as they are on both sides (t decides them)", classes="line warn",
                             id="conflicts", markup=False)
            both = sum(1 for r in self.view.rows if not r.skipped and arrow_of(r, self.plan) == "⚡⇄")
            if both:
                yield Static(f"  of which {both:,} kept both ways: the older version stays beside the newer, on "
                             "both sides, as NAME.conflict-SIDE-TIME.EXT", classes="line", id="keep-both",
                             markup=False)
            if t["skipped"][0]:
                yield Static(f"Skipped by you  {_count(t['skipped'][0], 'file')} (planned again next time)",
                             classes="line", id="skipped")
            same = (f" {_count(self.records, 'path')} the same on both sides (or gone from both) are only "
                    "recorded." if self.records else "")
            yield Static("\nThe state of the last sync records each path as soon as it is done, and only then."
                         f"{same} Nothing is written before you start.", classes="line", markup=False)
            with Horizontal(id="confirm-buttons"):
                label = "Start  (enter)" if self.work else ("Record the state  (enter)" if self.records
                                                            else "Nothing to do")
                yield Button(label, id="start",
                             variant="error" if t["delete left"][0] or t["delete right"][0] else "primary",
                             disabled=not self.startable)
                yield Button("Back  (esc)", id="back")
        with Vertical(id="running"):
            yield Static("Running…  esc: stop (asks first)", id="status", markup=False)
            yield ProgressBar(total=max(self.work, 1), show_eta=False, id="overall")
            yield Static("", id="stats", markup=False)
            yield DataTable(id="outcomes", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        button = self.query_one("#start", Button)
        (button if not button.disabled else self.query_one("#back", Button)).focus()
        self.query_one("#outcomes", DataTable).add_columns("outcome", "action", "path", "why")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "start":
            return self.phase == "confirm" and self.startable
        if action == "export":
            return self.phase == "done"
        return True

    def action_export(self) -> None:
        """Ask for a file name, then write the report there (.csv: CSV, else JSON)."""
        def chosen(path: str | None) -> None:
            if path:
                self.export(path)

        name = time.strftime("fsspeckit-two-way-%Y%m%d-%H%M%S.json")
        self.app.push_screen(PathScreen("Export the two-way report", name, "A local file: .json or .csv."), chosen)

    def export(self, path: str) -> bool:
        path = os.path.abspath(os.path.expanduser(path.strip()))
        if os.path.isdir(path) or not os.path.isdir(os.path.dirname(path)):
            self.notify(f"Cannot write {path}: give a file name in a folder that exists.", severity="error")
            return False
        try:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(report_text(self.plan, self.result, csv_format=path.lower().endswith(".csv")))
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror or exc}.", severity="error")
            return False
        self.notify(f"Saved the report to {path}.", timeout=6)
        return True

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.phase != "confirm" or not self.startable:
            return
        self.phase = "running"
        self.started = time.monotonic()
        self.query_one("#confirm").display = False
        self.query_one("#running").display = True
        self.refresh_bindings()
        self._worker = self._run()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        if self.phase == "confirm":
            self.dismiss(None)
        elif self.phase == "running":
            self.ask_to_stop()
        else:
            self.dismiss(self.result)

    def ask_to_stop(self, then_quit: bool = False) -> None:
        """Ask before stopping a run (esc, or quitting the app while it runs); quit once it stopped if asked."""
        if self.phase != "running":
            if then_quit:
                self.app.exit()
            return
        if self.cancel_event.is_set():
            self.quit_when_stopped = self.quit_when_stopped or then_quit
            return
        def answer(yes: bool | None) -> None:
            if yes and self.phase == "running":
                self.quit_when_stopped = then_quit
                self.cancel_event.set()
                self.query_one("#status", Static).update("Stopping: files in flight finish, nothing new starts, "
                                                         "no deletion runs.")

        verb = "Stop this two-way run and quit?" if then_quit else "Stop this two-way run?"
        self._stop_question = ConfirmScreen(f"{verb} Files in flight finish; what was done stays and is in "
                                            "the state.")
        self.app.push_screen(self._stop_question, answer)

    def _drop_stop_question(self) -> None:
        """The run ended while "Stop it?" was open: the question is moot, take it away."""
        question, self._stop_question = self._stop_question, None
        if question is not None and self.app.screen is question:
            question.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="two-way-run", name="two-way run")
    def _run(self) -> BisyncResult:
        (lfs, lpath), (rfs, rpath) = self.fss["left"], self.fss["right"]
        L, R = self.plan.listings["left"], self.plan.listings["right"]
        counts = {"done": 0, "bytes": 0, "failed": 0}
        last = [0.0]

        def progress(outcomes) -> None:  # in this worker's thread: post, never touch widgets
            for path, what, outcome, _ in outcomes:
                counts["done"] += 1
                counts["failed"] += outcome == "failed"
                if outcome == "done" and what.startswith("copy "):
                    src = L if what == "copy left->right" else R
                    counts["bytes"] += src[path].size if path in src else 0
            now = time.monotonic()
            if now - last[0] >= 0.25:
                last[0] = now
                self.post_message(self.Progress(counts["done"], self.work, counts["bytes"], counts["failed"]))

        return bisync(lfs, rfs, lpath, rpath, plan=self.plan, state_dir=self.state_dir,
                      max_workers=self.max_workers, progress=progress, cancel=self.cancel_event, **self.filters)

    def on_two_way_run_screen_progress(self, message: Progress) -> None:
        if self.phase != "running":
            return
        self.query_one("#overall", ProgressBar).update(total=max(message.total, 1),
                                                         progress=min(message.done, message.total))
        failed = f"   ·   FAILED {message.failed:,}" if message.failed else ""
        self.query_one("#stats", Static).update(f"{message.done:,} / {message.total:,} actions   ·   "
                                                f"{human_bytes(message.nbytes)} copied{failed}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self._worker:
            return
        event.stop()
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self._drop_stop_question()
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED) and self.quit_when_stopped:
            self.app.exit()
            return
        if event.state == WorkerState.SUCCESS:
            self.result = event.worker.result
            self.phase = "done"
            self._report()
        elif event.state == WorkerState.ERROR:
            self.phase = "failed"
            self.error = describe_error(event.worker.error)
            status = self.query_one("#status", Static)
            status.add_class("bad")
            status.update(f"The run could not finish: {self.error}  (esc: back)")
        self.refresh_bindings()

    def on_unmount(self) -> None:
        self.cancel_event.set()  # leaving mid-run stops the core between files

    def _report(self) -> None:
        r = self.result
        status = self.query_one("#status", Static)
        if r.cancelled:
            head, good = "Two-way run stopped", False
        elif r.failed:
            head, good = f"Two-way run finished with {_count(len(r.failed), 'failure')}", False
        else:
            head, good = "Two-way run complete", True
        status.set_class(not good, "bad")
        status.set_class(good, "good")
        took = human_duration(time.monotonic() - self.started)
        n = len(r.conflicts_left)
        left_alone = f" ({_count(n, 'conflict')} left as {'it is' if n == 1 else 'they are'})" if n else ""
        status.update(f"{head} in {took}{left_alone}: {r.summary()}.  esc: back to the plan (listed again), "
                      "ctrl+s: export")
        done = sum(1 for o in r.outcomes if o[2] == "done")
        self.query_one("#overall", ProgressBar).update(total=max(len(r.outcomes), 1), progress=len(r.outcomes))
        left = ("; failed, stopped and undecided paths are not recorded and are planned again next time"
                if not r.ok else "")
        same = f" (and {self.records:,} found the same on both sides)" if self.records and not r.cancelled else ""
        self.query_one("#stats", Static).update(f"The state of the last sync now records the "
                                                f"{_count(done, 'path')} done{same}{left}.")
        table = self.query_one("#outcomes", DataTable)
        table.clear()
        order = {"failed": 0, "cancelled": 1, "skipped": 2, "done": 3}
        for path, what, outcome, why in sorted(r.outcomes, key=lambda o: (order.get(o[2], 4), o[0])):
            what = what.replace("copy left->right", "copy →").replace("copy right->left", "copy ←")
            if what == "conflict" and outcome == "skipped":
                outcome, why = "left as is", f"undecided conflict: {why}"
            table.add_row(outcome, what, path, why or "")
