"""The totals bar: files and bytes per action, and the options the plan used.

Always visible under the diff table, so a decision changed anywhere shows its
effect at once; deletions are spelled out in red.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from datetime import datetime

from fsspeckit.listing import Entry
from fsspeckit.plan import Action, SyncOptions

from .index import PlanView
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
    """Two lines: what the plan will do, and with which options."""

    def show(self, view: PlanView | None, options: SyncOptions, *, filter_name: str = "all",
             busy: str | None = None, cluster: str | None = None) -> None:
        first = Text()
        if view is None:
            first.append(busy or "No plan yet.", style="italic")
        else:
            t = view.totals
            first.append("Plan ", style="bold")
            for kind in ("copy", "update", "delete", "skip"):
                n, b = t[kind]
                label = f"{kind} {n:,}" + (f" ({human_size(b)})" if n and kind != "skip" else "")
                if kind == "delete" and n:
                    first.append(f"⚠ DELETE {n:,} ({human_size(b)})", style="bold white on red")
                elif kind in ("copy", "update") and n:
                    first.append(label, style="bold green" if kind == "copy" else "bold yellow")
                else:
                    first.append(label, style="dim")
                first.append("  │  ", style="dim")
            conflicts = view.category_counts.get("conflict", 0)
            first.append(f"{conflicts:,} conflict{'s' if conflicts != 1 else ''}", style="bold magenta" if conflicts else "dim")
            if view.overridden:
                first.append(f"  │  {view.overridden:,} changed by hand ✎", style="cyan")
            if busy:
                first.append(f"  ({busy})", style="italic")
        second = Text()
        second.append("Strategy ", style="dim")
        second.append(STRATEGY_LABELS.get(options.strategy, options.strategy), style="bold")
        second.append(" [t]   Compare ", style="dim")
        second.append(COMPARE_LABELS.get(options.compare, options.compare), style="bold")
        second.append(" [c]   Deletions ", style="dim")
        if options.delete:
            second.append("ON (dst-only files deleted)", style="bold red")
        else:
            second.append("OFF (dst-only files kept)", style="bold green")
        second.append(" [d]   Filter ", style="dim")
        second.append(filter_name, style="bold")
        second.append(" [f]", style="dim")
        if options.partitions:
            second.append("   Partitions ", style="dim")
            second.append(options.partitions, style="bold cyan")
            second.append(" [p]", style="dim")
        if cluster:
            second.append("   Runs on cluster ", style="dim")
            second.append(cluster, style="bold cyan")
        self.update(Text("\n").join([first, second]))


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
        line = Text()
        for label, entry in (("source", src), ("destination", dst)):
            if line:
                line.append("   ")
            line.append(f"{label}: ", style="dim")
            if entry is None:
                line.append("—", style="dim")
            else:
                when = entry.modified.strftime("%Y-%m-%d %H:%M UTC") if entry.modified else "no time"
                line.append(f"{human_size(entry.size)}, modified {when} ({human_time(entry.mtime, now)})")
        width = max(20, self.size.width - 2)
        text.truncate(width, overflow="ellipsis")
        line.truncate(width, overflow="ellipsis")
        self.update(Text("\n").join([text, line]) if (src or dst) else text)
