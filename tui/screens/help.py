"""The help screen (``?``): what the main screen shows and every key."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "INTRO", "KEYS"]

INTRO = """\
Left: the source tree. Right: the destination tree. Below: the diff preview, one row \
per file, with what the sync will do and why; the totals bar under it counts files and \
bytes per action. Nothing is written until you run the sync (s) and confirm.

Statuses: new (only in the source: copied) · changed (the source replaces the \
destination) · conflict (the destination looks newer: the strategy decides) · only in \
dst (deleted only when deletions are on) · identical · excluded.
◆ marks a hive partition folder (key=value); ✎ a decision changed by hand."""

KEYS = [
    ("Plan", [
        ("t", "cycle the strategy: source wins, newer, larger, skip conflicts, keep both"),
        ("c", "cycle the compare mode: size + mtime, size only, checksum"),
        ("d", "deletions on/off (on by default, as for sync: files only in the destination are deleted)"),
        ("R", "track renames on/off: a file moved on the source is moved on the destination (with deletions on)"),
        ("f", "cycle the table filter: all, changes, new, changed, conflict, only in dst, …"),
        ("r", "list both sides again and re-plan"),
        ("p", "choose partitions (narrows the plan and the trees)"),
        ("w / o", "save the plan to / open a plan from a JSON file"),
        ("s / F5", "run the sync (asks for confirmation first; esc during the run asks before stopping)"),
    ]),
    ("Change decisions (table row under the cursor, or the file/folder/partition selected in a tree)", [
        ("x", "exclude: leave it alone"),
        ("i", "include again (back to the planned action)"),
        ("u", "source wins: copy the source over the destination"),
        ("b", "keep both: keep the destination's version under a conflict name, then copy"),
        ("k", "keep the destination: don't overwrite, don't delete"),
        ("del / F8", "delete a file that is only in the destination"),
        ("u", "on a move: copy the new path and delete the old one instead (x leaves both alone, i moves again)"),
        ("z", "undo the last change made by hand (again for the one before; the palette undoes all)"),
    ]),
    ("Two-way mode (2, or --two-way): left = the source, right = the destination", [
        ("arrows", "→ / ← copy to that side · →✕ / ✕← delete on the right / left · ⚡ conflict · · skipped"),
        ("t", "a conflict (or the conflicts under a folder): cycle skip, newer, larger, left, right, keep both"),
        ("< / >", "the left / right version wins (for a conflict, a copy or a deletion) · b keep both"),
        ("space · k · i", "flip the direction (a deletion becomes a copy back) · skip · back to the plan"),
        ("z · s · r · esc", "undo the last decision · confirm and run · list again · back to the one-way screen"),
        ("= / !", "rebuild the state (a safe merge, no deletions) / plan past the deletion guard"),
    ]),
    ("Move around", [
        ("tab", "next panel (shift+tab: previous)"),
        ("[ / ]", "previous / next page of the table (500 rows a page)"),
        ("a", "link the trees: both follow the same relative path"),
        ("e", "change the source or destination location (URL, path or remote:path) and its options"),
        ("m", "saved remotes: use one for a side, add, remove or test one"),
        ("l", "partition layout of the side in focus"),
        ("v", "look inside: a Parquet, CSV or JSON file's columns and first rows; a folder's partitions"),
        ("g", "show or hide the log panel"),
        ("ctrl+p", "command palette: every action by name (on any screen, that screen's keys)"),
        ("? / F1", "this help"),
        ("q / F10", "quit (asks first while a sync runs)"),
    ]),
    ("Other screens", [
        ("esc / q", "back (on the run screen: stop the run, after asking)"),
        ("space", "run screen: pause / resume"),
        ("F5", "run screen: start · report: retry the failed files"),
        ("enter", "report: export to the file named in the box (ctrl+s too)"),
        ("< / >", "remotes: use the remote for the source / the destination"),
        ("enter · + · del", "remotes: verify (test) · new · remove"),
        ("space · *", "partitions: tick a value · all or none of a key (ctrl+s applies)"),
        ("1 … 9", "layout: sort by that column (the same number again: reverse)"),
        ("< / > / =", "layout: the source · the destination · both sides compared"),
        ("h · !", "layout: the chart's measure (files, bytes, rows) · show or hide the findings"),
    ]),
]


def _render() -> Group:
    parts = [Text("fsspeckit-tui", style="bold"), Text(""), Text(INTRO), Text("")]
    for title, rows in KEYS:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
        table.add_column(style="bold cyan", width=11, no_wrap=True)
        table.add_column(ratio=1)
        for key, text in rows:
            table.add_row(key, text)
        parts += [Text(title, style="bold underline"), table, Text("")]
    parts.append(Text("Press escape to close.", style="dim"))
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Keys and statuses."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="help"):
            yield Static(_render())

    def action_close(self) -> None:
        self.dismiss(None)
