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
        ("z", "undo the last change made by hand (again for the one before; the palette undoes all)"),
    ]),
    ("Move around", [
        ("tab", "next panel (shift+tab: previous)"),
        ("[ / ]", "previous / next page of the table (500 rows a page)"),
        ("a", "link the trees: both follow the same relative path"),
        ("e", "change the source or destination location (URL, path or remote:path) and its options"),
        ("m", "saved remotes: use one for a side, add, remove or test one"),
        ("l", "partition layout of the side in focus"),
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
        ("v · n · del", "remotes: verify (test) · new · remove"),
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
