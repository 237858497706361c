"""The main screen of fsspeckit-tui: two trees, the diff preview and its totals.

``SyncApp`` shows where each side points, the plan between them and its totals,
and lets the user change decisions before running. Every fsspec call runs in a
thread worker that calls one function of ``tui.planning`` and posts one message;
``on_worker_state_changed`` is the one place worker errors land. Starting the app
(command line, factory, demo) lives in ``tui.launch`` (``create_app``,
``run_app``, ``build_parser``), which imports this module.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree
from textual.worker import Worker, WorkerState

from fsspeckit.backends.filesystem import split_url
from fsspeckit.exceptions import describe_error
from fsspeckit.model.entries import Listing
from fsspeckit.planning.plan import COMPARE_MODES, Plan, SyncOptions

from .planning import (
    CYCLED_COMPARE,
    DEFAULT_PLAN_FILE,
    Side,
    list_side,
    location_label,
    open_saved_plan,
    override_plan,
    plan_sides,
    replay,
)
from .screens.filters import FilterScreen
from .screens.help import HelpScreen
from .screens.layout import LayoutScreen, LayoutSide
from .screens.location import LocationScreen, PathScreen
from .screens.partitions import PartitionScreen
from .screens.peek import peek_target
from .screens.remotes import RemotesScreen
from .screens.run import RunScreen
from .screens.two_way import TwoWayScreen
from .service import STRATEGIES, delete_default
from .widgets.diff_table import DiffTable
from .widgets.index import CATEGORY_LABELS, FILTERS, PlanView, TreeIndex
from .widgets.log_panel import LogPanel
from .widgets.totals import COMPARE_LABELS, STRATEGY_LABELS, DetailBar, TotalsBar
from .widgets.trees import FileTree

__all__ = ["Side", "SyncApp"]

logger = logging.getLogger(__name__)


class SyncApp(App[None]):
    """Preview, adjust and run a sync between two filesystems."""

    CSS_PATH = "app.tcss"
    TITLE = "fsspeckit-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("f10", "quit", "Quit", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
        Binding("s", "run_sync", "Sync"),
        Binding("f5", "run_sync", "Sync", show=False),
        Binding("t", "cycle_strategy", "Strategy"),
        Binding("c", "cycle_compare", "Compare"),
        Binding("d", "toggle_delete", "Deletions"),
        Binding("R", "toggle_renames", "Track renames", show=False),
        Binding("f", "cycle_filter", "Filter"),
        Binding("F", "edit_filters", "Filter rules", show=False),
        Binding("x", "decide('exclude')", "Exclude"),
        Binding("i", "decide('include')", "Include"),
        Binding("u", "decide('source_wins')", "Source wins", show=False),
        Binding("b", "decide('keep_both')", "Keep both", show=False),
        Binding("k", "decide('keep')", "Keep dst", show=False),
        Binding("delete", "decide('delete')", "Delete file", show=False),
        Binding("f8", "decide('delete')", "Delete file", show=False),
        Binding("z", "undo_overrides", "Undo last change", show=False),
        Binding("w", "save_plan", "Save"),
        Binding("o", "open_plan", "Open"),
        Binding("p", "partitions", "Partitions"),
        Binding("l", "layout", "Layout", show=False),
        Binding("v", "peek", "Look inside", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("e", "locations", "Locations", show=False),
        Binding("m", "remotes", "Remotes", show=False),
        Binding("a", "toggle_link", "Link trees", show=False),
        Binding("g", "toggle_log", "Log", show=False),
        Binding("2", "two_way", "Two-way", show=False),
    ]

    #: Keys of the main screen that act on the plan: never live beneath a pushed screen.
    #: Everything else (Tab and shift+Tab, the palette, quit, help) works on every screen.
    _MAIN_SCREEN_ACTIONS = frozenset(b.action.split("(", 1)[0] for b in BINDINGS) - {"quit", "help"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Plan keys act on the main screen only, never beneath a pushed screen."""
        if len(self.screen_stack) > 1 and action in self._MAIN_SCREEN_ACTIONS:
            return False
        return True

    # -- messages posted by the workers -----------------------------------------------
    class SideListed(Message):
        """One side was listed (and its filesystem created if needed)."""

        def __init__(self, role: str, fs: Any, listing: Listing, index: TreeIndex, path: str | None = None):
            super().__init__()
            self.role, self.fs, self.listing, self.index = role, fs, listing, index
            #: The path under ``fs`` (from ``remote:path``); None keeps the side's own.
            self.path = path

    class PlanComputed(Message):
        """A plan (new, changed by hand, or loaded) with its view; trees narrowed when given."""

        def __init__(self, plan: Plan, base: Plan, view: PlanView, note: str = "", *,
                     indexes: tuple[TreeIndex, TreeIndex] | None = None, severity: str = "information",
                     loaded: bool = False, tell: bool = False):
            super().__init__()
            self.tell = tell
            self.plan, self.base, self.view, self.note, self.indexes, self.severity = plan, base, view, note, indexes, severity
            self.loaded = loaded

    class Working(Message):
        """How far a listing or a planning has got (absolute counts; a newer one replaces a queued one)."""

        def __init__(self, stage: str, done: int, total: int | None = None):
            super().__init__()
            self.stage, self.done, self.total = stage, done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SyncApp.Working) and message.stage == self.stage

    class PlanSaved(Message):
        def __init__(self, path: str, count: int):
            super().__init__()
            self.path, self.count = path, count

    def __init__(self, src: Side, dst: Side, *, options: SyncOptions | None = None, demo: bool = False,
                 scheduler: str | None = None, clock: Callable[[], datetime] | None = None,
                 plan_file: str = DEFAULT_PLAN_FILE, two_way: bool = False, state_dir: str | None = None):
        super().__init__()
        #: Open in two-way mode; where its state of the last sync is kept (None: the user's data folder).
        self.two_way, self.state_dir = two_way, state_dir
        self.sides = {"source": src, "destination": dst}
        self.options = options or SyncOptions(delete=delete_default("app"))
        self.demo = demo
        #: Address of a Dask scheduler: when set, runs apply the plan on that cluster.
        self.scheduler = scheduler
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.plan_file = plan_file
        self.view: PlanView | None = None
        self.base_plan: Plan | None = None
        self.overrides: list[tuple[tuple[str, ...], str]] = []
        self.filter_name = "all"
        self.linked = False
        self.errors: dict[str, str] = {}
        self.busy: str | None = None
        #: Files found so far by the listings still running, per side.
        self._found: dict[str, int] = {}

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="banner")
        with Horizontal(id="trees"):
            yield FileTree("source", id="src-tree", clock=self.clock)
            yield FileTree("destination", id="dst-tree", clock=self.clock)
        yield DiffTable(id="diff")
        yield DetailBar(id="detail")
        yield TotalsBar(id="totals")
        yield LogPanel(id="log")
        yield Footer()

    def on_mount(self) -> None:
        if self.demo:
            self.title = "fsspeckit-tui · DEMO"
        self._update_subtitle()
        self.query_one("#log").display = False
        self._tree("source").border_title = f"Source: {self.sides['source'].title}"
        self._tree("destination").border_title = f"Destination: {self.sides['destination'].title}"
        self._render_banner()
        self.load_sides()
        self.query_one(DiffTable).focus()
        if self.two_way:
            self.call_after_refresh(self.action_two_way)

    def _update_subtitle(self) -> None:
        arrow = f"{self.sides['source'].title}  →  {self.sides['destination'].title}"
        if self.demo:
            self.sub_title = arrow + "  (temporary sample files)"
        else:
            self.sub_title = arrow

    def _tree(self, role: str) -> FileTree:
        return self.query_one("#src-tree" if role == "source" else "#dst-tree", FileTree)

    # -- workers: thin adapters, one core call, one message -------------------------------
    def load_sides(self, *roles: str) -> None:
        """List the given sides (both by default) again, then re-plan."""
        for role in roles or ("source", "destination"):
            side = self.sides[role]
            side.listing = None
            side.index = None
            side.hashed = None
            self._tree(role).show_message(f"Listing {side.title} …", style="italic")
            self.run_worker(lambda role=role: self._list_side(role), name=f"list {role}", group=f"list-{role}",
                            thread=True, exclusive=True, exit_on_error=False)
        self.view = None
        self.busy = "listing…"
        self._show_plan()

    def _list_side(self, role: str) -> None:
        def found(n: int) -> None:  # from the listing's thread, about 4 times a second
            self.post_message(self.Working(f"list {role}", n))

        fs, path, listing, index = list_side(self.sides[role], progress=found)
        self.post_message(self.SideListed(role, fs, listing, index, path=path))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="plan")
    def compute_plan(self, options: SyncOptions, overrides: list, narrow: bool) -> None:
        last = [0.0]

        def hashed(done: int, total: int) -> None:  # from the hashing threads' collector
            now = time.monotonic()
            if now - last[0] >= 0.25 or done == total:
                last[0] = now
                self.post_message(self.Working("hash", done, total))

        plan, base, view, note, indexes = plan_sides(self.sides["source"], self.sides["destination"],
                                                     options, overrides, narrow, progress=hashed)
        self.post_message(self.PlanComputed(plan, base, view, note, indexes=indexes))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="override")
    def apply_override(self, plan: Plan, base: Plan, paths: tuple[str, ...], decision: str) -> None:
        new, view, note, severity = override_plan(plan, paths, decision)
        self.post_message(self.PlanComputed(new, base, view, note, severity=severity, tell=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="undo")
    def replay_overrides(self, base: Plan, overrides: list, note: str) -> None:
        plan = replay(base, overrides)
        self.post_message(self.PlanComputed(plan, base, PlanView(plan), note, tell=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="open plan")
    def open_plan(self, path: str) -> None:
        plan, view, note, severity = open_saved_plan(path, self.sides["source"], self.sides["destination"])
        self.post_message(self.PlanComputed(plan, plan, view, note, severity=severity, loaded=True, tell=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="save", name="save plan")
    def save_plan(self, plan: Plan, path: str) -> None:
        plan.save(path)
        self.post_message(self.PlanSaved(path, len(plan)))

    # -- results -------------------------------------------------------------------------------
    def on_sync_app_working(self, message: Working) -> None:
        if message.stage.startswith("list "):
            role = message.stage.split(" ", 1)[1]
            side = self.sides[role]
            if side.listing is not None:
                return  # a late count of a listing already shown
            self._tree(role).show_message(f"Listing {side.title} … {message.done:,} files so far", style="italic")
            self._found[role] = message.done
            counts = [f"{r} {self._found[r]:,}" for r in ("source", "destination") if r in self._found]
            self.busy = "listing… files found: " + ", ".join(counts)
        elif message.stage == "hash" and self.busy is not None:
            self.busy = f"planning: hashing for the checksum compare, {message.done:,} / {message.total:,} files"
        else:
            return
        self.query_one(TotalsBar).show(self.view, self.options, filter_name=self.filter_name, busy=self.busy,
                                       cluster=self.scheduler)

    def on_sync_app_side_listed(self, message: SideListed) -> None:
        side = self.sides[message.role]
        side.fs, side.listing, side.index = message.fs, message.listing, message.index
        side.hashed = None
        self._found.pop(message.role, None)
        if message.path is not None:
            side.path = message.path
        self._set_error(f"list {message.role}", None)
        if side.label is None:
            try:
                side.label = location_label(side.url, side.fs, side.path)
            except Exception:  # noqa: BLE001 - a label is cosmetic
                pass
        tree = self._tree(message.role)
        tree.border_title = f"{message.role.capitalize()}: {side.title}"
        tree.show_index(message.index, message.role.upper())
        if message.role == "source" and not message.listing.exists:
            self._set_error("list source", f"The source {side.title} does not exist: check the path (press e to change it).")
        if message.listing.skipped:
            logger.warning("%s: %d keys skipped (folder markers or '//' keys)", message.role, len(message.listing.skipped))
        self._replan(narrow=bool(self.options.partitions))

    def on_sync_app_plan_computed(self, message: PlanComputed) -> None:
        if message.loaded:
            self.options = message.plan.options
        elif message.plan.options != self.options:
            return  # computed with options changed since: a newer plan is on its way
        self.busy = None
        self.base_plan = message.base
        self.view = message.view
        if message.indexes is not None:
            for role, index in zip(("source", "destination"), message.indexes):
                self.sides[role].index = index
                self._tree(role).show_index(index, role.upper())
        self._set_error("plan", None)
        self._show_plan()
        if message.note:
            logger.info(message.note)
            if message.severity != "information" or message.tell:
                self.notify(message.note, severity=message.severity, timeout=5)

    def on_sync_app_plan_saved(self, message: PlanSaved) -> None:
        note = f"Saved the plan ({message.count:,} actions) to {message.path}."
        logger.info(note)
        self.notify(note, timeout=6)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        exc = worker.error
        text = describe_error(exc)
        stage = worker.name
        # One sentence in the log panel; the traceback only at debug level (never shown in the panel).
        logger.debug("%s failed", stage, exc_info=exc)
        if stage.startswith("list "):
            role = stage.split(" ", 1)[1]
            self._tree(role).show_message(f"⚠ {text}", style="bold red")
            if not text.startswith("Could not"):
                text = f"Could not open the {role} {self.sides[role].title}: {text}"
            self.busy = "fix the location (press e) or refresh (r)"
            self._show_plan()
        elif stage in ("plan", "override", "undo"):
            self.busy = None
            text = f"Could not plan: {text}"
            self._show_plan()
        elif stage == "open plan":
            self.busy = None
            text = f"Could not open the plan {self.plan_file}: {text}"
            self._show_plan()
        elif stage == "save plan":
            text = f"Could not save the plan to {self.plan_file}: {text}"
        else:
            text = f"Could not {stage}: {text}"
        logger.error("%s", text)
        self._set_error(stage, text)
        self.notify(text, severity="error", timeout=10)

    # -- drawing --------------------------------------------------------------------------------
    def _set_error(self, stage: str, text: str | None) -> None:
        if text is None:
            self.errors.pop(stage, None)
        else:
            self.errors[stage] = text
        self._render_banner()

    def _render_banner(self) -> None:
        banner = self.query_one("#banner", Static)
        if self.errors:
            banner.update("\n".join(f"⚠ {t}" for t in self.errors.values()))
            banner.set_class(True, "error")
            banner.display = True
        else:
            banner.display = False

    def _show_plan(self, keep_place: bool = True) -> None:
        view = self.view
        table = self.query_one(DiffTable)
        table.show_actions(view.filtered(self.filter_name) if view else (), self.filter_name, keep_place=keep_place)
        for role in ("source", "destination"):
            self._tree(role).show_plan(view)
        self._show_detail(self._target())
        self.query_one(TotalsBar).show(view, self.options, filter_name=self.filter_name, busy=self.busy,
                                       cluster=self.scheduler)

    def _show_detail(self, path: str | None) -> None:
        view = self.view
        src, dst = self.sides["source"].listing, self.sides["destination"].listing
        self.query_one(DetailBar).show(
            path, view.by_path.get(path) if view and path is not None else None,
            src.entries.get(path) if src and path else None, dst.entries.get(path) if dst and path else None,
            self.clock())

    def _replan(self, narrow: bool = False) -> None:
        if any(s.listing is None for s in self.sides.values()):
            return
        self.busy = "planning…"
        self.query_one(TotalsBar).show(self.view, self.options, filter_name=self.filter_name, busy=self.busy,
                                       cluster=self.scheduler)
        self.compute_plan(self.options, list(self.overrides), narrow)

    # -- actions: plan options -----------------------------------------------------------------
    def _set_options(self, note: str, **changes: Any) -> None:
        self.options = replace(self.options, **changes)
        self.notify(note + (" Your changes by hand are kept." if self.overrides else ""), timeout=4)
        self._replan()

    def action_cycle_strategy(self) -> None:
        strategy = STRATEGIES[(STRATEGIES.index(self.options.strategy) + 1) % len(STRATEGIES)]
        self.action_set_strategy(strategy)

    def action_set_strategy(self, strategy: str) -> None:
        self._set_options(f"Strategy: {STRATEGY_LABELS[strategy]}.", strategy=strategy)

    def action_cycle_compare(self) -> None:
        current = self.options.compare
        i = CYCLED_COMPARE.index(current) if current in CYCLED_COMPARE else -1
        self.action_set_compare(CYCLED_COMPARE[(i + 1) % len(CYCLED_COMPARE)])

    def action_set_compare(self, compare: str) -> None:
        extra = " Hashing files that need it…" if compare == "checksum" else ""
        self._set_options(f"Compare: {COMPARE_LABELS[compare]}.{extra}", compare=compare)

    def action_toggle_delete(self) -> None:
        on = not self.options.delete
        note = ("Deletions ON: files only in the destination will be deleted." if on
                else "Deletions OFF: files only in the destination are kept.")
        self._set_options(note, delete=on)

    def action_toggle_renames(self) -> None:
        on = not self.options.track_renames
        note = ("Track renames ON: a file moved on the source is moved on the destination (needs deletions on)."
                if on else "Track renames OFF: a moved file is copied again and its old copy deleted.")
        self._set_options(note, track_renames=on)

    def action_edit_filters(self) -> None:
        """Open the filter editor (rclone rules, size and age limits); applying re-plans."""
        def done(result: tuple | None) -> None:
            if result is None or result[1] == self.options.filters:
                return
            filters = result[1]
            note = "Filters cleared." if filters is None else f"Filters: {len(filters.rules)} rules" + (
                ", size/age limits" if filters.limits_test() else "") + (
                ", deleting excluded files" if filters.delete_excluded else "") + "."
            self._set_options(note, filters=filters)

        self.push_screen(FilterScreen(self.options.filters), done)

    def action_cycle_filter(self) -> None:
        self.action_set_filter(FILTERS[(FILTERS.index(self.filter_name) + 1) % len(FILTERS)])

    def action_set_filter(self, name: str) -> None:
        self.filter_name = name
        self._show_plan(keep_place=False)

    def action_refresh(self) -> None:
        self.load_sides()

    # -- actions: decisions by hand ---------------------------------------------------------------
    def _target(self) -> str | None:
        """The path the cursor is on: a table row, or a tree's file or folder."""
        focused = self.focused
        if isinstance(focused, FileTree):
            data = focused.selected()
            return data.path if data is not None else None
        return self.query_one(DiffTable).current_path()

    def action_decide(self, decision: str) -> None:
        if self.view is None:
            self.notify("There is no plan yet: wait for the listing to finish.", severity="warning")
            return
        target = self._target()
        if target is None:
            self.notify("Select a row in the table or a file or folder in a tree first.", severity="warning")
            return
        self.overrides.append(((target,), decision))
        self.busy = "applying your change…"
        self.apply_override(self.view.plan, self.base_plan or self.view.plan, (target,), decision)

    def action_undo_overrides(self) -> None:
        """Undo the last change made by hand (one step; the palette has "undo every change")."""
        if not self.overrides or self.base_plan is None:
            self.notify("Nothing was changed by hand.")
            return
        paths, decision = self.overrides.pop()
        what = paths[0] if len(paths) == 1 else f"{len(paths)} paths"
        self.busy = "undoing…"
        left = len(self.overrides)
        rest = (f"{left} change{'s' if left != 1 else ''} by hand left (z undoes the one before)." if left
                else "no change by hand is left.")
        note = f"Undid '{decision.replace('_', ' ')}' on {what or 'everything'}; {rest}"
        self.replay_overrides(self.base_plan, list(self.overrides), note)

    def action_undo_all(self) -> None:
        if not self.overrides or self.base_plan is None:
            self.notify("Nothing was changed by hand.")
            return
        self.overrides.clear()
        self.view = PlanView(self.base_plan)
        self._show_plan()
        self.notify("Every change made by hand was undone.")

    # -- actions: files ------------------------------------------------------------------------------
    def action_save_plan(self) -> None:
        if self.view is None:
            self.notify("There is no plan to save yet.", severity="warning")
            return
        def done(path: str | None) -> None:
            if path:
                self.plan_file = path
                self.save_plan(self.view.plan, path)

        self.push_screen(PathScreen("Save the plan as JSON", self.plan_file,
                                    "A local file; open it again with o, or apply it with `fsspeckit-tui apply`."), done)

    def action_open_plan(self) -> None:
        def done(path: str | None) -> None:
            if path:
                self.plan_file = path
                self.overrides.clear()
                self.busy = "opening the plan…"
                self.open_plan(path)

        self.push_screen(PathScreen("Open a saved plan", self.plan_file), done)

    def action_locations(self) -> None:
        src, dst = self.sides["source"], self.sides["destination"]

        def done(result: tuple | None) -> None:
            if result:
                src_text, dst_text, src_opts, dst_opts = result
                self.set_locations({"source": src_text, "destination": dst_text},
                                   {"source": src_opts, "destination": dst_opts})

        self.push_screen(LocationScreen(src.url, dst.url, src.storage_options, dst.storage_options), done)

    def set_locations(self, locations: dict[str, str], options: dict[str, dict] | None = None) -> None:
        """Point sides elsewhere (``{role: URL, path or remote:path}``), optionally with new
        storage options per role, then list them again."""
        changed = []
        for role, text in locations.items():
            side = self.sides[role]
            new_options = (options or {}).get(role)
            moved = not (text == side.title or text == side.url)
            if not moved and (new_options is None or new_options == side.storage_options):
                continue
            if new_options is not None:
                side.storage_options = dict(new_options)
            elif _protocol_of(side.url) != _protocol_of(text) or ":" in text and "://" not in text:
                side.storage_options = {}  # options typed for one backend mean nothing to another
            if moved:
                side.url, side.label = text, None
            side.fs, side.path = None, ""
            changed.append(role)
        if changed:
            self.overrides.clear()
            self._update_subtitle()
            for role in changed:
                self._tree(role).border_title = f"{role.capitalize()}: {self.sides[role].title}"
                self._set_error(f"list {role}", None)
            self.load_sides(*changed)

    def action_remotes(self) -> None:
        def done(result: tuple[str, str] | None) -> None:
            if result:
                role, text = result
                self.set_locations({role: text})

        self.push_screen(RemotesScreen(), done)

    async def action_quit(self) -> None:
        """Quit; while a sync runs, ask first and let it stop cleanly before leaving."""
        # a one-way or a two-way run screen (both have ``phase`` and ``ask_to_stop``); importing neither here
        running = [s for s in self.screen_stack if getattr(s, "phase", None) == "running" and hasattr(s, "ask_to_stop")]
        if running:
            running[-1].ask_to_stop(then_quit=True)
            return
        self.exit()

    # -- actions: other screens ------------------------------------------------------------------------
    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_partitions(self) -> None:
        src, dst = self.sides["source"].listing, self.sides["destination"].listing
        if src is None or dst is None:
            self.notify("Wait for both sides to be listed.", severity="warning")
            return

        def done(predicate: str | None) -> None:
            if predicate is None:
                return
            text = predicate.strip() or None
            self.options = replace(self.options, partitions=text)
            self.notify(f"Partitions: {text}." if text else "Partition filter cleared.", timeout=4)
            self._replan(narrow=True)

        self.push_screen(PartitionScreen(src, dst, self.options.partitions), done)

    def action_layout(self) -> None:
        role = "destination" if self.focused is self._tree("destination") else "source"
        side = self.sides[role]
        if side.listing is None:
            self.notify(f"The {role} is not listed yet.", severity="warning")
            return
        other_role = "source" if role == "destination" else "destination"
        other = self.sides[other_role]
        both = LayoutSide(other.listing, f"{other_role.capitalize()}: {other.title}", other.fs) \
            if other.listing is not None else None
        self.push_screen(LayoutScreen(side.listing, f"{role.capitalize()}: {side.title}", fs=side.fs, other=both,
                                      role=role))

    def action_peek(self) -> None:
        """The schema and first rows of the file under the cursor; on a folder, its partition summary."""
        target = self._target()
        if target is None:
            self.notify("Select a file or folder in a tree or the table first.", severity="warning")
            return
        if isinstance(self.focused, FileTree):
            role = "destination" if self.focused is self._tree("destination") else "source"
        else:
            src = self.sides["source"].listing
            role = "source" if src is not None and target in src.entries else "destination"
        side = self.sides[role]
        if side.listing is None:
            self.notify(f"The {role} is not listed yet.", severity="warning")
            return
        screen = peek_target(side.listing, side.fs, target, f"{role.capitalize()}: {side.title}")
        if screen is None:
            self.notify(f"{target} is not on the {role} side.", severity="warning")
            return
        self.push_screen(screen)

    def not_ready(self) -> str | None:
        """Why ``s`` cannot run now (None: the plan on screen is complete and current).

        A run executes exactly the plan on screen, so it waits for every listing,
        planning and change by hand still under way: a plan still shown while a new
        one is computed was made with other options."""
        if self.view is None:
            return "There is no plan to run yet" + (f": {self.busy}" if self.busy else ".")
        if (self.busy is not None or any(s.listing is None for s in self.sides.values())
                or self.view.plan.options != self.options):
            doing = (self.busy or "planning…").rstrip("…. ")
            return f"Not yet: still {doing}. Press s again once the new plan is shown."
        return None

    def action_run_sync(self) -> None:
        why = self.not_ready()
        if why is not None:
            self.notify(why, severity="warning")
            return
        src, dst = self.sides["source"], self.sides["destination"]

        def done(result) -> None:
            if result is not None:
                self.overrides.clear()
                self.load_sides()
            elif run.stale:  # a side changed since the plan: show the new state, decisions kept
                self.load_sides()
                self.notify("A side changed since the plan: both were listed again. Check the new plan, then s.",
                            severity="warning")

        # ``loaded``: both sides are checked again before anything is written, and the run is refused
        # when they changed since this plan was made (the confirmation can stay open for long).
        plan = replace(self.view.plan, loaded=True)
        dst_listing = dst.listing
        run = RunScreen(plan, src.fs, dst.fs, executor=self.scheduler or None,
                        partials=dst_listing.partials if dst_listing is not None else (),
                        where=f"{src.title}  →  {dst.title}")
        self.push_screen(run, done)

    def action_two_way(self) -> None:
        """Two-way mode: both sides' changes since the last sync, conflicts first, decisions by hand."""
        def back(ran: bool | None) -> None:
            if ran:  # both sides changed under the one-way plan: list them again
                self.overrides.clear()
                self.load_sides()

        o = self.options
        self.push_screen(TwoWayScreen(self.sides["source"], self.sides["destination"], include=o.include,
                                      exclude=o.exclude, partitions=o.partitions, state_dir=self.state_dir), back)

    def action_toggle_link(self) -> None:
        self.linked = not self.linked
        if self.linked:
            tree = self.focused if isinstance(self.focused, FileTree) else self._tree("source")
            data = tree.selected()
            if data is not None:
                self._follow(data.path, exclude=tree)
        self.notify("Trees linked: both follow the same path." if self.linked else "Trees unlinked.", timeout=3)

    def action_toggle_log(self) -> None:
        log = self.query_one("#log")
        log.display = not log.display

    # -- linked trees ------------------------------------------------------------------------------
    def _follow(self, path: str, exclude: Any = None) -> None:
        for role in ("source", "destination"):
            tree = self._tree(role)
            if tree is not exclude:
                tree.go_to(path)

    def on_descendant_focus(self, event) -> None:
        """The detail bar shows what the panel in focus points at (what x, i, u... act on)."""
        widget = event.widget
        if isinstance(widget, FileTree):
            data = widget.selected()
            self._show_detail(data.path if data is not None else None)
        elif isinstance(widget, DiffTable):
            self._show_detail(widget.current_path())

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        tree = event.control
        if not isinstance(tree, FileTree) or not tree.has_focus:
            return
        data = event.node.data
        if data is not None:
            self._show_detail(data.path)
            if self.linked:
                self._follow(data.path, exclude=tree)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        self._mirror(event, True)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed) -> None:
        self._mirror(event, False)

    def _mirror(self, event, expanded: bool) -> None:
        tree = event.control
        if self.linked and isinstance(tree, FileTree) and tree.has_focus and event.node.data is not None:
            path = event.node.data.path
            for role in ("source", "destination"):
                other = self._tree(role)
                if other is not tree:
                    other.go_to(path)
                    other.set_expanded(path, expanded)

    def on_diff_table_path_highlighted(self, message: DiffTable.PathHighlighted) -> None:
        self._show_detail(message.path)
        if self.linked and self.query_one(DiffTable).has_focus:
            self._follow(message.path)

    # -- command palette ------------------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        # ``screen`` is the screen the palette was opened on (the palette itself is on top).
        if screen is not self.screen_stack[0]:
            yield from _screen_commands(screen)
            return
        yield SystemCommand("Run the sync", "Confirm, then apply the plan with live progress (s)", self.action_run_sync)
        yield SystemCommand("Two-way sync", "Changes on both sides since the last sync, conflicts first, "
                            "decisions per file or folder (2)", self.action_two_way)
        yield SystemCommand("Refresh listings", "List both sides again and re-plan (r)", self.action_refresh)
        yield SystemCommand("Toggle deletions", "Delete files only in the destination, or keep them (d)", self.action_toggle_delete)
        yield SystemCommand("Toggle track renames", "Move files moved on the source instead of copying them (R)",
                            self.action_toggle_renames)
        for strategy in STRATEGIES:
            yield SystemCommand(f"Strategy: {STRATEGY_LABELS[strategy]}", "How conflicts and changed files are resolved (t cycles)",
                                lambda s=strategy: self.action_set_strategy(s))
        for compare in COMPARE_MODES:
            yield SystemCommand(f"Compare: {COMPARE_LABELS[compare]}", "How files on both sides are compared (c cycles)",
                                lambda c=compare: self.action_set_compare(c))
        for name in FILTERS:
            label = CATEGORY_LABELS.get(name, name)
            yield SystemCommand(f"Filter: {label}", "Rows shown in the diff table (f cycles)", lambda n=name: self.action_set_filter(n))
        for decision, verb in (("exclude", "Exclude"), ("include", "Include"), ("source_wins", "Source wins for"),
                               ("keep_both", "Keep both versions of"), ("keep", "Keep the destination of"),
                               ("delete", "Delete")):
            yield SystemCommand(f"{verb} the selected file or folder", "Change the decision by hand",
                                lambda d=decision: self.action_decide(d))
        yield SystemCommand("Undo the last change by hand", "One step back (z)", self.action_undo_overrides)
        yield SystemCommand("Undo every change by hand", "Back to the computed plan", self.action_undo_all)
        yield SystemCommand("Save plan", "Write the plan to a JSON file (w)", self.action_save_plan)
        yield SystemCommand("Open plan", "Load a plan saved earlier (o)", self.action_open_plan)
        yield SystemCommand("Choose partitions", "Narrow the sync to some partitions (p)", self.action_partitions)
        yield SystemCommand("Partition layout", "Inspect the partitions of the side in focus (l)", self.action_layout)
        yield SystemCommand("Change locations", "Point the source or destination elsewhere (e)", self.action_locations)
        yield SystemCommand("Remotes", "Saved remotes: pick one for a side, add, remove or test one (m)", self.action_remotes)
        yield SystemCommand("Link trees", "Keep both trees on the same relative path (a)", self.action_toggle_link)
        yield SystemCommand("Show log", "Show or hide the log panel (g)", self.action_toggle_log)
        yield SystemCommand("Help", "Keys and statuses (?)", self.action_help)


def _screen_commands(screen: Screen) -> Iterable[SystemCommand]:
    """The keys of a pushed screen (run, report, remotes, partitions...) as palette commands."""
    seen = set()
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding) or not binding.description or binding.action in seen:
            continue
        seen.add(binding.action)
        if screen.check_action(binding.action.split("(", 1)[0], ()) is False:
            continue
        keys = ", ".join(k.strip() for k in binding.key.split(","))
        yield SystemCommand(binding.description, f"On this screen ({keys})",
                            lambda action=binding.action: screen.run_action(action))


def _protocol_of(text: str) -> str | None:
    try:
        return split_url(text)[0] if text else None
    except Exception:  # noqa: BLE001 - an unknown protocol is reported when the side is listed
        return None

