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
Where many pairs share one line (the app's location dialog), pairs are split on
spaces outside quotes and brackets, ``'...'`` quotes a text value, and a dotted
key (``client_kwargs.region_name=eu``) sets a nested option; ``options_line``
writes options so that ``parse_options_line`` reads them back unchanged.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from fsspeckit.exceptions import describe_error
from fsspeckit.model.defaults import DEFAULT_WORKERS
from fsspeckit.model.units import human_bytes, human_duration, human_rate
from fsspeckit.planning.plan import COMPARE_MODES, STRATEGIES
from fsspeckit.remotes.profiles import ProfileError, parse_option

__all__ = [
    "COMPARE_MODES",
    "MASK",
    "DEFAULT_WORKERS",
    "DELETE_DEFAULTS",
    "STRATEGIES",
    "delete_default",
    "describe_error",
    "human_bytes",
    "human_date",
    "human_duration",
    "human_rate",
    "option_arg",
    "options_line",
    "parse_option",
    "parse_options",
    "parse_options_line",
]

#: How a masked secret shows in an options line (``fsspeckit.remotes.profiles.mask_secrets``).
MASK = "***"

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


def split_pairs(text: str) -> list[str]:
    """The ``key=value`` pairs of one line: split on spaces outside quotes and brackets.

    ``'...'`` around a value (or part of it) is removed, as a shell would; JSON
    keeps its double quotes. ``ProfileError`` on an unclosed quote or bracket.
    """
    pairs: list[str] = []
    current: list[str] = []
    depth = 0
    quote = ""
    started = False
    for ch in text:
        if quote:
            if ch == quote:
                quote = ""
                if ch == "'":
                    continue
            current.append(ch)
            continue
        if ch.isspace() and depth == 0:
            if started:
                pairs.append("".join(current))
                current, started = [], False
            continue
        started = True
        if ch == "'":
            quote = ch
            continue
        if ch == '"':
            quote = ch
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth = max(0, depth - 1)
        current.append(ch)
    if quote or depth:
        shown = "".join(current)
        raise ProfileError(f"'{shown}' is not closed: a quote or bracket is missing.")
    if started:
        pairs.append("".join(current))
    return pairs


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested options: ``{"a.b": 1}`` gives ``{"a": {"b": 1}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        here = out
        for i, part in enumerate(parents):
            here = here.setdefault(part, {})
            if not isinstance(here, dict):
                raise ProfileError(f"'{key}' sets a part of '{'.'.join(parents[:i + 1])}', which has a value "
                                   "of its own; give one or the other.")
        if isinstance(here.get(last), dict) and not isinstance(value, dict):
            raise ProfileError(f"'{key}' has a value of its own and parts set by dotted keys; give one or the other.")
        here[last] = value
    return out


def flatten(options: Mapping[str, Any], prefix: str = ""):
    """(dotted key, value) for every option, nested mappings opened."""
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from flatten(value, name + ".")
        else:
            yield name, value


def option_value_text(value: Any) -> str:
    """``value`` written so that ``parse_option`` reads it back as the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        if value and not any(ch.isspace() for ch in value) and parse_option(f"k={value}")[1] == value:
            return value
        return json.dumps(value)
    if value is None or isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)


def options_line(options: Mapping[str, Any]) -> str:
    """Options as one line of ``key=value`` pairs (nested keys dotted), read back by ``parse_options_line``."""
    return " ".join(f"{key}={option_value_text(value)}" for key, value in flatten(options))


def parse_options_line(text: str, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The options of one line of ``key=value`` pairs (see the module docstring); ``ProfileError`` on a bad one.

    ``key=***`` (a secret as ``options_line`` shows it once masked) keeps the value ``current`` holds.
    """
    old = dict(flatten(current or {}))
    options: dict[str, Any] = {}
    for pair in split_pairs(text):
        key, value = parse_option(pair)
        if value == MASK:
            if key not in old:
                raise ProfileError(f"'{key}=***' keeps a secret, but {key} is not set: type its value "
                                   "or env:VAR.")
            value = old[key]
        options[key] = value
    return nest(options)


def human_date(epoch: float | None) -> str:
    """An epoch time as a UTC date and minute, ``"2024-03-01 12:30"``."""
    if epoch is None:
        return "?"
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
