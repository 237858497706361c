"""The local disk: writes and deletes that never reach outside their root.

A path may be safe as a string (``model.paths`` checked it) and still lead out
of the destination through a symbolic link inside it. ``local_escape`` resolves
the folders in between; the clean-up of emptied folders and the no-clobber
rename used by moves and keep-both never follow a link out.
"""

from __future__ import annotations

import os
import posixpath

from fsspec.implementations.local import LocalFileSystem

from ..model.paths import unsafe_reason
from .generic import Store

__all__ = ["LocalStore", "local_escape", "prune_emptied_folders", "rename_no_clobber"]


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


class LocalStore(Store):
    """The local disk: listed by a ``scandir`` walk (``listing.tree``), copied in the kernel (``transfer``)."""

    name = "local"

    def handles(self, fs) -> bool:
        return isinstance(fs, LocalFileSystem)
