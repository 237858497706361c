"""The one place where a relative path from outside is checked before it is used.

Every relative path that reaches a write or a delete comes from somewhere we do
not control: a key listed by a store, a path or ``keep_as`` in a hand-edited plan
file, an option. Such a path is joined under its root only when every segment is
a plain name: ``..``, ``.``, empty segments (``a//b``), an absolute start and NUL
bytes are refused, never normalised away (normalising ``a/../b`` to ``b`` would
silently sync one key onto another).
"""

from __future__ import annotations

import os
import posixpath

from .exceptions import PlanError, UnsafePathError

__all__ = ["UnsafePathError", "unsafe_reason", "check_rel", "local_escape", "prune_emptied_folders",
           "rename_no_clobber"]

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


def local_escape(root: str, path: str) -> str | None:
    """On a local disk: why writing or deleting ``path`` would touch something outside ``root``.

    ``path`` lies under ``root`` as a string; this resolves the folders in between, so
    a symbolic link inside the destination that points elsewhere is caught. The last
    segment itself is not resolved: deleting or replacing a link acts on the link.
    """
    real_root = os.path.realpath(root)
    parent = os.path.realpath(os.path.dirname(path))
    if parent == real_root or parent.startswith(real_root.rstrip(os.sep) + os.sep):
        return None
    return f"{path} lies behind a symbolic link that leads outside {root} (to {parent})"


def prune_emptied_folders(root: str, gone: list[str]) -> None:
    """Remove the local folders that ``gone`` (paths deleted or moved away) left empty, below ``root``.

    Only folders that lie inside ``root`` once links are resolved: a folder reached
    through a symbolic link that leads elsewhere is never removed, even if empty.
    """
    folders = set()
    for rel in gone:
        if unsafe_reason(rel):
            continue
        parent = posixpath.dirname(rel)
        while parent:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    for rel in sorted(folders, key=lambda p: p.count("/"), reverse=True):
        path = os.path.join(root, rel)
        if os.path.islink(path) or local_escape(root, path):
            continue
        try:
            os.rmdir(path)
        except OSError:
            pass  # not empty, or already gone


def rename_no_clobber(src: str, dst: str) -> None:
    """Rename a local file to ``dst`` without replacing anything there: ``FileExistsError`` if taken.

    A hard link, then the old name removed, so the check and the move are one
    step; on a disk without hard links, a plain rename checked just before.
    """
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    try:
        os.link(src, dst)  # fails when the name exists: nothing is replaced
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(dst):
            raise FileExistsError(f"{dst} exists already") from None
        os.rename(src, dst)
        return
    if os.stat(dst).st_ino != os.stat(src).st_ino:
        raise FileExistsError(f"{dst} is not the moved file after the link; {src} was kept")
    os.unlink(src)
