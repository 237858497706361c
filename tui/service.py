"""What the app and the headless commands share: defaults, choices and the words they use.

Both front ends take their defaults (deletion per verb, workers), their choice
lists (strategies, compare modes) and their ``K=V`` rules from here, so a
command and the app given the same input plan the same thing. Only the library
is imported; neither front end is.
"""

from __future__ import annotations

from fsspeckit.plan import COMPARE_MODES, STRATEGIES

__all__ = ["COMPARE_MODES", "DELETE_DEFAULTS", "STRATEGIES", "delete_default"]

#: Whether files only in the destination are deleted, per verb, unless told otherwise.
#: ``sync`` mirrors (as ``rclone sync`` does); ``plan`` plans a sync; the app plans and
#: runs a sync, so it starts like them (``d`` toggles it, the status bar shows it and a
#: saved plan keeps it). ``copy`` and ``move`` never delete on the destination.
DELETE_DEFAULTS: dict[str, bool] = {
    "sync": True,
    "plan": True,
    "app": True,
    "copy": False,
    "move": False,
}


def delete_default(verb: str) -> bool:
    """The documented deletion default of ``verb`` (see ``DELETE_DEFAULTS``)."""
    return DELETE_DEFAULTS[verb]
