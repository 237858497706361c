"""What the app and the headless commands share: defaults, choices, options and words.

Both front ends take their defaults (deletion per verb, workers), their choice
lists (strategies, compare modes, taken from the library), their ``K=V`` rules,
their one sentence per error and their units from here, so a command and the
app given the same input plan the same thing and say it the same way. Only the
library is imported; neither front end is.

``K=V`` storage options (``--src-option``, ``--dst-option``, the app's location
and remote dialogs) follow ``fsspeckit.remotes.profiles.parse_option``: JSON when the
value starts with ``{``, ``[`` or ``"`` (``s3_additional_kwargs={"ACL":"private"}``),
``true``/``yes``/``on`` and ``false``/``no``/``off`` as booleans, numbers as numbers,
anything else as text (``env:VAR`` and ``file:PATH`` are read when the filesystem is made).
"""

from __future__ import annotations

import argparse
from typing import Any, Iterable

from fsspeckit.model.defaults import DEFAULT_WORKERS
from fsspeckit.exceptions import describe_error
from fsspeckit.planning.plan import COMPARE_MODES, STRATEGIES
from fsspeckit.remotes.profiles import ProfileError, parse_option
from fsspeckit.model.units import human_bytes, human_duration, human_rate

__all__ = [
    "COMPARE_MODES",
    "DEFAULT_WORKERS",
    "DELETE_DEFAULTS",
    "STRATEGIES",
    "delete_default",
    "describe_error",
    "human_bytes",
    "human_duration",
    "human_rate",
    "option_arg",
    "parse_option",
    "parse_options",
]

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


def parse_options(items: Iterable[str]) -> dict[str, Any]:
    """``["K=V", ...]`` as storage options (a later key wins); ``ProfileError`` on a bad pair."""
    out: dict[str, Any] = {}
    for item in items:
        key, value = parse_option(item)
        out[key] = value
    return out


def option_arg(text: str) -> tuple[str, Any]:
    """An argparse ``type`` for one ``K=V`` option: the same rules, errors as usage errors."""
    try:
        return parse_option(text)
    except ProfileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
