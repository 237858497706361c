"""The totals bar: files and bytes per action, and the options the plan used.

Always visible under the diff table, so a decision changed anywhere shows its
effect at once; deletions are spelled out in red.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from fsspeckit.model.entries import Entry
from fsspeckit.planning.plan import Action, SyncOptions

from .index import CATEGORY_LABELS, PlanView
from .trees import human_size, human_time, status_text

__all__ = ["TotalsBar", "DetailBar", "STRATEGY_LABELS", "COMPARE_LABELS"]

STRATEGY_LABELS = {
    "source_wins": "source wins",
    "newer": "newer wins",
    "larger": "larger wins",
    "skip": "skip conflicts",
    "keep_both": "keep both",
}
COMPARE_LABELS = {"size_mtime": "size + mtime", "size": "size only", "checksum": "checksum", "always": "always copy"}


class TotalsBar(Static):
    """Two lines: what the plan will do, and with which options.

    Each line has a long and a short form; the longest that fits the width is
    drawn (again on every resize), so neither line wraps and the options line
    never drops out of sight on a small terminal.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._last: tuple | None = None

    def show(self, view: PlanView | None, options: SyncOptions, *, filter_name: str = "all",
             busy: str | None = None, cluster: str | None = None) -> None:
        self._last = (view, options, filter_name, busy, cluster)
        width = max(20, (self.size.width or 120) - 2)
        first = _fit([_plan_line(view, busy, short) for short in (0, 1, 2)], width)
        second = _fit([_options_line(options, filter_name, cluster, short) for short in (0, 1, 2)], width)
        self.update(Text("\n").join([first, second]))

    def on_resize(self) -> None:
        if self._last is not None:
            view, options, filter_name, busy, cluster = self._last
            self.show(view, options, filter_name=filter_name, busy=busy, cluster=cluster)


def _fit(candidates: list[Text], width: int) -> Text:
    """The first candidate that fits ``width`` cells, else the last one cut with an ellipsis."""
    for text in candidates:
        if text.cell_len <= width:
            return text
    last = candidates[-1].copy()
    last.truncate(width, overflow="ellipsis")
    return last


def _plan_line(view: PlanView | None, busy: str | None, short: int) -> Text:
    first = Text()
    if view is None:
        first.append(busy or "No plan yet.", style="italic")
        return first
    t = view.totals
    sep = ("  │  ", " │ ", " · ")[short]
    if short < 2:
        first.append("Plan " if short == 0 else "", style="bold")
    for kind in ("copy", "update", "delete", "skip"):
        n, b = t[kind]
        with_bytes = n and kind != "skip" and short < 2
        label = f"{kind} {n:,}" + (f" ({human_size(b)})" if with_bytes else "")
        if kind == "delete" and n:
            first.append(f"⚠ DELETE {n:,}" + (f" ({human_size(b)})" if short < 2 else ""), style="bold white on red")
        elif kind in ("copy", "update") and n:
            first.append(label, style="bold green" if kind == "copy" else "bold yellow")
        else:
            first.append(label, style="dim")
        first.append(sep, style="dim")
    moves = t["move"][0]
    if moves:
        first.append(f"move {moves:,}", style="bold cyan")
        first.append(sep, style="dim")
    conflicts = view.category_counts.get("conflict", 0)
    first.append(f"{conflicts:,} conflict{'s' if conflicts != 1 else ''}", style="bold magenta" if conflicts else "dim")
    if view.overridden:
        first.append(f"{sep}{view.overridden:,} " + ("changed by hand ✎" if short == 0 else "✎"), style="cyan")
    if busy:
        first.append(f"  ({busy})", style="italic")
    return first


def _options_line(options: SyncOptions, filter_name: str, cluster: str | None, short: int) -> Text:
    strategy = STRATEGY_LABELS.get(options.strategy, options.strategy)
    compare = COMPARE_LABELS.get(options.compare, options.compare)
    shown_filter = CATEGORY_LABELS.get(filter_name, filter_name)
    second = Text()
    if short == 0:
        second.append("Strategy ", style="dim")
        second.append(strategy, style="bold")
        second.append(" [t]   Compare ", style="dim")
        second.append(compare, style="bold")
        second.append(" [c]   Deletions ", style="dim")
        if options.delete:
            second.append("ON (dst-only files deleted)", style="bold red")
        else:
            second.append("OFF (dst-only files kept)", style="bold green")
        second.append(" [d]   Filter ", style="dim")
        second.append(shown_filter, style="bold")
        second.append(" [f]", style="dim")
    else:
        gap = " · " if short == 1 else " "
        for key, value, style in (("t", strategy, "bold"), ("c", compare, "bold"),
                                  ("d", "deletions ON" if options.delete else "deletions off",
                                   "bold red" if options.delete else "bold green"),
                                  ("f", f"filter {shown_filter}", "bold")):
            if second:
                second.append(gap, style="dim")
            second.append(value, style=style)
            second.append(f" [{key}]", style="dim")
    if options.partitions:
        second.append("   Partitions " if short == 0 else " · ", style="dim")
        second.append(options.partitions, style="bold cyan")
        if short == 0:
            second.append(" [p]", style="dim")
    filters = getattr(options, "filters", None)
    if filters is not None:
        n = len(filters.rules)
        what = ", ".join(x for x in (f"{n} rule{'s' if n != 1 else ''}" if n else "",
                                     "size/age limits" if filters.limits_test() else "",
                                     "deleting excluded" if filters.delete_excluded else "") if x)
        second.append("   Filters " if short == 0 else " · filters ", style="dim")
        second.append(what or "none", style="bold cyan")
        if short == 0:
            second.append(" [F]", style="dim")
    if getattr(options, "track_renames", False):
        second.append("   " if short == 0 else " · ", style="dim")
        second.append("Renames tracked" if short == 0 else "renames", style="bold cyan")
        if short == 0:
            second.append(" [R]", style="dim")
    if cluster:
        second.append("   Runs on cluster " if short == 0 else " · Runs on cluster ", style="dim")
        second.append(cluster, style="bold cyan")
    return second


class DetailBar(Static):
    """The selected path: its action, the full reason, and both sides' size and time."""

    def show(self, path: str | None, action: Action | None, src: Entry | None, dst: Entry | None,
             now: datetime) -> None:
        if path is None:
            self.update("")
            return
        text = Text(path or "(everything)", style="bold")
        if action is not None:
            text.append("  ")
            text.append_text(status_text(action))
            text.append(f"  {action.reason}")

        elif path and src is None and dst is None:
            text.append("  (folder)", style="dim")
        width = max(20, self.size.width - 2)
        candidates = []
        for short in (False, True):
            line = Text()
            for label, entry in (("source", src), ("destination", dst)):
                if line:
                    line.append("   " if not short else " · ")
                line.append(f"{label}: " if not short else ("src " if label == "source" else "dst "), style="dim")
                if entry is None:
                    line.append("—", style="dim")
                elif short:
                    when = entry.modified.strftime("%Y-%m-%d %H:%M") if entry.modified else "no time"
                    line.append(f"{human_size(entry.size)}, {when}")
                else:
                    when = entry.modified.strftime("%Y-%m-%d %H:%M UTC") if entry.modified else "no time"
                    line.append(f"{human_size(entry.size)}, modified {when} ({human_time(entry.mtime, now)})")
                if entry is not None and label == "destination" and action is not None and action.keep_as:
                    line.append(f", kept as {action.keep_as.rsplit('/', 1)[-1]}", style="magenta")
            candidates.append(line)
        line = next((c for c in candidates if c.cell_len <= width), candidates[-1])
        text.truncate(width, overflow="ellipsis")
        line.truncate(width, overflow="ellipsis")
        self.update(Text("\n").join([text, line]) if (src or dst) else text)
