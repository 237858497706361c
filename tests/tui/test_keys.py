"""One meaning per key across screens: a letter the main screen uses means the same elsewhere."""

from __future__ import annotations

import string

from textual.binding import Binding

from tui.app import SyncApp
from tui.screens.help import HelpScreen
from tui.screens.layout import LayoutScreen
from tui.screens.location import LocationScreen, PathScreen
from tui.screens.partitions import PartitionScreen
from tui.screens.remotes import AddRemoteScreen, ConfirmScreen, RemotesScreen
from tui.screens.report import ReportScreen
from tui.screens.run import RunScreen
from tui.screens.two_way import TwoWayRunScreen, TwoWayScreen

SCREENS = [HelpScreen, LayoutScreen, LocationScreen, PathScreen, PartitionScreen, AddRemoteScreen,
           ConfirmScreen, RemotesScreen, ReportScreen, RunScreen, TwoWayScreen, TwoWayRunScreen]

# Actions that mean the same thing to a user, whatever their name on each screen.
MEANINGS = [
    {"quit", "close", "back", "cancel", "answer(False)"},  # leave
    {"run_sync", "start", "answer(True)", "retry"},  # go
    {"decide('delete')", "remove"},  # delete
    # The two-way screen's decisions, named for its own plan, mean what the one-way letters mean.
    {"cycle_strategy", "decide('cycle')"},  # cycle how a conflict is resolved
    {"decide('keep')", "decide('skip')"},  # leave it as it is
    {"decide('include')", "decide('planned')"},  # back to the planned action
    {"undo_overrides", "undo"},  # undo the last decision by hand
    {"refresh", "replan"},  # list both sides again
]


def _bindings(cls) -> dict[str, str]:
    keys: dict[str, str] = {}
    for b in cls.BINDINGS:
        b = b if isinstance(b, Binding) else Binding(*b)
        for key in b.key.split(","):
            keys[key.strip()] = b.action
    return keys


def _meaning(action: str) -> str:
    for group in MEANINGS:
        if action in group:
            return min(group)
    return action


def _letters(keys: dict[str, str]) -> dict[str, str]:
    return {k: _meaning(a) for k, a in keys.items() if len(k) == 1 and k in string.ascii_letters}


def test_no_letter_means_two_things():
    seen = {k: ("the main screen", a) for k, a in _letters(_bindings(SyncApp)).items()}
    clashes = []
    for screen in SCREENS:
        for key, meaning in _letters(_bindings(screen)).items():
            where, other = seen.setdefault(key, (screen.__name__, meaning))
            if other != meaning:
                clashes.append(f"{key!r}: {other} on {where}, {meaning} on {screen.__name__}")
    assert not clashes, clashes


def test_function_keys_follow_midnight_commander():
    main = _bindings(SyncApp)
    assert main["f5"] == "run_sync" and main["f8"] == "decide('delete')" and main["f10"] == "quit"
    assert _bindings(RunScreen)["f5"] == "start" and _bindings(RemotesScreen)["f8"] == "remove"
