"""The one place where a relative path from outside is checked before it is used.

Every relative path that reaches a write or a delete comes from somewhere we do
not control: a key listed by a store, a path or ``keep_as`` in a hand-edited plan
file, an option. Such a path is joined under its root only when every segment is
a plain name: ``..``, ``.``, empty segments (``a//b``), an absolute start and NUL
bytes are refused, never normalised away (normalising ``a/../b`` to ``b`` would
silently sync one key onto another).
"""

from __future__ import annotations

from ..exceptions import UnsafePathError

__all__ = ["check_rel", "unsafe_reason"]

def unsafe_reason(rel: str) -> str | None:
    """Why ``rel`` may not be joined under a root, or None when it is a plain relative path."""
    if not rel:
        return "the path is empty"
    if "\x00" in rel:
        return "the path holds a NUL byte"
    if rel[0] == "/":
        return "the path is absolute"
    s = "/" + rel + "/"
    if "/../" in s:
        return "a '..' segment would leave the folder"
    if "/./" in s:
        return "a '.' segment names the same path twice"
    if "//" in s:
        return "an empty path segment ('//') maps to no file path"
    return None


def check_rel(rel: str, what: str = "path") -> str:
    """``rel`` unchanged when it is safe to join under a root; else UnsafePathError."""
    why = unsafe_reason(rel)
    if why:
        raise UnsafePathError(f"Refused the {what} {rel!r}: {why}.")
    return rel
