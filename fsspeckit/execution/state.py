"""Incremental state: a journal of files copied and verified, kept across runs.

Each completed copy appends one JSON line (path, size, source mtime), flushed at
once, so a run killed with SIGKILL keeps what it finished. The next run treats
a source file whose size and time match its journal line, and whose copy is
still on the destination with that size, as already synced.
"""

from __future__ import annotations

import json
import logging
import os
import threading

from ..model.times import to_utc

logger = logging.getLogger(__name__)

__all__ = ["SyncState"]


class SyncState:
    """A local journal file of synced paths: ``{path: (size, mtime)}``."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self.entries: dict[str, tuple[int, float | None]] = {}
        self._lock = threading.Lock()
        self._file = None
        self._dirty = False  # something was recorded or forgotten: close() rewrites the file
        self._load()

    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as f:
            text = f.read()
        stripped = text.lstrip()
        if stripped.startswith("{") and "\n{" not in stripped.strip():
            # The seed's format: one JSON object {path: {"size":..,"modified":..}}.
            try:
                data = json.loads(stripped)
            except json.JSONDecodeError:
                data = None
            if isinstance(data, dict):
                for k, v in data.items():
                    rec = _record(k, v.get("size"), v.get("mtime", v.get("modified"))) if isinstance(v, dict) else None
                    if rec is None:
                        logger.warning("ignoring a damaged entry in %s: %r", self.path, k)
                        continue
                    self.entries[k] = rec
                return
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                rec = None
            path = rec.get("path") if isinstance(rec, dict) else None
            if not isinstance(path, str):
                logger.warning("ignoring a damaged line in %s (an interrupted write or an edit)", self.path)
                continue
            if rec.get("deleted"):
                self.entries.pop(path, None)
                continue
            entry = _record(path, rec.get("size"), rec.get("mtime"))
            if entry is None:
                # Unreadable: forget the path, so the file is compared again rather than trusted.
                self.entries.pop(path, None)
                logger.warning("ignoring a damaged line in %s for %s", self.path, path)
                continue
            self.entries[path] = entry

    def matches(self, path: str, size: int, mtime: float | None) -> bool:
        rec = self.entries.get(path)
        if rec is None or rec[0] != size:
            return False
        if rec[1] is None or mtime is None:
            return rec[1] is None and mtime is None
        return abs(rec[1] - mtime) <= 0.002

    def _write(self, rec: dict) -> None:
        with self._lock:
            if self._file is None:
                folder = os.path.dirname(self.path)
                if folder:
                    os.makedirs(folder, exist_ok=True)
                self._file = open(self.path, "a", encoding="utf-8")
            self._file.write(json.dumps(rec, ensure_ascii=False) + "\n")
            self._file.flush()
            self._dirty = True

    def record(self, path: str, size: int, mtime: float | None) -> None:
        self.entries[path] = (size, mtime)
        self._write({"path": path, "size": size, "mtime": mtime})

    def forget(self, path: str) -> None:
        if self.entries.pop(path, None) is not None:
            self._write({"path": path, "deleted": True})

    def close(self) -> None:
        """Close the journal and rewrite it compactly (one line per path)."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            if not self._dirty:
                return  # nothing changed (a dry run, a no-op): leave the journal as it is
            self._dirty = False
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                for p, (size, mtime) in sorted(self.entries.items()):
                    f.write(json.dumps({"path": p, "size": size, "mtime": mtime}, ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)


def _record(path, size, mtime) -> tuple[int, float | None] | None:
    """A journal entry from untrusted fields, or None when they do not make one."""
    if not isinstance(path, str) or not path or isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return None
    try:
        return size, _as_float(mtime)
    except (TypeError, ValueError, OverflowError):
        return None


def _as_float(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)

    when = to_utc(value)
    return when.timestamp() if when else None
