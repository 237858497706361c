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

logger = logging.getLogger(__name__)

__all__ = ["SyncState"]


class SyncState:
    """A local journal file of synced paths: ``{path: (size, mtime)}``."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self.entries: dict[str, tuple[int, float | None]] = {}
        self._lock = threading.Lock()
        self._file = None
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
                for k, v in data.items():
                    if isinstance(v, dict) and "size" in v:
                        self.entries[k] = (int(v["size"]), _as_float(v.get("mtime", v.get("modified"))))
                return
            except json.JSONDecodeError:
                pass
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                logger.warning("ignoring a damaged line in %s (an interrupted write)", self.path)
                continue
            if rec.get("deleted"):
                self.entries.pop(rec["path"], None)
            elif "path" in rec:
                self.entries[rec["path"]] = (int(rec["size"]), _as_float(rec.get("mtime")))

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
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                for p, (size, mtime) in sorted(self.entries.items()):
                    f.write(json.dumps({"path": p, "size": size, "mtime": mtime}, ensure_ascii=False) + "\n")
            os.replace(tmp, self.path)


def _as_float(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    from .times import to_utc

    when = to_utc(value)
    return when.timestamp() if when else None
