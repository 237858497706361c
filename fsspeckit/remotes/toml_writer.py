"""A small TOML writer for flat configuration files (the standard library only reads TOML).

Strings are written as basic strings with every character TOML requires
escaped; numbers, booleans, lists and nested tables are supported; dates are not.
"""

from __future__ import annotations

import math
import re
from typing import Any, Mapping

from ..exceptions import TomlWriteError

__all__ = ["TomlWriteError", "dumps_toml"]


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\f":
            out.append("\\f")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TomlWriteError(f"Cannot write a value of type {type(value).__name__} to TOML.")


def dumps_toml(data: Mapping[str, Any], inline_below: tuple[str, ...] = ()) -> str:
    """Write a small TOML document: tables of scalars, lists and inline tables.

    Tables nest as ``[a.b]`` headers, except two levels below a top-level key
    named in ``inline_below``: there they are written inline, so
    ``{"remotes": {"x": {"client_kwargs": {...}}}}`` keeps one ``[remotes.x]``
    table per remote.
    """
    lines: list[str] = []

    def inline(prefix: tuple[str, ...]) -> bool:
        return len(prefix) >= 2 and prefix[0] in inline_below

    def emit(table: Mapping[str, Any], prefix: tuple[str, ...]) -> None:
        scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping) or inline(prefix)]
        tables = [(k, v) for k, v in table.items() if isinstance(v, Mapping) and not inline(prefix)]
        if prefix and (scalars or not tables):
            if lines:
                lines.append("")
            lines.append("[" + ".".join(_toml_key(p) for p in prefix) + "]")
        for k, v in scalars:
            lines.append(f"{_toml_key(str(k))} = {_toml_value(v)}")
        for k, v in tables:
            emit(v, prefix + (str(k),))

    emit(data, ())
    return "\n".join(lines) + "\n"
