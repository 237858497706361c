"""The main screen of fsspeckit-tui: two trees, the diff preview and its totals.

``create_app(src_fs, src_path, dst_fs, dst_path)`` builds the app on filesystem
instances (tests use memory and local ones); ``run_app(argv)`` parses the command
line, creates filesystems from URLs inside a worker (so a bad URL is a message,
not a traceback) and opens a built-in demo without arguments.

Every fsspec call runs in a thread worker that calls one core function and posts
one message; ``on_worker_state_changed`` is the one place worker errors land.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, Tree
from textual.worker import Worker, WorkerState

import fsspeckit
from fsspeckit.exceptions import FsspeckitError
from fsspeckit.filesystem import split_url
from fsspeckit.listing import Listing, list_tree
from fsspeckit.plan import COMPARE_MODES, STRATEGIES, Plan, SyncOptions, path_filter
from fsspeckit.sync import plan_sync, url_of

from .widgets.diff_table import DiffTable
from .widgets.index import CATEGORY_LABELS, FILTERS, PlanView, TreeIndex
from .widgets.log_panel import LogPanel
from .widgets.totals import COMPARE_LABELS, STRATEGY_LABELS, DetailBar, TotalsBar
from .widgets.trees import FileTree

__all__ = ["SyncApp", "create_app", "run_app", "build_parser", "Side"]

logger = logging.getLogger(__name__)

#: Compare modes ``c`` cycles through ("always" stays in the command palette).
CYCLED_COMPARE = ("size_mtime", "size", "checksum")
DECISIONS = {
    "exclude": "Excluded",
    "include": "Included",
    "source_wins": "Source wins for",
    "keep_both": "Keeping both versions of",
    "keep": "Keeping the destination of",
    "delete": "Deleting",
}
DEFAULT_PLAN_FILE = "fsspeckit-plan.json"


def describe(exc: BaseException) -> str:
    """One sentence for an error, without a traceback."""
    text = str(exc).strip()
    if isinstance(exc, FsspeckitError) and text:
        return text
    if isinstance(exc, PermissionError):
        return f"Access denied: {text or 'no permission'}. Check the credentials and their permissions."
    if isinstance(exc, FileNotFoundError):
        return f"Not found: {text or exc.filename}."
    if isinstance(exc, (ValueError, OSError, ImportError)) and text:
        return text if text.endswith(".") else text + "."
    name = type(exc).__name__
    if "Credential" in name:
        return f"No usable credentials ({name}): set them in the environment or pass them with --src-option/--dst-option."
    return f"{name}: {text}" if text else name


@dataclass
class Side:
    """Where one side of the sync points, and what was listed there."""

    role: str  # "source" | "destination"
    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)
    fs: Any = None  # created from ``url`` in a worker when None
    path: str = ""
    label: str | None = None
    listing: Listing | None = None
    index: TreeIndex | None = None

    @property
    def title(self) -> str:
        return self.label or self.url


class SyncApp(App[None]):
    """Preview, adjust and run a sync between two filesystems."""

    CSS_PATH = "app.tcss"
    TITLE = "fsspeckit-tui"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("s", "run_sync", "Sync"),
        Binding("t", "cycle_strategy", "Strategy"),
        Binding("c", "cycle_compare", "Compare"),
        Binding("d", "toggle_delete", "Deletions"),
        Binding("f", "cycle_filter", "Filter"),
        Binding("x", "decide('exclude')", "Exclude"),
        Binding("i", "decide('include')", "Include"),
        Binding("u", "decide('source_wins')", "Source wins", show=False),
        Binding("b", "decide('keep_both')", "Keep both", show=False),
        Binding("k", "decide('keep')", "Keep dst", show=False),
        Binding("delete", "decide('delete')", "Delete file", show=False),
        Binding("z", "undo_overrides", "Undo changes", show=False),
        Binding("w", "save_plan", "Save"),
        Binding("o", "open_plan", "Open"),
        Binding("p", "partitions", "Partitions"),
        Binding("l", "layout", "Layout", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("e", "locations", "Locations", show=False),
        Binding("a", "toggle_link", "Link trees", show=False),
        Binding("g", "toggle_log", "Log", show=False),
    ]

    # -- messages posted by the workers -----------------------------------------------
    class SideListed(Message):
        """One side was listed (and its filesystem created if needed)."""

        def __init__(self, role: str, fs: Any, listing: Listing, index: TreeIndex):
            super().__init__()
            self.role, self.fs, self.listing, self.index = role, fs, listing, index

    class PlanComputed(Message):
        """A plan (new, changed by hand, or loaded) with its view; trees narrowed when given."""

        def __init__(self, plan: Plan, base: Plan, view: PlanView, note: str = "", *,
                     indexes: tuple[TreeIndex, TreeIndex] | None = None, severity: str = "information",
                     loaded: bool = False, tell: bool = False):
            super().__init__()
            self.tell = tell
            self.plan, self.base, self.view, self.note, self.indexes, self.severity = plan, base, view, note, indexes, severity
            self.loaded = loaded

    class PlanSaved(Message):
        def __init__(self, path: str, count: int):
            super().__init__()
            self.path, self.count = path, count

    def __init__(self, src: Side, dst: Side, *, options: SyncOptions | None = None, demo: bool = False,
                 scheduler: str | None = None, clock: Callable[[], datetime] | None = None,
                 plan_file: str = DEFAULT_PLAN_FILE):
        super().__init__()
        self.sides = {"source": src, "destination": dst}
        self.options = options or SyncOptions(delete=False)
        self.demo = demo
        #: Address of a distributed scheduler to run transfers on (wired by the run screen).
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
            self._tree(role).show_message(f"Listing {side.title} …", style="italic")
            self.run_worker(lambda role=role: self._list_side(role), name=f"list {role}", group=f"list-{role}",
                            thread=True, exclusive=True, exit_on_error=False)
        self.view = None
        self.busy = "listing…"
        self._show_plan()

    def _list_side(self, role: str) -> None:
        side = self.sides[role]
        fs = side.fs if side.fs is not None else fsspeckit.filesystem(side.url, side.storage_options)
        listing = list_tree(fs, side.path, role=role)
        self.post_message(self.SideListed(role, fs, listing, TreeIndex.build(listing)))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="plan")
    def compute_plan(self, options: SyncOptions, overrides: list, narrow: bool) -> None:
        src, dst = self.sides["source"], self.sides["destination"]
        t0 = time.perf_counter()
        base = plan_sync(src.fs, dst.fs, src.path, dst.path, listings=(src.listing, dst.listing),
                         delete=options.delete, compare=options.compare, strategy=options.strategy,
                         include=options.include, exclude=options.exclude, modified_after=options.modified_after,
                         partitions=options.partitions)
        plan = base
        for paths, decision in overrides:
            plan = plan.override(list(paths), decision)
        indexes = None
        if narrow:
            keep = path_filter(SyncOptions(partitions=options.partitions)) if options.partitions else None
            indexes = (TreeIndex.build(src.listing, keep), TreeIndex.build(dst.listing, keep))
        note = f"Planned {len(plan):,} files in {time.perf_counter() - t0:.1f} s: {plan.summary()}."
        self.post_message(self.PlanComputed(plan, base, PlanView(plan), note, indexes=indexes))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="override")
    def apply_override(self, plan: Plan, base: Plan, paths: tuple[str, ...], decision: str) -> None:
        new = plan.override(list(paths), decision)
        changed = sum(1 for a, b in zip(plan.actions, new.actions) if a is not b)
        what = paths[0] if len(paths) == 1 else f"{len(paths)} paths"
        if changed:
            note = f"{DECISIONS[decision]} {what or 'everything'}: {changed:,} file{'s' if changed != 1 else ''} changed."
            severity = "information"
        else:
            note = f"Nothing changed: '{decision.replace('_', ' ')}' does not apply to {what or 'everything'}."
            severity = "warning"
        self.post_message(self.PlanComputed(new, base, PlanView(new), note, severity=severity, tell=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", name="open plan")
    def open_plan(self, path: str) -> None:
        plan = Plan.load(path)
        note = f"Opened {path}: {len(plan):,} actions, {plan.summary()}."
        src, dst = self.sides["source"].listing, self.sides["destination"].listing
        severity = "information"
        if src is not None and (plan.src_root != src.root or (dst is not None and plan.dst_root != dst.root)):
            note += f" It was made for {plan.src_url or plan.src_root} → {plan.dst_url or plan.dst_root}, not the locations shown."
            severity = "warning"
        self.post_message(self.PlanComputed(plan, plan, PlanView(plan), note, severity=severity, loaded=True, tell=True))

    @work(thread=True, exclusive=True, exit_on_error=False, group="save", name="save plan")
    def save_plan(self, plan: Plan, path: str) -> None:
        plan.save(path)
        self.post_message(self.PlanSaved(path, len(plan)))

    # -- results -------------------------------------------------------------------------------
    def on_sync_app_side_listed(self, message: SideListed) -> None:
        side = self.sides[message.role]
        side.fs, side.listing, side.index = message.fs, message.listing, message.index
        self._set_error(f"list {message.role}", None)
        if side.label is None:
            try:
                side.label = url_of(side.fs, side.path)
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
        logger.error("%s failed: %s", worker.name, exc, exc_info=exc)
        text = describe(exc)
        stage = worker.name
        if stage.startswith("list "):
            role = stage.split(" ", 1)[1]
            self._tree(role).show_message(f"⚠ {text}", style="bold red")
            text = f"Could not open the {role} {self.sides[role].title}: {text}"
            self.busy = "fix the location (press e) or refresh (r)"
            self._show_plan()
        elif stage in ("plan", "override"):
            self.busy = None
            text = f"Could not plan: {text}"
            self._show_plan()
        else:
            text = f"Could not {stage}: {text}"
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
        self._show_detail(table.current_path())
        self.query_one(TotalsBar).show(view, self.options, filter_name=self.filter_name, busy=self.busy)

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
        self.query_one(TotalsBar).show(self.view, self.options, filter_name=self.filter_name, busy=self.busy)
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
        from .screens.location import PathScreen

        def done(path: str | None) -> None:
            if path:
                self.plan_file = path
                self.save_plan(self.view.plan, path)

        self.push_screen(PathScreen("Save the plan as JSON", self.plan_file,
                                    "A local file; open it again with o, or apply it with `fsspeckit-tui apply`."), done)

    def action_open_plan(self) -> None:
        from .screens.location import PathScreen

        def done(path: str | None) -> None:
            if path:
                self.plan_file = path
                self.overrides.clear()
                self.busy = "opening the plan…"
                self.open_plan(path)

        self.push_screen(PathScreen("Open a saved plan", self.plan_file), done)

    def action_locations(self) -> None:
        from .screens.location import LocationScreen

        src, dst = self.sides["source"], self.sides["destination"]

        def done(result: tuple[str, str] | None) -> None:
            if not result:
                return
            changed = []
            for side, url in zip((src, dst), result):
                if url != side.title:
                    old_protocol = split_url(side.url)[0] if side.url else None
                    new_protocol = split_url(url)[0]
                    if old_protocol != new_protocol:
                        side.storage_options = {}
                    side.url, side.fs, side.path, side.label = url, None, "", None
                    changed.append(side.role)
            if changed:
                self.overrides.clear()
                self._update_subtitle()
                for role in changed:
                    self._tree(role).border_title = f"{role.capitalize()}: {self.sides[role].title}"
                    self._set_error(f"list {role}", None)
                self.load_sides(*changed)

        self.push_screen(LocationScreen(src.title, dst.title), done)

    # -- actions: other screens ------------------------------------------------------------------------
    def action_help(self) -> None:
        from .screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_partitions(self) -> None:
        src, dst = self.sides["source"].listing, self.sides["destination"].listing
        if src is None or dst is None:
            self.notify("Wait for both sides to be listed.", severity="warning")
            return
        try:
            from .screens.partitions import PartitionScreen
        except ImportError:
            self.notify("The partition picker is not available in this version.", severity="warning")
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
        try:
            from .screens.layout import LayoutScreen
        except ImportError:
            self.notify("The partition layout view is not available in this version.", severity="warning")
            return
        self.push_screen(LayoutScreen(side.listing, f"{role.capitalize()}: {side.title}"))

    def action_run_sync(self) -> None:
        if self.view is None:
            self.notify("There is no plan to run yet.", severity="warning")
            return
        try:
            from .screens.run import RunScreen
        except ImportError:
            self.notify("Running a sync from the app is not available in this version.", severity="warning")
            return
        src, dst = self.sides["source"], self.sides["destination"]

        def done(result) -> None:
            if result is not None:
                self.overrides.clear()
                self.load_sides()

        self.push_screen(RunScreen(self.view.plan, src.fs, dst.fs, {}), done)

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
        if screen is not self.screen or screen is not self.screen_stack[0]:
            return
        yield SystemCommand("Run the sync", "Confirm, then apply the plan with live progress (s)", self.action_run_sync)
        yield SystemCommand("Refresh listings", "List both sides again and re-plan (r)", self.action_refresh)
        yield SystemCommand("Toggle deletions", "Delete files only in the destination, or keep them (d)", self.action_toggle_delete)
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
        yield SystemCommand("Undo changes by hand", "Back to the computed plan (z)", self.action_undo_overrides)
        yield SystemCommand("Save plan", "Write the plan to a JSON file (w)", self.action_save_plan)
        yield SystemCommand("Open plan", "Load a plan saved earlier (o)", self.action_open_plan)
        yield SystemCommand("Choose partitions", "Narrow the sync to some partitions (p)", self.action_partitions)
        yield SystemCommand("Partition layout", "Inspect the partitions of the side in focus (l)", self.action_layout)
        yield SystemCommand("Change locations", "Point the source or destination elsewhere (e)", self.action_locations)
        yield SystemCommand("Link trees", "Keep both trees on the same relative path (a)", self.action_toggle_link)
        yield SystemCommand("Show log", "Show or hide the log panel (g)", self.action_toggle_log)
        yield SystemCommand("Help", "Keys and statuses (?)", self.action_help)


# --- construction -------------------------------------------------------------------------------------

def create_app(src_fs, src_path: str = "", dst_fs=None, dst_path: str = "", *, demo: bool = False,
               strategy: str = "source_wins", compare: str = "size_mtime", delete: bool = False,
               partitions: str | None = None, scheduler: str | None = None,
               clock: Callable[[], datetime] | None = None, src_label: str | None = None,
               dst_label: str | None = None, plan_file: str = DEFAULT_PLAN_FILE) -> SyncApp:
    """An app on two filesystem instances (paths relative to them)."""
    options = SyncOptions(strategy=strategy, compare=compare, delete=delete, partitions=partitions)
    src = Side("source", url_of(src_fs, src_path), fs=src_fs, path=src_path, label=src_label)
    dst = Side("destination", url_of(dst_fs, dst_path), fs=dst_fs, path=dst_path, label=dst_label)
    return SyncApp(src, dst, options=options, demo=demo, scheduler=scheduler, clock=clock, plan_file=plan_file)


def _parse_option(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


def _parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object, e.g. '{\"endpoint_url\": \"http://...\"}'")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fsspeckit-tui",
        description="Preview, adjust and run a sync between two filesystems. Without SRC and DST, opens a demo.",
        epilog="Headless commands: fsspeckit-tui plan|apply|check|partitions|remote --help",
    )
    parser.add_argument("src", nargs="?", metavar="SRC", help="source URL or path (s3://bucket/data, gs://b/x, ./in, memory://x)")
    parser.add_argument("dst", nargs="?", metavar="DST", help="destination URL or path")
    parser.add_argument("--src-option", action="append", type=_parse_option, default=[], metavar="KEY=VALUE",
                        help="a storage option of the source (repeatable; values are JSON when they parse)")
    parser.add_argument("--dst-option", action="append", type=_parse_option, default=[], metavar="KEY=VALUE",
                        help="a storage option of the destination (repeatable)")
    parser.add_argument("--src-options", type=_parse_json, default={}, metavar="JSON", help="source storage options as a JSON object")
    parser.add_argument("--dst-options", type=_parse_json, default={}, metavar="JSON", help="destination storage options as a JSON object")
    parser.add_argument("--strategy", choices=STRATEGIES, default="source_wins", help="how conflicts are resolved")
    parser.add_argument("--compare", default="size_mtime", help=f"how files are compared: {', '.join(COMPARE_MODES)}")
    parser.add_argument("--delete", dest="delete", action="store_true", default=False,
                        help="delete files only in the destination (off by default; d toggles it in the app)")
    parser.add_argument("--no-delete", dest="delete", action="store_false", help="keep files only in the destination (default)")
    parser.add_argument("--partitions", default=None, metavar="PREDICATE", help="only these partitions, e.g. \"year>=2024\"")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS", help="a distributed scheduler to run transfers on")
    return parser


def run_app(argv: list[str] | None = None) -> int:
    """Parse the command line and run the app; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.src is None) != (args.dst is None):
        parser.error("give both SRC and DST, or neither for the demo")
    try:
        options = SyncOptions(strategy=args.strategy, compare=args.compare, delete=args.delete, partitions=args.partitions)
    except ValueError as exc:
        parser.error(str(exc))
    if args.src is None:
        from .demo import DEMO_NOW, build_demo

        with tempfile.TemporaryDirectory(prefix="fsspeckit-demo-") as tmp:
            src, dst = build_demo(tmp)
            app = SyncApp(Side("source", str(src), label="demo/source"),
                          Side("destination", str(dst), label="demo/destination"),
                          options=options, demo=True, scheduler=args.scheduler, clock=lambda: DEMO_NOW)
            app.run()
        return app.return_code or 0
    src_opts = {**args.src_options, **dict(args.src_option)}
    dst_opts = {**args.dst_options, **dict(args.dst_option)}
    app = SyncApp(Side("source", args.src, src_opts), Side("destination", args.dst, dst_opts),
                  options=options, scheduler=args.scheduler)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_app())
